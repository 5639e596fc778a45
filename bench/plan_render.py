"""Time and memory of rendering a large plan in every format (``syncer show``'s work).

Builds a synthetic plan of ``--items`` entries (a mix like a busy sync: 60% create, 15% update
with two changed fields, 10% replace, 5% delete, 10% skip for two reasons; spread over three
targets; a thumbnail for each of the first ``--thumbs`` files, about 2 KB of random bytes as a
``data:`` URI, so the HTML page embeds what a real one would), never holding its entries: they
are made anew at each pass. Writes it with ``save_document`` and reads it back with
``read_document`` (entries streamed from the file), then renders it in each format (text, json,
markdown, html; html only once ``syncer/plans/html.py`` exists) to a file, each in a fresh
child process, which reports:

* seconds: wall clock of the render (no tracing);
* output: the file's size;
* RSS peak: ``getrusage`` ``ru_maxrss`` after the render minus the process's RSS before it
  (``/proc/self/statm``), with the document opened and the renderer imported;
* heap peak: ``tracemalloc``'s peak over a second render of the same document (Python objects
  only; tracing makes that render slower, so it is not timed).

    .venv/bin/python bench/plan_render.py [--items 100000] [--thumbs 2000] \
        [--formats text,json,markdown,html] [--dir DIR]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from syncer.plans.jsonfile import read_document, save_document
from syncer.plans.model import Change, Document, Entry, FileFacts, Header, Kind, Note, Summary
from syncer.plans.render import Format, render

FORMATS = ("text", "json", "markdown", "html")
TARGETS = (("shop", "spiffy"), ("parts", "partium"), ("media", "moov"))
#: Raw bytes of a thumbnail (about 2 KB once in base64).
THUMB_BYTES = 1536
#: Of every 20 entries: 12 creates, 3 updates, 2 replaces, 1 delete, 2 skips.
GONE = ("gone_at_source", "gone at the source")
MIX = ("create",) * 12 + ("update",) * 3 + ("replace",) * 2 + ("delete",) + ("skip",) * 2


def sha(i: int) -> str:
    """A file's sha256: distinct for each ``i``, as a real one would be."""
    return hashlib.sha256(str(i).encode()).hexdigest()


def make_entry(i: int) -> Entry:
    """The ``i``th entry of the synthetic plan (the same for the same ``i``)."""
    target = TARGETS[i % len(TARGETS)][0]
    action = MIX[(i // len(TARGETS)) % len(MIX)]
    base = Entry(target, f"item-{i:07d}", action, "", "", f"catalog/p{i // 4}/image-{i}.jpg")
    new = FileFacts(sha(i), 150_000 + (i * 7919) % 900_000, "image/jpeg", 1600, 1200)
    old = FileFacts(sha(i + 10**9), 120_000 + (i * 104729) % 900_000, "image/jpeg", 1200, 900)
    owner, target_id = f"P-{i // 4}", f"t{i}"
    if action == "create":
        convert = "image/webp → image/jpeg" if i % 50 == 0 else None
        return replace(base, code="new_item", reason="new item", owner=owner, new=new,
                       convert=convert)  # fmt: skip
    if action == "update":
        changes = (
            Change("alt", f"Product {i // 4}, front", f"Product {i // 4}, front view"),
            Change("position", i % 5, i % 5 + 1, applies=i % 3 != 0),
        )
        return replace(base, code="metadata_changed", reason="alt, position changed",
                       owner=owner, target_id=target_id, changes=changes)  # fmt: skip
    if action in ("replace", "delete"):
        code, reason = ("bytes_changed", "bytes changed") if action == "replace" else GONE
        return replace(base, code=code, reason=reason, owner=owner, target_id=target_id,
                       old=old, new=new if action == "replace" else None)  # fmt: skip
    if i % 2:
        return replace(base, code="no_owner_mapped", reason="no target owner mapped")
    warning = Note("display_limit", f"{owner} would have 6 display images; 5 show")
    return replace(base, code="unsupported_type", reason=f"{target} does not take image/tiff",
                   warnings=(warning,))  # fmt: skip


def synthetic_plan(items: int, thumbs: int) -> Document:
    """The plan: entries made at each pass, the summary counted in one pass."""

    def entries() -> Iterator[Entry]:
        return (make_entry(i) for i in range(items))

    header = Header(
        Kind.PLAN,
        "bench",
        "2026-12-04T10:00:00+00:00",
        id="plan-bench",
        mode="sync",
        source="beproduct",
        listing="full",
    )
    summary = Summary()
    for name, vendor in TARGETS:
        summary.tally(name, vendor)
    for entry in entries():
        summary.add(entry)
        if entry.code == "new_item" and entry.key.endswith("0"):
            summary.count_unchanged(entry.target, 3)
    rng = random.Random(7)
    thumbnails = {
        sha(i): "data:image/webp;base64," + base64.b64encode(rng.randbytes(THUMB_BYTES)).decode()
        for i in range(min(thumbs, items))
    }
    return Document(header, summary, entries, thumbnails)


def rss_now() -> int:
    """This process's resident set, in bytes."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def child(fmt: str, plan: Path, out: Path) -> dict[str, Any]:
    """Render ``plan`` as ``fmt`` into ``out``, twice: timed, then traced."""
    document = read_document(plan)
    with open(os.devnull, "w", encoding="utf-8") as null:  # the renderer imported first
        render(Document(document.header, Summary(), list), Format(fmt), null)
    before = rss_now()
    started = time.perf_counter()
    with out.open("w", encoding="utf-8") as stream:
        render(document, Format(fmt), stream)
    seconds = time.perf_counter() - started
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    tracemalloc.start()
    with open(os.devnull, "w", encoding="utf-8") as null:
        render(document, Format(fmt), null)
    heap = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"seconds": seconds, "bytes": out.stat().st_size, "rss": max(0, peak_rss), "heap": heap}


def run_child(fmt: str, plan: Path, out: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    args = [sys.executable, __file__, "--child", fmt, "--plan", str(plan), "--out", str(out)]
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        raise SystemExit(f"the {fmt} render failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def mb(size: float) -> str:
    return f"{size / 1e6:.1f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--thumbs", type=int, default=2000)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--dir", type=Path, help="keep the files here (default: a temp dir)")
    parser.add_argument("--child", choices=FORMATS, help=argparse.SUPPRESS)
    parser.add_argument("--plan", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.plan, args.out)))
        return 0
    with tempfile.TemporaryDirectory(prefix="plan-render-") as temp:
        directory = args.dir or Path(temp)
        directory.mkdir(parents=True, exist_ok=True)
        report(args.items, args.thumbs, args.formats.split(","), directory)
    return 0


def report(items: int, thumbs: int, formats: list[str], directory: Path) -> None:
    plan = directory / "plan.json"
    started = time.perf_counter()
    save_document(synthetic_plan(items, thumbs), plan)
    written = time.perf_counter() - started
    started = time.perf_counter()
    count = sum(1 for _ in read_document(plan).entries())
    read = time.perf_counter() - started
    print(
        f"{count} entries: built and written in {written:.2f} s ({mb(plan.stat().st_size)}), "
        f"read back in {read:.2f} s"
    )
    print("| format | seconds | output | RSS peak (ru_maxrss − before) | heap peak (tracemalloc) |")
    print("|---|---|---|---|---|")
    for fmt in formats:
        if fmt == "html" and importlib.util.find_spec("syncer.plans.html") is None:
            print("| html | skipped: syncer/plans/html.py is not there yet | | | |")
            continue
        got = run_child(fmt, plan, directory / f"rendered.{fmt}")
        print(
            f"| {fmt} | {got['seconds']:.2f} s | {mb(got['bytes'])} | {mb(got['rss'])} "
            f"| {mb(got['heap'])} |"
        )


if __name__ == "__main__":
    sys.exit(main())
