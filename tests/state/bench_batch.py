"""What group commit saves: ops pushed by concurrent workers at 0 ms, each op's ``sent`` and
``done`` written directly or through ``StateStore.batched`` (not a test: run it).

    PYTHONPATH=$PWD python tests/state/bench_batch.py [--ops 2000] [--workers 8] [--url URL]

Every worker takes the next op, marks it sent, then done with its link, as a pusher does
against a target that answers at once; prints the wall time and the transactions of each way.
Then the run's whole journal, as the intake and the pushers write it: each record's page
commit (its item and op), a cursor-only commit every ten records, the op's ``sent`` and
``done``, all through one batch; prints the wall time, transactions and SQL statements.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Sequence

import anyio
import sqlalchemy as sa

from syncer.state import ItemRow, JournalBatch, LinkRow, NewOp, OpRow, PageCommit, StateStore


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


async def journal(batch: JournalBatch, run_id: int, label: str, count: int, workers: int) -> None:
    """``count`` records through the intake's and the pushers' writes, ``workers`` at once."""
    todo = list(range(count))

    async def worker() -> None:
        while todo:
            n = todo.pop()
            key = f"key-{n:06d}"
            item = ItemRow(label, key, "o", "v", "a" * 64, 1, "image/png", "m", {"key": key})
            commit = PageCommit(run_id, label, "src", [item], [NewOp("moov", key, "create")])
            [op] = await batch.commit_page(commit)
            if n % 10 == 0:
                await batch.commit_page(PageCommit(run_id, label, "src", cursor={"n": n}))
            await batch.mark_sent(op.id)
            link = LinkRow(label, "moov", key, f"T-{key}", None, None, None, "created")
            await batch.mark_done(op.id, link)

    async with anyio.create_task_group() as group:
        for _ in range(workers):
            group.start_soon(worker)


async def whole_run(store: StateStore, count: int, workers: int) -> None:
    statements = [0]

    def counted(*_: object) -> None:
        statements[0] += 1

    run = await store.start_run("journal", "migrate")
    sa.event.listen(store._db.sync_engine, "before_cursor_execute", counted)
    began = time.perf_counter()
    async with store.batched() as batch:
        await journal(batch, run.id, "journal", count, workers)
    took = time.perf_counter() - began
    print(
        f"journal: {took:.2f} s for {count} records, {batch.requests} requests in "
        f"{batch.transactions} transactions, {statements[0]} statements"
    )


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
            await whole_run(store, args.ops, args.workers)


if __name__ == "__main__":
    asyncio.run(main())
