"""How long ``StateStore.listing_state`` takes for one listed group (not a test: run it).

    PYTHONPATH=$PWD python tests/state/bench_listing_state.py [--groups 40] [--url URL]

Fills a fresh SQLite store (or ``--url``) with ``groups`` x 500 items, each linked on three
targets with a done op, one key in ten with an open op, then reads every 500-key group once
with 1 target and once with 3, and prints the wall time (median, min) and the CPU time
(all threads, so aiosqlite's too; steadier on a busy machine) per group. The state is
written through the tables, so the script runs against any version of the store's API.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

from syncer.state import StateStore
from syncer.state.models import items, links, ops, runs
from syncer.state.sql import upsert

GROUP = 500
TARGETS = ("moov", "spiffy", "partium")


ITEM = {
    "owner": "p",
    "version": "v1",
    "sha256": "a" * 64,
    "size": 10,
    "mime": "image/png",
    "meta_hash": "m",
}
LINK = {
    "sha256": "a" * 64,
    "meta_hash": "m",
    "target_version": "1",
    "origin": "created",
    "basis": "b",
}
RUN = {"id": 1, "mode": "sync", "status": "succeeded", "counts": {}}
OP = {
    "run_id": 1,
    "action": "create",
    "target_id": None,
    "payload": {},
    "attempts": 0,
    "error": None,
}


async def fill(store: StateStore, job: str, count: int) -> list[str]:
    """``count`` items of ``job``, linked on every target, each with a create op there."""
    now = datetime.now(UTC)
    keys = [f"key-{i:07d}" for i in range(count)]
    run = {**RUN, "job": job, "started_at": now, "heartbeat_at": now, "finished_at": now}
    item = {**ITEM, "last_seen_run": 1, "gone": False, "tombstone": False}
    link = {**LINK, "updated_at": now, "pushed_json": '{"owner":"p"}'}
    op = {**OP, "updated_at": now}
    async with store._write() as conn:
        await conn.execute(runs.insert().values(**run))
        rows = [{**item, "job": job, "key": k, "record": {"key": k}} for k in keys]
        await upsert(conn, items, rows, ("job", "key"))
        linked = [
            {**link, "job": job, "target": t, "key": k, "target_id": f"T-{k}"}
            for t in TARGETS
            for k in keys
        ]
        await upsert(conn, links, linked, ("job", "target", "key"))
        journal: list[dict[str, Any]] = [
            {**op, "job": job, "target": t, "key": k, "state": "done" if i % 10 else "planned"}
            for i, k in enumerate(keys)
            for t in TARGETS
        ]
        for start in range(0, len(journal), 500):
            await conn.execute(ops.insert(), journal[start : start + 500])
    return keys


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", type=int, default=40)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite+aiosqlite:///{tmp}/state.db"
        async with StateStore.open(url) as store:
            keys = await fill(store, "shop", args.groups * GROUP)
            async with store._write() as conn:  # statistics, as a database in use has them
                await conn.exec_driver_sql("ANALYZE")
            groups = [keys[i : i + GROUP] for i in range(0, len(keys), GROUP)]
            for targets in (TARGETS[:1], TARGETS):
                await store.listing_state("shop", list(targets), groups[0])  # warm the cache
                times, cpu = [], time.process_time()
                for group in groups:
                    began = time.perf_counter()
                    await store.listing_state("shop", list(targets), group)
                    times.append(time.perf_counter() - began)
                cpu = (time.process_time() - cpu) / len(groups)
                print(
                    f"{len(targets)} target(s), {len(groups)} groups of {GROUP} keys: "
                    f"wall median {statistics.median(times) * 1000:.2f} ms, "
                    f"min {min(times) * 1000:.2f} ms; CPU {cpu * 1000:.2f} ms per group"
                )


if __name__ == "__main__":
    asyncio.run(main())
