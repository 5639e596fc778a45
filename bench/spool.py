"""Spooling throughput and memory: large files streamed into the spool and read back.

Each size is written as a stream of ``--chunk``-byte pieces (as a download arrives), hashed on
the way, then read back through ``Spool.open``. Peak RSS is printed after each size: it must not
grow with the file size (the spool never holds a whole file).

    .venv/bin/python bench/spool.py [--sizes 32,128,512] [--chunk 65536] [--no-durable]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import anyio

from syncer.spool import Spool

MB = 1_000_000


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB


async def download(size: int, chunk: int) -> AsyncIterator[bytes]:
    """``size`` bytes in ``chunk``-byte pieces, each a new object as from a socket."""
    block = os.urandom(chunk)
    for index in range(size // chunk):
        yield index.to_bytes(8, "big") + block[8:]
    if size % chunk:
        yield block[: size % chunk]


async def measure(spool: Spool, size: int, chunk: int) -> tuple[float, float]:
    """Write then read one ``size``-byte file: MB/s each way."""
    started = time.perf_counter()
    blob = await spool.write(download(size, chunk))
    written = time.perf_counter() - started
    started = time.perf_counter()
    read = 0
    async for piece in spool.open(blob):
        read += len(piece)
    assert read == size, (read, size)
    elapsed = time.perf_counter() - started
    await spool.remove(blob.sha256)
    return size / MB / written, size / MB / elapsed


async def main(sizes: list[int], chunk: int, durable: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="spool-bench-") as directory:
        async with Spool(Path(directory), durable=durable) as spool:
            await measure(spool, 8 * MB, chunk)  # warm up: worker threads, imports
            print(
                f"chunk {chunk} bytes, durable={durable}; after an 8 MB warm-up, peak RSS "
                f"{peak_rss_mb():.1f} MB"
            )
            print(f"{'size MB':>8} {'write MB/s':>11} {'read MB/s':>10} {'peak RSS MB':>12}")
            for size_mb in sizes:
                write, read = await measure(spool, size_mb * MB, chunk)
                print(f"{size_mb:>8} {write:>11.0f} {read:>10.0f} {peak_rss_mb():>12.1f}")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="32,128,512", help="file sizes in MB, ascending")
    parser.add_argument("--chunk", type=int, default=65_536, help="bytes per streamed chunk")
    parser.add_argument("--no-durable", action="store_true", help="skip fsync before rename")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse()
    anyio.run(
        main,
        [int(size) for size in arguments.sizes.split(",")],
        arguments.chunk,
        not arguments.no_durable,
    )
