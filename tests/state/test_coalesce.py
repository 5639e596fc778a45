"""A batched transaction's writes coalesced by kind (``syncer.state.coalesce``): the outcome of
applying them one by one, in far fewer statements."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import anyio
import pytest
import sqlalchemy as sa

from syncer.state import BasisUpdate, ItemRow, LinkRow, NewOp, OpRow, PageCommit, StateStore
from syncer.state.coalesce import Done, Page, Sent, Write, segments
from syncer.state.models import cursors, items, links, ops

from .test_batch import until, writes_held

Call = Callable[[Any], Awaitable[Any]]


async def queued_together(store: StateStore, other: StateStore, calls: Sequence[Call]) -> Any:
    """Make ``calls`` on one batch while another store holds the write lock, so that all of
    them wait for, then share, the transaction after the first one's; each call's result or
    error, the batch, and the statements run from the first one on."""
    _, [hold] = await plan(store, "hold", [NewOp("moov", "hold", "create")])
    outcomes: list[Any] = [None] * len(calls)
    watch = statements(store)
    seen = watch.__enter__()

    async def call(index: int) -> None:
        try:
            outcomes[index] = await calls[index](batch)
        except Exception as exc:  # the outcome under test
            outcomes[index] = exc

    async with (
        store.batched() as batch,
        anyio.create_task_group() as group,
        writes_held(other, hold.id),
    ):
        group.start_soon(batch.mark_sent, hold.id)
        await until(lambda: batch.requests == 1)
        for index in range(len(calls)):
            group.start_soon(call, index)
            await until(lambda: batch.requests == index + 2)  # noqa: B023 - awaited here
    watch.__exit__(None, None, None)
    return outcomes, batch, seen


async def plan(store: StateStore, job: str, new: Sequence[NewOp]) -> tuple[int, list[OpRow]]:
    run = await store.start_run(job, "sync")
    return run.id, await store.commit_page(PageCommit(run.id, job, "src", ops=new))


def item(job: str, key: str) -> ItemRow:
    return ItemRow(job, key, "o", "v1", "a" * 64, 1, "image/png", "m", {"key": key})


def link(job: str, key: str, basis: str | None = None) -> LinkRow:
    return LinkRow(job, "moov", key, f"T-{key}", "a" * 64, "m", None, "created", basis)


def done_with_link(op: OpRow) -> Call:
    return lambda w: w.mark_done(op.id, link(op.job, op.key))


def cursor_at(run_id: int, page: int) -> Call:
    return lambda w: w.commit_page(PageCommit(run_id, "shop", "src", cursor={"p": page}))


async def scenario(store: StateStore, job: str) -> tuple[int, list[Call]]:
    """Pages (items, ops, a tombstone, bases, cursors), sent, done (one delete), failed and
    skipped, interleaved as concurrent pushers and an intake make them."""
    keys = [f"old{i}" for i in range(8)]
    run_id, old = await plan(store, job, [NewOp("moov", k, "create") for k in keys])
    await store.commit_page(PageCommit(run_id, job, "src", [item(job, "gone")]))
    await store.mark_sent(*(o.id for o in old[:6]))
    await store.mark_done(old[7].id, link(job, "old7"))  # linked, its basis set below

    def page(n: int, **extra: Any) -> Call:
        new = [NewOp("moov", f"new{n}", "create"), NewOp("spiffy", f"new{n}", "create")]
        commit = PageCommit(run_id, job, "src", [item(job, f"new{n}")], new, **extra)
        return lambda w: w.commit_page(commit)

    calls: list[Call] = [
        page(0, tombstones=["gone"]),
        lambda w: w.mark_done(old[0].id, link(job, "old0")),
        lambda w: w.mark_sent(old[6].id),
        page(1, bases=[BasisUpdate("moov", "old7", "b2")]),
        lambda w: w.mark_done(old[1].id, link(job, "old1")),
        lambda w: w.mark_done(old[2].id, drop_link=True),
        lambda w: w.commit_page(PageCommit(run_id, job, "src", cursor={"page": 1})),
        lambda w: w.mark_failed(old[3].id, "HTTP 503", True),
        lambda w: w.mark_skipped(old[4].id, "oversize"),
        page(2),
        lambda w: w.mark_done(old[5].id, link(job, "old5")),
        lambda w: w.commit_page(PageCommit(run_id, job, "src", cursor={"page": 2}, complete=True)),
    ]
    return run_id, calls


async def dump(store: StateStore, job: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of ``job``, ids and run ids left out (two jobs compared)."""
    tables = {
        "ops": sa.select(ops.c.target, ops.c.key, ops.c.state, ops.c.attempts, ops.c.target_id,
                         ops.c.error, ops.c.updated_at).where(ops.c.job == job),
        "links": sa.select(links.c.target, links.c.key, links.c.target_id, links.c.basis)
        .where(links.c.job == job),
        "items": sa.select(items.c.key, items.c.version, items.c.gone, items.c.tombstone)
        .where(items.c.job == job),
        "cursors": sa.select(cursors.c.source, cursors.c.cursor, cursors.c.complete)
        .where(cursors.c.job == job),
    }  # fmt: skip
    async with store._read() as conn:
        return {name: sorted(map(tuple, await conn.execute(q))) for name, q in tables.items()}


@contextmanager
def statements(store: StateStore) -> Iterator[list[str]]:
    """The SQL statements ``store`` runs meanwhile (BEGIN and COMMIT left out)."""
    seen: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT")):
            seen.append(" ".join(statement.split()[:3]))

    sa.event.listen(store._db.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(store._db.sync_engine, "before_cursor_execute", count)


async def test_many_writes_in_one_transaction_leave_the_state_of_one_by_one(
    store: StateStore, other: StateStore, backend: str
) -> None:
    _, direct = await scenario(store, "b")
    with statements(store) as alone:
        one_by_one = [await call(store) for call in direct]
    _, batched = await scenario(store, "t")
    outcomes, batch, seen = await queued_together(store, other, batched)
    assert batch.transactions == 2  # the one holding, then all twelve together
    assert [exc for exc in outcomes if isinstance(exc, Exception)] == []
    shape = [[(o.target, o.key, o.state) for o in r] if r else r for r in outcomes]
    assert shape == [[(o.target, o.key, o.state) for o in r] if r else r for r in one_by_one]
    assert await dump(store, "t") == await dump(store, "b")
    # The holder's UPDATE, then two segments (the commit after the skip starts the second):
    # each one fence, one upsert of items, of cursors, of links, one UPDATE per kind of
    # transition and per target superseded, one INSERT of ops (one by one: 32).
    assert len(seen) == 1 + 14 + 8, seen
    assert len(alone) == 32, alone


async def test_a_bad_mark_done_among_many_raises_only_to_its_caller(
    store: StateStore, other: StateStore
) -> None:
    _, new = await plan(store, "shop", [NewOp("moov", f"k{i}", "create") for i in range(7)])
    await store.mark_sent(*(o.id for o in new))
    await store.mark_done(new[3].id)
    calls = [done_with_link(op) for op in new]
    calls[5] = lambda w: w.mark_done(new[5].id, link("shop", "k6"))  # another op's link
    outcomes, batch, _ = await queued_together(store, other, calls)
    assert str(outcomes[3]) == f"op {new[3].id} (create k3 on moov) cannot become done from done"
    assert isinstance(outcomes[5], ValueError)
    assert "does not belong" in str(outcomes[5])
    assert [outcomes[i] for i in (0, 1, 2, 4, 6)] == [None] * 5
    # The holder; the group, rejected at k3; k0-k2; k3 alone; the rest, rejected at k5;
    # k4; k5 alone; k6.
    assert batch.transactions == 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1
    found = await store.links("shop", "moov", [o.key for o in new])
    assert sorted(found) == ["k0", "k1", "k2", "k4", "k6"]
    assert [o.key for o in await store.open_ops("shop")] == ["k5"]  # still sent


async def test_a_transition_made_before_the_commit_of_its_op_fails_as_it_would_alone(
    store: StateStore, other: StateStore, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("guesses the next op id: PostgreSQL's rolled-back transactions consume ids")
    run_id, [first] = await plan(store, "shop", [NewOp("moov", "k0", "create")])
    guessed = first.id + 2  # the next op (the holder of the write lock takes first.id + 1)
    commit = PageCommit(run_id, "shop", "src", ops=[NewOp("moov", "k1", "create")])
    outcomes, batch, _ = await queued_together(
        store,
        other,
        [
            lambda w: w.mark_sent(guessed),
            lambda w: w.commit_page(commit),
            lambda w: w.mark_sent(guessed),
        ],
    )
    assert str(outcomes[0]) == f"op {guessed} does not exist in the state store"
    assert [o.id for o in outcomes[1]] == [guessed]
    assert outcomes[2] is None  # after its commit: the op exists, and is sent
    assert [o.state for o in await store.open_ops("shop") if o.id == guessed] == ["sent"]
    assert batch.transactions == 1 + 1 + 1 + 1  # the holder, rejected, the sent alone, the rest


async def test_a_cursor_only_commit_costs_the_fence_and_the_cursor(store: StateStore) -> None:
    run = await store.start_run("shop", "sync")
    async with store.batched() as batch:
        with statements(store) as seen:
            await batch.commit_page(PageCommit(run.id, "shop", "src", cursor={"page": 3}))
    assert seen == ["UPDATE runs SET", "INSERT INTO cursors"]
    cursor = await store.cursor("shop", "src")
    assert cursor is not None
    assert cursor.cursor == {"page": 3}


async def test_cursor_commits_in_one_transaction_keep_the_last(
    store: StateStore, other: StateStore
) -> None:
    run = await store.start_run("shop", "sync")
    calls = [cursor_at(run.id, n) for n in range(5)]
    outcomes, batch, seen = await queued_together(store, other, calls)
    assert outcomes == [[]] * 5
    assert batch.transactions == 2
    assert seen.count("INSERT INTO cursors") == 1
    assert seen.count("UPDATE runs SET") == 1
    cursor = await store.cursor("shop", "src")
    assert cursor is not None
    assert cursor.cursor == {"p": 4}


async def test_an_item_tombstoned_then_listed_again_stays_live(
    store: StateStore, other: StateStore
) -> None:
    run = await store.start_run("shop", "sync")
    await store.commit_page(PageCommit(run.id, "shop", "src", [item("shop", "k")]))
    calls: list[Call] = [
        lambda w: w.commit_page(PageCommit(run.id, "shop", "src", tombstones=["k"])),
        lambda w: w.commit_page(PageCommit(run.id, "shop", "src", [item("shop", "k")])),
    ]
    await queued_together(store, other, calls)
    assert (await store.items("shop", ["k"]))["k"].tombstone is False


def test_segments_cut_where_merging_would_change_the_outcome() -> None:
    commit = PageCommit(1, "j", "s", tombstones=["k"])
    again = PageCommit(1, "j", "s", [item("j", "k")])
    writes: list[Write] = [Sent((1,)), Done(2, None, False), Sent((2,)), Page(commit), Page(again)]
    assert list(segments(writes)) == [(0, 2), (2, 4), (4, 5)]
    assert list(segments([Sent((1, 1)), Sent((2,)), Sent((3,))])) == [(0, 1), (1, 3)]
    assert list(segments([])) == []


async def test_sqlite_inserts_many_ops_in_one_statement_per_chunk_in_order(
    store: StateStore, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the rowid ordering is SQLite's")
    new = [NewOp("moov", f"k{i:04d}", "create") for i in range(700)]
    run = await store.start_run("shop", "sync")
    with statements(store) as seen:
        stored = await store.commit_page(PageCommit(run.id, "shop", "src", ops=new))
    assert [o.key for o in stored] == [o.key for o in new]
    assert [o.id for o in stored] == sorted(o.id for o in stored)
    assert seen.count("INSERT INTO ops") == 2  # 500 + 200
