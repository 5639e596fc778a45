"""The HTML page of a large plan: render time, page size and peak memory, and (``--browser``) how
long Chromium takes to load the page and to apply a filter.

A plan of ``--entries`` entries (creates, updates, replaces, deletes and skips over three targets,
each file its own sha256) is saved as a plan file and read back streamed, as ``syncer plan``
would; ``--thumbs`` of its files have a thumbnail (a real ~1.7 kB WebP each, made once and
varied). Peak RSS must not grow with the entries: the page is written a row at a time.

    .venv/bin/python bench/html_page.py [--entries 100000] [--thumbs 10000] [--browser]
"""

from __future__ import annotations

import argparse
import base64
import io
import random
import resource
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from syncer.plans.html import render_html
from syncer.plans.jsonfile import read_document, save_document
from syncer.plans.model import Change, Document, Entry, FileFacts, Header, Kind, Summary

MB = 1_000_000
ACTIONS = ("create", "create", "create", "update", "replace", "delete", "skip")


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB


def entries(count: int) -> Iterator[Entry]:
    for i in range(count):
        action = ACTIONS[i % len(ACTIONS)]
        old = FileFacts(f"{i:064x}", 300_000 + i, "image/jpeg", 1200, 900)
        new = FileFacts(f"{i + count:064x}", 400_000 + i, "image/jpeg", 1600, 1200)
        yield Entry(
            ("shop", "parts", "plm")[i % 3],
            f"sku-{i}/image-{i % 7}",
            action,
            "unsupported_type" if action == "skip" else f"{action}_reason",
            f"why item {i} is a {action}",
            filename=f"product-{i}-front.jpg",
            owner=f"P-{i // 5}",
            target_id=f"t{i}" if action != "create" else None,
            old=old if action in ("replace", "delete") else None,
            new=new if action in ("create", "replace") else None,
            changes=(Change("alt", f"old alt {i}", f"new alt {i}"),) if action == "update" else (),
        )


def thumbnails(count: int, entries_count: int) -> dict[str, str]:
    """``count`` thumbnails: one real WebP, its bytes varied per file (size kept)."""
    rng = random.Random(3)
    image = Image.frombytes("RGB", (12, 12), rng.randbytes(432)).resize((96, 72))
    out = io.BytesIO()
    image.save(out, "WEBP", quality=60)
    uri = "data:image/webp;base64," + base64.b64encode(out.getvalue()).decode()
    return {f"{i + entries_count:064x}": uri for i in range(count)}


def make_plan(path: Path, count: int, thumbs: int) -> None:
    summary = Summary()
    for entry in entries(count):
        summary.add(entry)
    header = Header(Kind.PLAN, "bench", "2026-12-04T10:00:00+00:00", id="plan-bench")
    save_document(
        Document(header, summary, lambda: entries(count), thumbnails(thumbs, count)), path
    )


def browse(page_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
        )
        page = browser.new_page()
        started = time.perf_counter()
        page.goto(page_path.as_uri(), wait_until="load", timeout=300_000)
        print(f"chromium: loaded in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        page.select_option('select[name="action"]', "delete")
        shown = page.inner_text("#shown")
        print(f"chromium: filter action=delete in {time.perf_counter() - started:.2f} s ({shown})")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--thumbs", type=int, default=10_000)
    parser.add_argument("--browser", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        plan, page = Path(folder) / "plan.json", Path(folder) / "plan.html"
        make_plan(plan, args.entries, args.thumbs)
        before = peak_rss_mb()
        started = time.perf_counter()
        with page.open("w", encoding="utf-8") as out:
            render_html(read_document(plan), out)
        took = time.perf_counter() - started
        size = page.stat().st_size / MB
        print(
            f"{args.entries} entries: rendered in {took:.1f} s, page {size:.1f} MB, "
            f"peak RSS {before:.0f} MB before, {peak_rss_mb():.0f} MB after"
        )
        if args.browser:
            browse(page)


if __name__ == "__main__":
    main()
