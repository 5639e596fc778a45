"""One seeded vendor emulator in a process of its own, for the engine benchmarks.

Like ``syncer emulate``, but seeds with the pooled fast path (``VendorEmulator.seed_pooled(count,
K)``: every image its own item, the bytes drawn from K generated ones), so a catalog of
a million images is ready in a minute or two. Prints ``READY <base url>`` once it serves, then
serves until terminated. Binds to 127.0.0.1 only.

    .venv/bin/python bench/emulator_server.py spiffy --seed 100000 --owners 1000 --distinct 64 \
        [--port 0] [--seed-value 1] [--rate-limit R] [--latency-ms MS] [--set KNOB=VALUE] \
        [--manifest PATH]

``--manifest`` writes every image's id, sha256, size and MIME type (what the emulator stored)
before serving: the benchmarks' fast state population reads the fingerprints from it instead
of downloading every image.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import anyio

from syncer.emulators import emulator_class
from syncer.emulators.base import VendorEmulator
from syncer.emulators.faults import FaultConfig
from syncer.emulators.server import serve


def write_manifest(emulator: VendorEmulator, path: Path) -> None:
    """Every image's id, sha256, size and MIME type, one tab-separated line each."""
    with path.open("w", encoding="utf-8") as out:
        for image in emulator.store.iter_images():
            out.write(f"{image.id}\t{image.sha256}\t{image.size}\t{image.mime}\n")


async def main(args: argparse.Namespace) -> None:
    knobs = dict(item.split("=", 1) for item in args.set)
    faults = FaultConfig(rate_limit=args.rate_limit, latency_ms=args.latency_ms)
    emulator = emulator_class(args.vendor)(faults=faults, knobs=knobs)
    started = time.perf_counter()
    gc.disable()  # a million images' dicts make every full collection scan them all
    emulator.seed_pooled(args.seed, args.distinct, args.owners, args.seed_value)
    gc.freeze()  # the seeded catalog lives as long as the process: keep it out of later scans
    gc.enable()
    seeded = time.perf_counter() - started
    if args.manifest:
        await anyio.to_thread.run_sync(write_manifest, emulator, Path(args.manifest))
    async with serve(emulator, "127.0.0.1", args.port) as url:
        print(
            f"READY {url} images={len(emulator.store)} owners={len(emulator.store.owners)} "
            f"seeded_in={seeded:.1f}s",
            flush=True,
        )
        await anyio.sleep_forever()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("vendor")
    parser.add_argument("--seed", type=int, default=0, help="images to seed")
    parser.add_argument("--owners", type=int, default=None, help="owners to seed them over")
    parser.add_argument("--distinct", type=int, default=64, help="distinct images generated")
    parser.add_argument("--seed-value", type=int, default=1)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate-limit", type=float, default=0.0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument(
        "--manifest", help="write 'id TAB sha256 TAB size TAB mime' of every image here"
    )
    parser.add_argument("--set", action="append", default=[], metavar="KNOB=VALUE")
    return parser.parse_args()


if __name__ == "__main__":
    try:
        anyio.run(main, parse())
    except KeyboardInterrupt:
        sys.exit(0)
