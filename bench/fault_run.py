"""Every client operation under injected faults, with the retry bill.

For each vendor: an emulator on loopback with 10% 5xx, 5% connection resets and a rate limit;
a seeded catalog listed to the end and every image read; then N items created, updated,
replaced and deleted through the client. Prints what was injected, what the client retried,
and the emulator's request counters.

    .venv/bin/python bench/fault_run.py [--items N] [--seed-images N] [--rate R]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio

from syncer.emulators.faults import FaultConfig
from syncer.emulators.images import MIME, generate
from syncer.emulators.server import serve
from syncer.http import open_session
from syncer.records import Blob

HARNESSES = {
    "beproduct": "BeProductHarness",
    "moov": "MoovHarness",
    "partium": "PartiumHarness",
    "spiffy": "SpiffyHarness",
}


def harness_for(vendor: str) -> Any:
    module = importlib.import_module(f"syncer.testing.harness.{vendor}")
    return getattr(module, HARNESSES[vendor])()


def make_blob(directory: Path, formats: tuple[str, ...], rng: random.Random) -> Blob:
    image = generate(rng, formats)
    digest = hashlib.sha256(image.data).hexdigest()
    path = directory / digest
    path.write_bytes(image.data)
    return Blob(path=path, sha256=digest, size=len(image.data), mime=MIME[image.fmt])


async def round_trip(
    client: Any,
    harness: Any,
    owner: str,
    index: int,
    directory: Path,
    rng: random.Random,
    done: list[str],
) -> None:
    blob = make_blob(directory, harness.formats, rng)
    record = harness.record(owner, index, blob)
    item = await client.create(record, blob)
    edited = harness.edit(record, f"edited {index}")
    item = await client.update(item.id, edited)
    new_blob = make_blob(directory, harness.formats, rng)
    changed = replace(edited, sha256=new_blob.sha256)
    item = await client.replace(item.id, changed, new_blob)
    await client.delete(item.id, changed)
    done.append(record.key)


async def run_vendor(vendor: str, items: int, seed_images: int, rate: float) -> dict[str, Any]:
    harness = harness_for(vendor)
    emulator = harness.emulator()
    emulator.seed(seed_images, 4, seed_value=1)
    owner = harness.target_owner(emulator)
    started = time.monotonic()
    async with serve(emulator) as url, open_session() as session:
        client = harness.client(url, session, page_size=10)
        emulator.faults.configure(
            FaultConfig(error_rate=0.10, reset_rate=0.05, rate_limit=rate, seed=42)
        )
        listed = [r async for page in client.pages(None) for r in page.records]
        for record in listed:
            async with client.open(record) as chunks:
                async for _ in chunks:
                    pass
        done: list[str] = []
        rng = random.Random(5)
        with tempfile.TemporaryDirectory() as tmp:
            async with anyio.create_task_group() as group:
                for index in range(items):
                    group.start_soon(
                        round_trip, client, harness, owner, index, Path(tmp), rng, done
                    )
        injected = dict(emulator.injected)
        return {
            "vendor": vendor,
            "listed": len(listed),
            "round_trips": len(done),
            "requests": sum(emulator.requests.values()),
            "injected": injected,
            "faults": sum(injected.values()),
            "retries": client.http.retries,
            "seconds": time.monotonic() - started,
        }


async def main(args: argparse.Namespace) -> int:
    print(
        f"faults: 10% 5xx, 5% resets, rate limit {args.rate}/s; {args.seed_images} seeded "
        f"images listed and read, {args.items} create/update/replace/delete round trips\n"
    )
    header = (
        f"{'vendor':10} {'listed':>6} {'trips':>5} {'requests':>8} {'faults':>6} "
        f"{'retries':>7} {'ratio':>5} {'time':>6}  injected"
    )
    print(header)
    worst = 0.0
    for vendor in args.vendors:
        r = await run_vendor(vendor, args.items, args.seed_images, args.rate)
        ratio = r["retries"] / r["faults"] if r["faults"] else 0.0
        worst = max(worst, ratio)
        print(
            f"{vendor:10} {r['listed']:>6} {r['round_trips']:>5} {r['requests']:>8} "
            f"{r['faults']:>6} {r['retries']:>7} {ratio:>5.2f} {r['seconds']:>5.1f}s  "
            f"{r['injected']}"
        )
    print(f"\nworst retries/faults ratio: {worst:.2f} (goal: at most 2)")
    return 0 if worst <= 2 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--seed-images", type=int, default=60)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--vendors", nargs="*", default=list(HARNESSES))
    sys.exit(anyio.run(main, parser.parse_args()))
