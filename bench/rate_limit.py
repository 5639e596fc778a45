"""Migration throughput against a rate-limited target, as a fraction of its ceiling.

The target is Spiffy Stores, whose create is exactly one request per image (a ``POST`` of the
Base64 ``attachment``; no look-up first, no batch), started as its own process with
``syncer emulate spiffy --rate-limit R`` (a token bucket of R requests/s with a burst of one
second; beyond it, 429 with ``Retry-After``). The source is a Spiffy emulator in another process
(``bench/emulator_server.py``, unlimited) with ``--items`` images. Each case is a real
``run_job(Mode.MIGRATE)`` with fresh state and a fresh target:

- ``configured``: the job's target has ``rate = R`` (the limiter starts at the ceiling);
- ``adaptive``: no rate in the job, so the adaptive token bucket has to find the limit from
  the 429s (it starts unlimited);
- ``unlimited`` (only with ``--engine-ceiling``): no rate limit at all, to show how fast the
  engine itself pushes, so that R is known to be below it.

While the job runs, the target's ``/_emulator/stats`` counters are sampled every 0.2 s. The
achieved rate is the successful creates (``POST .../images.json`` answered 201) per second,
over the steady part of the run (from 10% to 90% of the creates) and over the whole push
(first create to last). Aim: at least 0.9 of R.

    .venv/bin/python bench/rate_limit.py [--rate 20] [--items 600] [--concurrency 4] \
        [--cases configured,adaptive] [--engine-ceiling]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from benchlib import request_counts, seeded_emulator, write_job

from syncer.emulators.process import emulator_process
from syncer.engine.run import Mode, run_job
from syncer.http import open_session
from syncer.spool import Spool
from syncer.state import StateStore

AIM = 0.9
SAMPLE_EVERY = 0.2


def counts(url: str) -> tuple[int, int, int]:
    """(successful creates, 429 answers, all requests) so far, from the target's counters."""
    created = throttled = total = 0
    for row in request_counts(url):
        total += row["count"]
        if row["status"] == 429:
            throttled += row["count"]
        elif row["method"] == "POST" and "images" in row["route"] and 200 <= row["status"] < 300:
            created += row["count"]
    return created, throttled, total


def time_at(samples: list[tuple[float, int]], wanted: float) -> float:
    """When the create count reached ``wanted`` (linear between samples)."""
    previous_t, previous_n = samples[0]
    for t, n in samples:
        if n >= wanted:
            if n == previous_n:
                return t
            return previous_t + (t - previous_t) * (wanted - previous_n) / (n - previous_n)
        previous_t, previous_n = t, n
    return samples[-1][0]


async def one_case(
    case: str, rate: float, items: int, concurrency: int, source_url: str, owners: int
) -> dict[str, Any]:
    limit = 0.0 if case == "unlimited" else rate
    target_args = ["--seed", "0", "--owners", str(owners), "--seed-value", "1"]
    target_args += ["--rate-limit", str(limit)]
    options = f"concurrency = {concurrency}\n" + (
        f"rate = {rate}\n" if case == "configured" else ""
    )
    with (
        tempfile.TemporaryDirectory(prefix="bench-rate-") as tmp,
        emulator_process("spiffy", *target_args) as target,
    ):
        root = Path(tmp)
        job = write_job(
            root, ("spiffy", source_url), ("spiffy", target.url), target_options=options
        )
        samples: list[tuple[float, int]] = []
        started = time.monotonic()
        async with (
            await StateStore.open(job.state) as store,
            Spool(root / "spool") as spool,
            open_session() as session,
            anyio.create_task_group() as group,
        ):

            async def sample() -> None:
                while True:
                    created, _, _ = await anyio.to_thread.run_sync(counts, target.url)
                    samples.append((time.monotonic() - started, created))
                    await anyio.sleep(SAMPLE_EVERY)

            group.start_soon(sample)
            summary = await run_job(job, Mode.MIGRATE, store=store, spool=spool, session=session)
            group.cancel_scope.cancel()
        elapsed = time.monotonic() - started
        created, throttled, total = counts(target.url)
    samples.append((elapsed, created))
    first, last = time_at(samples, 1), time_at(samples, created)
    low, high = time_at(samples, 0.1 * created), time_at(samples, 0.9 * created)
    return {
        "case": case,
        "status": summary.status,
        "done": sum(summary.done.values()),
        "created": created,
        "throttled": throttled,
        "requests": total,
        "seconds": elapsed,
        "overall": (created - 1) / (last - first) if last > first else 0.0,
        "steady": 0.8 * created / (high - low) if high > low else 0.0,
    }


async def main(args: argparse.Namespace) -> int:
    cases = args.cases.split(",") + (["unlimited"] if args.engine_ceiling else [])
    owners = max(1, args.items // 100)
    print(
        f"target: syncer emulate spiffy --rate-limit {args.rate} (create = 1 POST per image); "
        f"{args.items} images from a Spiffy source over {owners} owners; target concurrency "
        f"{args.concurrency}\n"
    )
    with seeded_emulator("spiffy", seed=args.items, owners=owners) as source:
        results = [
            await one_case(case, args.rate, args.items, args.concurrency, source.url, owners)
            for case in cases
        ]
    print(
        f"{'case':11} {'status':9} {'creates':>7} {'429s':>5} {'requests':>8} {'time':>6} "
        f"{'steady/s':>8} {'overall/s':>9} {'steady/R':>8} {'overall/R':>9}"
    )
    worst = 1.0
    for r in results:
        print(
            f"{r['case']:11} {r['status']:9} {r['created']:>7} {r['throttled']:>5} "
            f"{r['requests']:>8} {r['seconds']:>5.0f}s {r['steady']:>8.2f} {r['overall']:>9.2f} "
            f"{r['steady'] / args.rate:>8.2f} {r['overall'] / args.rate:>9.2f}"
        )
        if r["case"] != "unlimited":
            worst = min(worst, r["steady"] / args.rate)
            if r["created"] != args.items or r["status"] != "succeeded":
                print(f"  {r['case']}: not every image was created once")
                return 1
    print(f"\nworst steady creates/s / R: {worst:.2f} (aim: at least {AIM})")
    return 0 if worst >= AIM else 2


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=20.0, help="the target's requests/s")
    parser.add_argument("--items", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=4, help="the job target's")
    parser.add_argument("--cases", default="configured,adaptive")
    parser.add_argument("--engine-ceiling", action="store_true", help="also run unlimited")
    sys.exit(anyio.run(main, parser.parse_args()))
