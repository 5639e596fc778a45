"""What group commit saves: ops pushed by concurrent workers at 0 ms, each op's ``sent`` and
``done`` written directly or through ``StateStore.batched`` (not a test: run it).

    PYTHONPATH=$PWD python tests/state/bench_batch.py [--ops 2000] [--workers 8] [--url URL]

Every worker takes the next op, marks it sent, then done with its link, as a pusher does
against a target that answers at once; prints the wall time and the transactions of each way.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Sequence

import anyio

from syncer.state import JournalBatch, LinkRow, NewOp, OpRow, PageCommit, StateStore


async def push(writer: StateStore | JournalBatch, todo: list[OpRow], workers: int) -> None:
    async def worker() -> None:
        while todo:
            op = todo.pop()
            await writer.mark_sent(op.id)
            link = LinkRow(op.job, op.target, op.key, f"T-{op.key}", None, None, None, "created")
            await writer.mark_done(op.id, link)

    async with anyio.create_task_group() as group:
        for _ in range(workers):
            group.start_soon(worker)


async def planned(store: StateStore, count: int, label: str) -> Sequence[OpRow]:
    run = await store.start_run(label, "migrate")
    new = [NewOp("moov", f"key-{i:06d}", "create") for i in range(count)]
    return await store.commit_page(PageCommit(run.id, label, "src", ops=new))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        async with StateStore.open(args.url or f"sqlite+aiosqlite:///{tmp}/state.db") as store:
            ops = await planned(store, args.ops, "direct")
            began = time.perf_counter()
            await push(store, list(ops), args.workers)
            direct = time.perf_counter() - began
            print(f"direct:  {direct:.2f} s, {2 * args.ops} transactions")
            ops = await planned(store, args.ops, "batched")
            began = time.perf_counter()
            async with store.batched() as batch:
                await push(batch, list(ops), args.workers)
            grouped = time.perf_counter() - began
            print(
                f"batched: {grouped:.2f} s, {batch.transactions} transactions for "
                f"{batch.requests} requests ({direct / grouped:.1f}x faster)"
            )


if __name__ == "__main__":
    asyncio.run(main())
