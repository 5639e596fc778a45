"""A no-change ``syncer sync`` of a large catalog, against the bare listing of the same catalog.

The source is a Spiffy Stores emulator in a process of its own (``bench/emulator_server.py``),
seeded with ``--items`` images over ``--items / --per-owner`` owners (products and
collections) with the pooled fast path; Spiffy's version token (``id:digest``) vouches for the
bytes, so a sync with nothing changed downloads nothing. Pages are Spiffy's largest, 50 images.

1. The state is populated as a first migration would leave it (``benchlib.populate_state``:
   the source listed for real, every page committed through the state store; the fingerprints
   from the emulator's manifest; nothing pushed). ``--check N`` first proves, on N items, that
   this gives the same items and links as a real ``run_job(Mode.MIGRATE)`` to a Spiffy target
   emulator, and the same no-change sync.
2. Bare listing: ``client.pages()`` of the job's source client over the whole catalog (no
   state, no planning), timed.
3. No-change sync: ``run_job(Mode.SYNC)`` through the engine and the real state store (SQLite
   in a temp dir), timed; it must list every item, plan nothing and download nothing.

Steps 2 and 3 alternate ``--repeat`` times at each ``--latency-ms`` (added to every source
request through the admin API; several values are timed in turn on the one populated state);
the best of each is compared. Aims (issue 10): the sync takes at most 1.3 x the bare listing at
0 ms, and 1.05 x with latency.

    .venv/bin/python bench/nochange_sync.py [--items 100000] [--per-owner 100] [--repeat 2] \
        [--latency-ms 0,20] [--check 1000]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
from benchlib import (
    Stopwatch,
    populate_state,
    read_manifest,
    seeded_emulator,
    source_client,
    state_rows,
    write_job,
)

from syncer.engine.run import Mode, run_job
from syncer.http import open_session
from syncer.spool import Spool
from syncer.state import StateStore

AIM = 1.3
#: The aim with a source round trip (``--latency-ms`` above 0): the listing's waits dominate.
AIM_WITH_LATENCY = 1.05
#: The listing a no-change sync of each source makes once a full sweep was recorded.
LISTING = {"spiffy": "full", "beproduct": "incremental"}


async def bare_listing(job: Any) -> int:
    """Every record of the source, listed with its client and nothing else."""
    listed = 0
    async with open_session() as session:
        client = source_client(job, session)
        async for page in client.pages(None):
            listed += len(page.records)
    return listed


async def no_change_sync(job: Any, directory: Path) -> Any:
    async with (
        await StateStore.open(job.state) as store,
        Spool(directory / "spool") as spool,
        open_session() as session,
    ):
        return await run_job(job, Mode.SYNC, store=store, spool=spool, session=session)


def check_summary(summary: Any, items: int, listing: str = "full") -> str:
    """Empty when the sync was a true no-change sync (of every item for a full listing; of at
    most the item on the watermark for an incremental one), else what was off."""
    problems = []
    expected = items if listing == "full" else min(summary.listed, 1)
    if summary.listed != expected:
        problems.append(f"listed {summary.listed} of {expected}")
    if sum(summary.planned.values()) or summary.downloaded:
        problems.append(f"planned {dict(summary.planned)}, downloaded {summary.downloaded}")
    if summary.skipped.get("target: unchanged", 0) != expected:
        problems.append(f"skipped {dict(summary.skipped)}")
    if summary.listing != listing:
        problems.append(f"listing was {summary.listing}, not {listing}")
    return "; ".join(problems)


async def set_latency(url: str, latency_ms: float) -> None:
    """The source's added latency per request, set through its admin API."""
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.patch(f"{url}/_emulator/faults", json={"latency_ms": latency_ms}) as answer,
    ):
        answer.raise_for_status()


async def check_population(items: int, per_owner: int) -> bool:
    """On ``items`` items: a real migration and the fast population leave the same items and
    links (target-side ids aside), and the same no-change sync follows both."""
    owners = max(1, items // per_owner)
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        root = Path(tmp)
        manifest_path = root / "manifest.tsv"
        with (
            seeded_emulator("spiffy", seed=items, owners=owners, manifest=manifest_path) as src,
            seeded_emulator("spiffy", seed=0, owners=owners) as dst,
        ):
            states = []
            for label in ("real", "fast"):
                directory = root / label
                directory.mkdir()
                job = write_job(directory, ("spiffy", src.url), ("spiffy", dst.url))
                async with (
                    await StateStore.open(job.state) as store,
                    Spool(directory / "spool") as spool,
                    open_session() as session,
                ):
                    with Stopwatch() as watch:
                        if label == "real":
                            summary = await run_job(
                                job, Mode.MIGRATE, store=store, spool=spool, session=session
                            )
                            assert summary.status == "succeeded", summary.errors[:3]
                        else:
                            await populate_state(job, store, session, read_manifest(manifest_path))
                    states.append(await state_rows(store, job.name))
                    print(f"  {label} population of {items} items: {watch.seconds:.1f}s")
                summary = await no_change_sync(job, directory)
                problem = check_summary(summary, items)
                print(f"  no-change sync after the {label} one: {problem or 'ok'}")
                if problem:
                    return False
    (real_items, real_links), (fast_items, fast_links) = states
    same = real_items == fast_items and real_links == fast_links
    print(
        f"  items identical: {real_items == fast_items} ({len(real_items)} rows), "
        f"links identical: {real_links == fast_links} ({len(real_links)} rows)"
    )
    return same


async def timed_rounds(job: Any, root: Path, args: argparse.Namespace, latency_ms: float) -> float:
    """``--repeat`` alternating bare listings and no-change syncs at the source's
    ``latency_ms``; the best sync over the best listing, or -1 when a sync was wrong."""
    await set_latency(job.source.base_url, latency_ms)
    listings: list[float] = []
    syncs: list[float] = []
    for attempt in range(1, args.repeat + 1):
        gc.collect()
        with Stopwatch() as watch:
            listed = await bare_listing(job)
        listings.append(watch.seconds)
        assert listed == args.items, (listed, args.items)
        gc.collect()
        with Stopwatch() as watch:
            summary = await no_change_sync(job, root)
        syncs.append(watch.seconds)
        problem = check_summary(summary, args.items, LISTING[args.source])
        print(
            f"{latency_ms:g} ms, round {attempt}: bare listing {listings[-1]:.2f}s, no-change "
            f"sync {syncs[-1]:.2f}s ({syncs[-1] / listings[-1]:.2f}x) "
            f"{'ok' if not problem else 'WRONG: ' + problem}"
        )
        if problem:
            return -1.0
    best_list, best_sync = min(listings), min(syncs)
    print(
        f"  {args.source}, {args.items} items, {summary.listing} sync, latency {latency_ms:g} ms: "
        f"bare listing {best_list:.2f}s ({args.items / best_list:,.0f} items/s), no-change "
        f"sync {best_sync:.2f}s ({args.items / best_sync:,.0f} items/s)"
    )
    return best_sync / best_list


async def populated(root: Path, args: argparse.Namespace, src: Any, dst: Any) -> Any:
    """The job, its state populated as a first migration would leave it."""
    job = write_job(root, (args.source, src.url), ("spiffy", dst.url))
    async with await StateStore.open(job.state) as store, open_session() as session:
        with Stopwatch() as watch:
            manifest = read_manifest(root / "manifest.tsv")
            count = await populate_state(job, store, session, manifest)
        del manifest
    print(f"state populated with {count} items in {watch.seconds:.1f}s")
    return job


async def main(args: argparse.Namespace) -> int:
    if args.check:
        print(f"check: fast population against a real migration, {args.check} items")
        if not await check_population(args.check, args.per_owner):
            print("check FAILED: the fast population is not what a migration leaves")
            return 1
    owners = max(1, args.items // args.per_owner)
    ratios: dict[float, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        root = Path(tmp)
        manifest = root / "manifest.tsv"
        with seeded_emulator(args.source, seed=args.items, owners=owners, manifest=manifest) as src:
            print(f"source: {src.banner}")
            # Nothing is pushed (the population writes no target, the sync plans nothing): the
            # target needs no owners, and Spiffy's emulator makes many owners slowly.
            with seeded_emulator("spiffy", seed=0, owners=1) as dst:
                job = await populated(root, args, src, dst)
                for latency in args.latency_ms:
                    ratios[latency] = await timed_rounds(job, root, args, latency)
                    if ratios[latency] < 0:
                        return 1
    print()
    for latency, ratio in ratios.items():
        print(
            f"no-change sync / bare listing at {latency:g} ms: {ratio:.2f} "
            f"(aim: at most {aim(latency)})"
        )
    return 0 if all(ratio <= aim(latency) for latency, ratio in ratios.items()) else 2


def aim(latency_ms: float) -> float:
    """Issue 10's aims: 1.3x the bare listing at 0 ms; 1.05x with a SaaS round trip."""
    return AIM if latency_ms == 0 else AIM_WITH_LATENCY


def latencies(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected numbers like 0,20") from None
    if not values or any(value < 0 for value in values):
        raise argparse.ArgumentTypeError(f"{text!r}: expected numbers of at least 0")
    return values


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--per-owner", type=int, default=100, help="images per owner")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--source",
        choices=sorted(LISTING),
        default="spiffy",
        help="spiffy: a full listing every sync; beproduct: an incremental one (modifiedAt)",
    )
    parser.add_argument(
        "--latency-ms",
        type=latencies,
        default=[0.0],
        help="latency per source request while timing (a SaaS API's round trip); several, "
        "comma-separated (0,20), are timed in turn on one populated state",
    )
    parser.add_argument(
        "--check", type=int, default=0, metavar="N", help="first check the population on N items"
    )
    sys.exit(anyio.run(main, parser.parse_args()))
