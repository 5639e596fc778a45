"""Peak RSS of the syncer process when listing and diffing a large catalog with state.

For each size: a Spiffy Stores emulator in a process of its own (``bench/emulator_server.py``,
pooled seeding) holds the catalog, so its memory does not count; a first child process fills
the state as a migration would (``benchlib.populate_state``, SQLite in a temp dir); then a fresh
child process runs the measured ``run_job`` (``--modes``: ``sync`` is a no-change
``Mode.SYNC``, which lists, fingerprints from the state, plans and commits every page;
``plan`` is ``Mode.PLAN``) and reports its own peak RSS (``getrusage``), with its RSS before
the run for reference. Aim: the peak at the largest size at most 1.3 x that at the smallest.

    .venv/bin/python bench/memory.py [--sizes 100000,1000000] [--per-owner 100] [--modes sync]
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from benchlib import (
    peak_rss_mb,
    populate_state,
    read_manifest,
    rss_mb,
    seeded_emulator,
    write_job,
)

AIM = 1.3


async def child_populate(job_path: Path, manifest: Path) -> dict[str, Any]:
    from syncer.http import open_session
    from syncer.jobs import load_job
    from syncer.state import StateStore

    job = load_job(job_path, {})
    started = time.perf_counter()
    async with await StateStore.open(job.state) as store, open_session() as session:
        written = await populate_state(job, store, session, read_manifest(manifest))
    return {"populated": written, "seconds": time.perf_counter() - started}


async def child_run(job_path: Path, mode: str) -> dict[str, Any]:
    import os

    from syncer.engine.run import Mode, run_job
    from syncer.http import open_session
    from syncer.jobs import load_job
    from syncer.spool import Spool
    from syncer.state import StateStore

    job = load_job(job_path, {})
    gc.collect()
    before = rss_mb(os.getpid())
    started = time.perf_counter()
    async with (
        await StateStore.open(job.state) as store,
        Spool(job_path.parent / "spool") as spool,
        open_session() as session,
    ):
        summary = await run_job(job, Mode(mode), store=store, spool=spool, session=session)
    return {
        "mode": mode,
        "listed": summary.listed,
        "downloaded": summary.downloaded,
        "planned": sum(summary.planned.values()),
        "skipped": sum(summary.skipped.values()),
        "seconds": time.perf_counter() - started,
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
    }


def in_child(*args: str) -> dict[str, Any]:
    """Run this script as ``--child ...`` in a fresh interpreter; its JSON answer."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True
    )
    answer: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return answer


def measure(size: int, per_owner: int, modes: list[str]) -> list[dict[str, Any]]:
    owners = max(1, size // per_owner)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        root = Path(tmp)
        manifest = root / "manifest.tsv"
        with (
            seeded_emulator("spiffy", seed=size, owners=owners, manifest=manifest) as src,
            # Nothing is pushed (no-change runs): the target needs no owners, and Spiffy's
            # emulator makes 10,000 owners in minutes (unique handles are a linear scan).
            seeded_emulator("spiffy", seed=0, owners=1) as dst,
        ):
            print(f"  source: {src.banner}", flush=True)
            job = write_job(root, ("spiffy", src.url), ("spiffy", dst.url))
            assert job.path is not None
            filled = in_child("populate", str(job.path), str(manifest))
            print(
                f"  state populated: {filled['populated']} items in {filled['seconds']:.0f}s",
                flush=True,
            )
            for mode in modes:
                result = in_child("run", str(job.path), mode)
                result["emulator_rss_mb"] = rss_mb(src.pid)
                result["items"] = size
                print(
                    f"  {mode}: listed {result['listed']}, planned {result['planned']}, "
                    f"downloaded {result['downloaded']} in {result['seconds']:.0f}s; syncer RSS "
                    f"{result['rss_before_mb']:.0f} MB before, peak {result['peak_rss_mb']:.0f} "
                    f"MB (emulator process {result['emulator_rss_mb']:.0f} MB, not counted)",
                    flush=True,
                )
                results.append(result)
    return results


def main(args: argparse.Namespace) -> int:
    sizes = [int(size) for size in args.sizes.split(",")]
    modes = args.modes.split(",")
    everything: dict[tuple[str, int], dict[str, Any]] = {}
    for size in sizes:
        print(f"{size} items over {max(1, size // args.per_owner)} owners", flush=True)
        for result in measure(size, args.per_owner, modes):
            everything[(result["mode"], size)] = result
    print(f"\n{'mode':6} {'items':>9} {'seconds':>8} {'RSS before MB':>14} {'peak RSS MB':>12}")
    for (mode, size), r in sorted(everything.items()):
        print(
            f"{mode:6} {size:>9} {r['seconds']:>8.0f} {r['rss_before_mb']:>14.0f} "
            f"{r['peak_rss_mb']:>12.0f}"
        )
    worst = 0.0
    small, large = sizes[0], sizes[-1]
    for mode in modes:
        ratio = everything[(mode, large)]["peak_rss_mb"] / everything[(mode, small)]["peak_rss_mb"]
        worst = max(worst, ratio)
        print(f"{mode}: peak RSS at {large} / at {small}: {ratio:.2f} (aim: at most {AIM})")
    return 0 if worst <= AIM else 2


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, *rest = sys.argv[2:]
        if kind == "populate":
            answer = anyio.run(child_populate, Path(rest[0]), Path(rest[1]))
        else:
            answer = anyio.run(child_run, Path(rest[0]), rest[1])
        print(json.dumps(answer))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100000,1000000", help="catalog sizes, ascending")
    parser.add_argument("--per-owner", type=int, default=100, help="images per owner")
    parser.add_argument("--modes", default="sync", help="sync and/or plan, comma-separated")
    sys.exit(main(parser.parse_args()))
