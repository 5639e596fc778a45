"""The ops journal, links and the spool index."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa

from syncer.errors import StateError
from syncer.state import BasisUpdate, BlobRow, LinkRow, NewOp, OpRow, PageCommit, RunRow, StateStore
from syncer.state.models import links as links_table
from syncer.state.sql import upsert

from .conftest import Clock, op_counts


async def planned(store: StateStore, *ops: NewOp, job: str = "shop") -> tuple[RunRow, list[OpRow]]:
    run = await store.start_run(job, "sync")
    return run, await store.commit_page(PageCommit(run.id, job, "src", ops=ops, cursor={}))


def link(key: str, target_id: str, target: str = "moov", origin: str = "created") -> LinkRow:
    return LinkRow("shop", target, key, target_id, "a" * 64, "m", "tv", origin)  # type: ignore[arg-type]


async def test_mark_sent_counts_attempts(store: StateStore, clock: Clock) -> None:
    _, [op] = await planned(store, NewOp("moov", "k1", "create"))
    clock.advance(3)
    await store.mark_sent(op.id)
    await store.mark_sent(op.id)  # resent after a crash
    [sent] = await store.open_ops("shop")
    assert (sent.state, sent.attempts, sent.updated_at) == ("sent", 2, clock.now.isoformat())


async def test_mark_sent_of_many_ops_is_all_or_nothing(store: StateStore) -> None:
    _, [a, b, c] = await planned(
        store,
        NewOp("moov", "k1", "create"),
        NewOp("moov", "k2", "create"),
        NewOp("moov", "k3", "create"),
    )
    await store.mark_done(b.id)
    with pytest.raises(
        StateError, match=rf"op {b.id} \(create k2 on moov\) cannot become sent from done"
    ):
        await store.mark_sent(a.id, b.id, c.id)
    with pytest.raises(StateError, match="op 424242 does not exist"):
        await store.mark_sent(a.id, 424242)
    assert [(o.state, o.attempts) for o in await store.open_ops("shop")] == [("planned", 0)] * 2
    await store.mark_sent(a.id, c.id, a.id)  # twice in one request: two attempts
    assert [(o.key, o.attempts) for o in await store.open_ops("shop")] == [("k1", 2), ("k3", 1)]


async def test_open_ops_are_planned_and_sent_oldest_first(store: StateStore) -> None:
    _, ops = await planned(
        store,
        NewOp("moov", "k1", "create"),
        NewOp("spiffy", "k1", "create"),
        NewOp("moov", "k2", "create"),
        NewOp("moov", "k3", "create"),
    )
    await store.mark_sent(ops[0].id)
    await store.mark_done(ops[3].id)
    assert [o.id for o in await store.open_ops("shop")] == [o.id for o in ops[:3]]
    assert [o.key for o in await store.open_ops("shop", "moov")] == ["k1", "k2"]
    assert [o.id for o in await store.open_ops("shop", after=ops[0].id, limit=1)] == [ops[1].id]
    assert await store.open_ops("other") == []


async def test_mark_done_stores_the_link_with_the_op(store: StateStore) -> None:
    _, [create] = await planned(store, NewOp("moov", "k1", "create"))
    await store.mark_sent(create.id)
    await store.mark_done(create.id, link("k1", "T1"))
    assert await store.links("shop", "moov", ["k1", "k2"]) == {"k1": link("k1", "T1")}
    assert await store.count_links("shop", "moov") == 1
    assert await store.count_links("shop", "spiffy") == 0
    assert await store.open_ops("shop") == []


async def test_a_replace_moves_the_link_and_a_delete_drops_it(store: StateStore) -> None:
    _, [create, replace, delete] = await planned(
        store,
        NewOp("moov", "k1", "create"),
        NewOp("moov", "k1", "replace"),
        NewOp("moov", "k1", "delete", "T2"),
    )
    await store.mark_done(create.id, link("k1", "T1"))
    await store.mark_done(replace.id, link("k1", "T2", origin="adopted"))
    assert (await store.links("shop", "moov", ["k1"]))["k1"].target_id == "T2"
    await store.mark_done(delete.id, drop_link=True)
    assert await store.links("shop", "moov", ["k1"]) == {}
    assert await store.count_links("shop", "moov") == 0


async def test_mark_done_refuses_a_link_for_another_item(store: StateStore) -> None:
    _, [op] = await planned(store, NewOp("moov", "k1", "create"))
    with pytest.raises(ValueError, match="does not belong to op"):
        await store.mark_done(op.id, link("k2", "T"))
    with pytest.raises(ValueError, match="not both"):
        await store.mark_done(op.id, link("k1", "T"), drop_link=True)
    assert [o.state for o in await store.open_ops("shop")] == ["planned"]
    assert await store.count_links("shop", "moov") == 0


async def test_failures_are_kept_and_can_be_requeued(store: StateStore) -> None:
    _, ops = await planned(
        store,
        NewOp("moov", "k1", "create"),
        NewOp("moov", "k2", "create"),
        NewOp("moov", "k3", "create"),
    )
    await store.mark_failed(ops[0].id, "HTTP 503", retryable=True)
    await store.mark_failed(ops[1].id, "x" * 10_000, retryable=False)
    failed = await store.failed_ops("shop")
    assert [(o.key, o.state) for o in failed] == [
        ("k1", "failed_retryable"),
        ("k2", "failed_terminal"),
    ]
    assert failed[0].error == "HTTP 503"
    assert 0 < len(failed[1].error or "") < 10_000
    assert await store.requeue_failed("shop", terminal=True) == 2
    assert await store.failed_ops("shop") == []
    requeued = await store.open_ops("shop")
    assert [(o.key, o.state, o.error) for o in requeued] == [
        ("k1", "planned", None),
        ("k2", "planned", None),
        ("k3", "planned", None),
    ]


async def test_a_new_plan_of_an_item_supersedes_its_failed_ops_on_that_target(
    store: StateStore,
) -> None:
    first, [k1, k2, other, done] = await planned(
        store,
        NewOp("moov", "k1", "create"),
        NewOp("moov", "k2", "create"),
        NewOp("spiffy", "k1", "create"),
        NewOp("moov", "k3", "create"),
    )
    await store.mark_failed(k1.id, "HTTP 503", retryable=True)
    await store.mark_failed(k2.id, "HTTP 400", retryable=False)
    await store.mark_failed(other.id, "HTTP 503", retryable=True)
    await store.mark_done(done.id, link("k3", "T3"))
    await store.finish_run(first.id, "partial", {})
    _, [again, _update] = await planned(
        store, NewOp("moov", "k1", "create"), NewOp("moov", "k3", "update", "T3")
    )
    # k1 on moov is superseded; k2 (not planned again) and k1 on spiffy (another target) stay.
    failed = await store.failed_ops("shop")
    assert [(o.key, o.target) for o in failed] == [("k2", "moov"), ("k1", "spiffy")]
    counts = await op_counts(store, "shop", first.id)
    assert (counts["skipped"], counts["done"]) == (1, 1)  # a done op stays done
    assert await store.requeue_failed("shop", terminal=True) == 2
    moov_k1 = [o.id for o in await store.open_ops("shop", "moov") if o.key == "k1"]
    assert moov_k1 == [again.id]  # retry cannot push k1 to moov a second time


async def test_listing_state_names_the_keys_with_an_op_still_open(store: StateStore) -> None:
    _, [sent, planned_op, failed, done] = await planned(
        store,
        NewOp("moov", "k1", "create"),
        NewOp("moov", "k2", "create"),
        NewOp("moov", "k3", "create"),
        NewOp("spiffy", "k4", "create"),
    )
    await store.mark_sent(sent.id)
    await store.mark_failed(failed.id, "HTTP 503", retryable=True)
    await store.mark_done(done.id, link("k4", "T4", target="spiffy"))
    state = await store.listing_state("shop", ["moov", "spiffy"], ["k1", "k2", "k3", "k4", "k5"])
    assert state.pending == {"moov": {"k1", "k2"}, "spiffy": set()}
    assert state.links == {"moov": {}, "spiffy": {"k4": link("k4", "T4", target="spiffy")}}
    assert state.items == {}
    assert (await store.listing_state("other", ["moov"], ["k1"])).pending == {"moov": set()}
    assert planned_op.key == "k2"


async def test_commit_page_stores_the_bases_of_links_found_in_step(store: StateStore) -> None:
    run, [k1, k2] = await planned(
        store, NewOp("moov", "k1", "create"), NewOp("moov", "k2", "create")
    )
    await store.mark_done(k1.id, link("k1", "T1"))
    await store.mark_done(k2.id, replace(link("k2", "T2"), basis="old"))
    bases = [BasisUpdate("moov", "k1", "b1"), BasisUpdate("spiffy", "k2", "x")]
    await store.commit_page(PageCommit(run.id, "shop", "src", bases=bases))
    found = await store.links("shop", "moov", ["k1", "k2"])
    assert (found["k1"].basis, found["k2"].basis) == ("b1", "old")  # k2 on spiffy has no link


async def test_skipped_ops_keep_their_reason(store: StateStore) -> None:
    run, [op, terminal] = await planned(
        store, NewOp("spiffy", "k1", "create"), NewOp("spiffy", "k2", "create")
    )
    await store.mark_skipped(op.id, "21 MB is over Spiffy's 20 MB limit")
    await store.mark_failed(terminal.id, "refused", retryable=False)
    await store.mark_skipped(terminal.id, "given up")
    counts = await op_counts(store, "shop", run.id)
    assert counts == {
        "planned": 0,
        "sent": 0,
        "done": 0,
        "failed_retryable": 0,
        "failed_terminal": 0,
        "skipped": 2,
    }


async def test_done_is_final_and_unknown_ops_are_reported(store: StateStore) -> None:
    _, [op] = await planned(store, NewOp("moov", "k1", "create"))
    await store.mark_done(op.id)
    with pytest.raises(StateError, match=rf"op {op.id} \(create k1 on moov\) cannot become sent"):
        await store.mark_sent(op.id)
    with pytest.raises(StateError, match="cannot become failed_retryable from done"):
        await store.mark_failed(op.id, "late", retryable=True)
    with pytest.raises(StateError, match="op 424242 does not exist"):
        await store.mark_done(424242)


async def test_op_counts_are_per_run(store: StateStore) -> None:
    first, ops = await planned(store, NewOp("moov", "k1", "create"), NewOp("moov", "k2", "create"))
    await store.mark_sent(ops[0].id)
    await store.finish_run(first.id, "interrupted", {})
    second, _ = await planned(store, NewOp("moov", "k3", "create"))
    assert (await op_counts(store, "shop", first.id))["sent"] == 1
    assert (await op_counts(store, "shop", first.id))["planned"] == 1
    assert (await op_counts(store, "shop", second.id))["planned"] == 1
    assert sum((await op_counts(store, "other", first.id)).values()) == 0


async def test_blobs_are_indexed_by_sha256(store: StateStore) -> None:
    blob = BlobRow("b" * 64, 1234, "image/webp", "/spool/bb/bbbb")
    assert await store.blob(blob.sha256) is None
    await store.put_blob(blob)
    assert await store.blob(blob.sha256) == blob
    moved = BlobRow(blob.sha256, 1234, "image/webp", "/elsewhere/bbbb")
    await store.put_blob(moved)
    assert await store.blob(blob.sha256) == moved


async def test_portable_upsert_matches_the_native_one(store: StateStore) -> None:
    rows = [
        {**vars_of(link("k1", "T1")), "updated_at": Clock().now},
        {**vars_of(link("k2", "T2")), "updated_at": Clock().now},
    ]
    keys = ("job", "target", "key")
    async with store._db.begin() as conn:  # the fallback for backends without ON CONFLICT
        await upsert(conn, links_table, rows, keys, native=False)
        await upsert(conn, links_table, [{**rows[0], "target_id": "T9"}], keys, native=False)
        stored = await conn.execute(sa.select(links_table.c.key, links_table.c.target_id))
        assert sorted(tuple(r) for r in stored) == [("k1", "T9"), ("k2", "T2")]


def vars_of(row: LinkRow) -> dict[str, object]:
    return {name: getattr(row, name) for name in row.__slots__}
