"""Group commit of journal writes (``StateStore.batched``) and the one-statement listing read."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import anyio
import pytest
import sqlalchemy as sa

from syncer.errors import StateError
from syncer.state import ItemRow, JournalBatch, LinkRow, NewOp, OpRow, PageCommit, StateStore
from syncer.state.models import ops as ops_table

from .conftest import LEASE, Clock


async def planned(store: StateStore, count: int, target: str = "moov") -> tuple[int, list[OpRow]]:
    run = await store.start_run("shop", "sync")
    new = [NewOp(target, f"k{i:03d}", "create") for i in range(count)]
    return run.id, await store.commit_page(PageCommit(run.id, "shop", "src", ops=new))


async def states(store: StateStore, ids: Sequence[int]) -> dict[int, str]:
    query = sa.select(ops_table.c.id, ops_table.c.state).where(ops_table.c.id.in_(list(ids)))
    async with store._read() as conn:
        return {row.id: row.state for row in await conn.execute(query)}


async def until(condition: Callable[[], bool]) -> None:
    with anyio.fail_after(10):
        while not condition():  # noqa: ASYNC110 - a counter of the code under test
            await anyio.sleep(0.005)


@asynccontextmanager
async def writes_held(other: StateStore, op_id: int) -> AsyncIterator[None]:
    """Hold a write on ``op_id`` from another store (SQLite: the database's write lock;
    PostgreSQL: the row's lock), so a batch's transaction touching it waits until the end."""
    async with other._write() as conn:
        await conn.execute(ops_table.update().where(ops_table.c.id == op_id).values(error=None))
        yield


async def test_concurrent_mark_sents_share_few_transactions_and_are_durable_on_return(
    store: StateStore, other: StateStore
) -> None:
    _, ops = await planned(store, 50)
    durable: list[str] = []

    async def send(batch: JournalBatch, op: OpRow) -> None:
        await batch.mark_sent(op.id)
        durable.append((await states(other, [op.id]))[op.id])  # the request may leave now

    async with store.batched() as batch, anyio.create_task_group() as group:
        for op in ops:
            group.start_soon(send, batch, op)
    assert durable == ["sent"] * 50
    assert batch.requests == 50
    assert batch.transactions <= 10, batch.transactions
    assert set((await states(other, [o.id for o in ops])).values()) == {"sent"}


async def test_requests_made_during_a_transaction_go_in_the_next_one(
    store: StateStore, other: StateStore
) -> None:
    _, ops = await planned(store, 21)
    first, rest = ops[0], ops[1:]
    updates: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE"):
            updates.append(statement)

    sa.event.listen(store._db.sync_engine, "before_cursor_execute", count)
    async with (
        store.batched() as batch,
        anyio.create_task_group() as group,
        writes_held(other, first.id),
    ):
        group.start_soon(batch.mark_sent, first.id)
        await until(lambda: batch.requests == 1)
        for op in rest:
            group.start_soon(batch.mark_sent, op.id)
        await until(lambda: batch.requests == 21)
    assert batch.transactions == 2  # the first alone, then the twenty queued behind it
    assert len(updates) == 2  # consecutive mark_sent calls share one UPDATE
    assert set((await states(other, [o.id for o in ops])).values()) == {"sent"}


async def test_a_bad_transition_raises_only_to_its_caller(
    store: StateStore, other: StateStore
) -> None:
    _, ops = await planned(store, 6)
    first, bad, good = ops[0], ops[3], [*ops[1:3], *ops[4:]]
    await store.mark_done(bad.id)
    outcomes: dict[int, str] = {}

    async def send(op_id: int) -> None:
        try:
            await batch.mark_sent(op_id)
            outcomes[op_id] = "ok"
        except StateError as exc:
            outcomes[op_id] = str(exc)

    async with (
        store.batched() as batch,
        anyio.create_task_group() as group,
        writes_held(other, first.id),
    ):
        group.start_soon(send, first.id)
        await until(lambda: batch.requests == 1)
        for op in ops[1:]:
            group.start_soon(send, op.id)
        await until(lambda: batch.requests == 6)
    assert outcomes.pop(bad.id) == f"op {bad.id} (create k003 on moov) cannot become sent from done"
    assert outcomes == dict.fromkeys([first.id, *(o.id for o in good)], "ok")
    # The first alone, the rejected group of five, then the two before the bad one together,
    # the bad one alone, the two after it together.
    assert batch.transactions == 1 + 1 + 3
    found = await states(other, [o.id for o in ops])
    assert found == {**{o.id: "sent" for o in ops}, bad.id: "done"}


async def test_requests_apply_in_the_order_they_were_made(
    store: StateStore, other: StateStore
) -> None:
    run_id, [first, failing] = await planned(store, 2)
    again = NewOp("moov", failing.key, "create")
    opened: list[OpRow] = []

    async def plan_again() -> None:
        opened.extend(await batch.commit_page(PageCommit(run_id, "shop", "src", ops=[again])))

    async with (
        store.batched() as batch,
        anyio.create_task_group() as group,
        writes_held(other, first.id),
    ):
        group.start_soon(batch.mark_sent, first.id)
        await until(lambda: batch.requests == 1)
        group.start_soon(batch.mark_failed, failing.id, "HTTP 503", True)
        await until(lambda: batch.requests == 2)
        group.start_soon(plan_again)
        await until(lambda: batch.requests == 3)
    assert batch.transactions == 2  # the failure and the new plan in one, in that order
    # Failed first, then superseded by the new plan (the other way, it would stay failed).
    assert await store.failed_ops("shop") == []
    assert (await states(other, [failing.id]))[failing.id] == "skipped"
    assert [(o.key, o.state) for o in opened] == [(failing.key, "planned")]


async def test_a_page_and_the_transitions_of_its_ops_through_one_batch(
    store: StateStore, other: StateStore
) -> None:
    run = await store.start_run("shop", "sync")
    record = ItemRow("shop", "k1", "p", "v", "a" * 64, 1, "image/png", "m", {"key": "k1"})
    new = [NewOp("moov", "k1", "create"), NewOp("spiffy", "k1", "create")]
    link = LinkRow("shop", "moov", "k1", "T1", "a" * 64, "m", None, "created")
    async with store.batched() as batch:
        commit = PageCommit(run.id, "shop", "src", [record], new, cursor={"page": 2})
        create, refused = await batch.commit_page(commit)
        await batch.mark_sent(create.id, refused.id)
        await batch.mark_done(create.id, link)
        await batch.mark_failed(refused.id, "HTTP 400", retryable=False)
        await batch.mark_skipped(refused.id, "given up")
    assert await states(other, [create.id, refused.id]) == {
        create.id: "done",
        refused.id: "skipped",
    }
    assert await other.links("shop", "moov", ["k1"]) == {"k1": link}
    assert (await other.items("shop", ["k1"]))["k1"].last_seen_run == run.id
    assert (batch.requests, batch.transactions) == (5, 5)  # one at a time: nothing to group
    with pytest.raises(RuntimeError, match="closed"):
        await batch.mark_sent(create.id)


async def test_a_batched_page_is_fenced_and_checked_like_a_direct_one(
    store: StateStore, clock: Clock
) -> None:
    dead = await store.start_run("shop", "sync")
    clock.advance(LEASE + 1)
    await store.start_run("shop", "sync")
    record = ItemRow("shop", "k", None, None, None, None, None, None, {})
    async with store.batched() as batch:
        with pytest.raises(StateError, match="no longer running"):
            await batch.commit_page(PageCommit(dead.id, "shop", "src", [record], cursor={}))
        with pytest.raises(ValueError, match="items of job"):
            await batch.commit_page(PageCommit(dead.id, "other", "src", [record]))
        with pytest.raises(ValueError, match="not both"):
            await batch.mark_done(
                1, LinkRow("shop", "t", "k", "T", None, None, None, "created"), True
            )
    assert await store.items("shop", ["k"]) == {}
    assert batch.transactions == 1


async def test_a_cancelled_caller_still_has_its_write_applied_whole(
    store: StateStore, other: StateStore
) -> None:
    _, [first, second, third] = await planned(store, 3)
    scope = anyio.CancelScope()

    async def cancelled() -> None:
        with scope:
            await batch.mark_sent(second.id)
            await anyio.sleep(10)  # the cancellation lands here, after the write

    async with (
        store.batched() as batch,
        anyio.create_task_group() as group,
        writes_held(other, first.id),
    ):
        group.start_soon(batch.mark_sent, first.id)
        await until(lambda: batch.requests == 1)
        group.start_soon(cancelled)
        await until(lambda: batch.requests == 2)
        group.start_soon(batch.mark_sent, third.id)
        await until(lambda: batch.requests == 3)
        scope.cancel()
    assert scope.cancelled_caught
    ids = [first.id, second.id, third.id]
    assert set((await states(other, ids)).values()) == {"sent"}
    assert batch.transactions == 2


async def test_max_batch_bounds_a_transaction(store: StateStore, other: StateStore) -> None:
    _, ops = await planned(store, 11)
    async with (
        store.batched(max_batch=4) as batch,
        anyio.create_task_group() as group,
        writes_held(other, ops[0].id),
    ):
        group.start_soon(batch.mark_sent, ops[0].id)
        await until(lambda: batch.requests == 1)
        for op in ops[1:]:
            group.start_soon(batch.mark_sent, op.id)
        await until(lambda: batch.requests == 11)
    assert batch.transactions == 1 + 3  # ten queued: four, four, two
    with pytest.raises(ValueError, match="at least 1"):
        store.batched(max_batch=0)
