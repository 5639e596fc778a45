"""Pages, cursors, items and the sweep."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from syncer.state import ItemRow, NewOp, PageCommit, RunRow, StateStore
from syncer.state import journal as journal_module


def item(key: str, job: str = "shop", **fields: Any) -> ItemRow:
    values: dict[str, Any] = {
        "owner": "p1",
        "version": "v1",
        "sha256": "a" * 64,
        "size": 10,
        "mime": "image/png",
        "meta_hash": "m1",
        "record": {"key": key, "alt": "ünïcode ✓"},
    }
    values.update(fields)
    return ItemRow(job=job, key=key, **values)


async def page(
    store: StateStore, run: RunRow, items: list[ItemRow], ops: list[NewOp] | None = None, **kw: Any
) -> list[Any]:
    kw.setdefault("cursor", {"page": 2})
    return await store.commit_page(PageCommit(run.id, run.job, "src", items, ops or [], **kw))


async def test_commit_page_stores_items_cursor_and_planned_ops(store: StateStore) -> None:
    run = await store.start_run("shop", "sync")
    ops = [NewOp("moov", "k1", "create"), NewOp("moov", "k2", "update", "T2", {"alt": "x"})]
    stored = await page(store, run, [item("k1"), item("k2")], ops, cursor={"skip": 2})

    assert [(o.key, o.action, o.state, o.run_id, o.attempts) for o in stored] == [
        ("k1", "create", "planned", run.id, 0),
        ("k2", "update", "planned", run.id, 0),
    ]
    assert stored[0].id < stored[1].id
    assert stored[1].payload == {"alt": "x"}
    assert stored[1].target_id == "T2"
    got = await store.items("shop", ["k1", "k2", "nope"])
    assert got == {
        "k1": item("k1", last_seen_run=run.id),
        "k2": item("k2", last_seen_run=run.id),
    }
    cursor = await store.cursor("shop", "src")
    assert cursor is not None
    assert (cursor.cursor, cursor.complete, cursor.run_id) == ({"skip": 2}, False, run.id)
    assert await store.open_ops("shop") == stored


async def test_commit_page_is_one_transaction(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = await store.start_run("shop", "sync")
    await page(store, run, [item("k1")], cursor={"page": 1})

    async def broken(*args: object) -> None:
        raise RuntimeError("disk gone while journalling")

    monkeypatch.setattr(journal_module, "insert_returning", broken)
    changed = item("k1", version="v2")
    with pytest.raises(RuntimeError, match="disk gone"):
        await page(store, run, [changed, item("k2")], [NewOp("t", "k2", "create")])
    monkeypatch.undo()

    assert await store.items("shop", ["k1", "k2"]) == {"k1": item("k1", last_seen_run=run.id)}
    cursor = await store.cursor("shop", "src")
    assert cursor is not None
    assert cursor.cursor == {"page": 1}
    assert await store.open_ops("shop") == []


async def test_commit_page_updates_known_items_and_revives_gone_ones(store: StateStore) -> None:
    first = await store.start_run("shop", "sync")
    await page(store, first, [item("k1"), item("k2")])
    await store.mark_gone("shop", ["k2"])
    await store.finish_run(first.id, "succeeded", {})

    second = await store.start_run("shop", "sync")
    await page(store, second, [item("k1", version="v2", record={"new": True}), item("k2")])
    got = await store.items("shop", ["k1", "k2"])
    assert got["k1"] == item("k1", version="v2", record={"new": True}, last_seen_run=second.id)
    assert got["k2"].gone is False


async def test_a_key_repeated_in_one_page_keeps_the_last(store: StateStore) -> None:
    run = await store.start_run("shop", "sync")
    await page(store, run, [item("k1", version="old"), item("k1", version="new")])
    assert (await store.items("shop", ["k1"]))["k1"].version == "new"


async def test_commit_page_refuses_items_of_another_job(store: StateStore) -> None:
    run = await store.start_run("shop", "sync")
    with pytest.raises(ValueError, match="items of job"):
        await page(store, run, [item("k1"), item("k2", job="other")])
    assert await store.items("shop", ["k1"]) == {}


async def test_large_pages_round_trip(store: StateStore) -> None:
    run = await store.start_run("shop", "migrate")
    keys = [f"key-{i:05d}" for i in range(1200)]
    ops = [NewOp("t", k, "create") for k in keys]
    stored = await page(store, run, [item(k) for k in keys], ops)
    assert [o.key for o in stored] == keys
    assert len({o.id for o in stored}) == len(keys)
    assert sorted(await store.items("shop", keys)) == keys


async def test_jobs_do_not_see_each_others_items(store: StateStore) -> None:
    a = await store.start_run("a", "sync")
    b = await store.start_run("b", "sync")
    await store.commit_page(PageCommit(a.id, "a", "src", [item("k", job="a")]))
    await store.commit_page(PageCommit(b.id, "b", "src", [item("k", job="b", owner="x")]))
    assert (await store.items("a", ["k"]))["k"].owner == "p1"
    assert (await store.items("b", ["k"]))["k"].owner == "x"


async def test_cursor_is_per_source(store: StateStore) -> None:
    run = await store.start_run("shop", "sync")
    assert await store.cursor("shop", "src") is None
    await page(store, run, [], cursor={"page": 9}, complete=True)
    await store.commit_page(PageCommit(run.id, "shop", "other", cursor={"since_id": 4}))
    saved = await store.cursor("shop", "src")
    assert saved is not None
    assert (saved.cursor, saved.complete) == ({"page": 9}, True)
    other = await store.cursor("shop", "other")
    assert other is not None
    assert other.cursor == {"since_id": 4}


async def keys_of(store: StateStore, **kw: Any) -> list[str]:
    return [i.key for i in await store.sweep_candidates("shop", **kw)]


async def test_sweep_candidates_are_the_live_items_by_key(store: StateStore) -> None:
    first = await store.start_run("shop", "sync")
    await page(store, first, [item("keep"), item("drop"), item("was-gone")])
    await store.mark_gone("shop", ["was-gone"])
    assert await keys_of(store) == ["drop", "keep"]
    assert await store.mark_gone("shop", ["drop", "was-gone"]) == 1
    assert await keys_of(store) == ["keep"]
    assert (await store.items("shop", ["drop"]))["drop"].gone is True
    assert await store.sweep_candidates("other") == []


async def test_sweep_candidates_page_by_key(store: StateStore) -> None:
    run = await store.start_run("shop", "sync")
    keys = [f"k{i:04d}" for i in range(25)]
    await page(store, run, [item(k) for k in reversed(keys)])
    await store.mark_gone("shop", ["k0003", "k0011"])
    live = [k for k in keys if k not in ("k0003", "k0011")]
    seen: list[str] = []
    after = ""
    while batch := await keys_of(store, after=after, limit=7):
        assert len(batch) <= 7
        seen.extend(batch)
        after = batch[-1]
    assert seen == live
    assert await keys_of(store, after="k0020", limit=2) == ["k0021", "k0022"]
    assert await store.sweep_keys("shop", after="k0020", limit=2) == ["k0021", "k0022"]
    assert await store.sweep_keys("shop", limit=100) == live
    await store.commit_page(PageCommit(run.id, "shop", "src", tombstones=["k0005"]))
    assert await store.sweep_keys("shop", tombstones_only=True) == ["k0005"]
    [row] = await store.sweep_candidates("shop", limit=1)
    assert (row, type(row.gone), type(row.tombstone)) == (
        item("k0000", last_seen_run=run.id),
        bool,
        bool,
    )


async def test_tombstones_only_gives_what_the_source_listed_as_deleted(store: StateStore) -> None:
    first = await store.start_run("shop", "migrate")
    await page(store, first, [item("k1"), item("k2"), item("k3"), item("k4")], complete=True)
    await store.finish_run(first.id, "succeeded", {})
    second = await store.start_run("shop", "sync")
    commit = PageCommit(second.id, "shop", "src", tombstones=["k2", "k4"], cursor={"w": 1})
    await store.commit_page(replace(commit, complete=True, incremental=True))
    assert await keys_of(store, tombstones_only=True) == ["k2", "k4"]
    assert await keys_of(store, tombstones_only=True, after="k2") == ["k4"]
    assert await keys_of(store) == ["k1", "k2", "k3", "k4"]
    got = await store.items("shop", ["k1", "k2"])
    assert (got["k1"].tombstone, got["k2"].tombstone) == (False, True)
    cursor = await store.cursor("shop", "src")
    assert cursor is not None
    assert (cursor.cursor, cursor.incremental, cursor.complete) == ({"w": 1}, True, True)


async def test_an_item_listed_live_again_is_no_longer_a_tombstone(store: StateStore) -> None:
    run = await store.start_run("shop", "sync")
    await page(store, run, [item("k1")])
    await store.commit_page(PageCommit(run.id, "shop", "src", tombstones=["k1", "zz"]))
    assert await keys_of(store, tombstones_only=True) == ["k1"]
    await page(store, run, [item("k1")])  # resurrected at the source
    assert await keys_of(store, tombstones_only=True) == []
    await store.mark_gone("shop", ["k1"])
    await store.commit_page(PageCommit(run.id, "shop", "src", tombstones=["k1"]))
    assert await store.sweep_candidates("shop") == []  # gone items stay gone


async def test_a_commit_without_a_cursor_keeps_the_saved_one(store: StateStore) -> None:
    run = await store.start_run("shop", "sync")
    await page(store, run, [item("k1")], cursor={"page": 3}, complete=True)
    [op] = await store.commit_page(
        PageCommit(run.id, "shop", "src", [item("k2")], [NewOp("t", "k2", "create")])
    )
    cursor = await store.cursor("shop", "src")
    assert cursor is not None
    assert (cursor.cursor, cursor.complete) == ({"page": 3}, True)
    assert (op.key, op.state) == ("k2", "planned")
    assert sorted(await store.items("shop", ["k1", "k2"])) == ["k1", "k2"]


async def test_mark_swept_stamps_the_cursor_and_later_pages_keep_it(store: StateStore) -> None:
    run = await store.start_run("shop", "sync")
    await page(store, run, [item("k1")], complete=True)
    cursor = await store.cursor("shop", "src")
    assert cursor is not None
    assert cursor.swept_at is None
    await store.mark_swept("shop", "src")
    swept = await store.cursor("shop", "src")
    assert swept is not None
    assert swept.swept_at is not None
    assert abs(datetime.fromisoformat(swept.swept_at) - store.now()) < timedelta(minutes=1)
    await page(store, run, [item("k2")], cursor={"w": 2})
    later = await store.cursor("shop", "src")
    assert later is not None
    assert (later.cursor, later.swept_at, later.incremental) == ({"w": 2}, swept.swept_at, False)


async def test_mark_unswept_forgets_the_last_sweep(store: StateStore) -> None:
    run = await store.start_run("shop", "sync")
    await page(store, run, [item("k1")], complete=True)
    await store.mark_swept("shop", "src")
    await store.mark_unswept("shop", "src")
    cursor = await store.cursor("shop", "src")
    assert cursor is not None
    assert (cursor.complete, cursor.swept_at) == (True, None)


async def test_item_states_give_what_a_listing_needs_without_the_record(
    store: StateStore,
) -> None:
    run = await store.start_run("shop", "sync")
    await page(store, run, [item("k1", meta_hash="d1"), item("k2", version=None, sha256=None)])
    states = (await store.listing_state("shop", [], ["k1", "k2", "nope"])).items
    assert set(states) == {"k1", "k2"}
    one = states["k1"]
    assert (one.key, one.version, one.sha256, one.size, one.mime, one.digest) == (
        "k1",
        "v1",
        "a" * 64,
        10,
        "image/png",
        "d1",
    )
    assert (states["k2"].version, states["k2"].sha256) == (None, None)


async def test_item_states_flag_gone_and_tombstoned_items(store: StateStore) -> None:
    run = await store.start_run("shop", "sync")
    await page(store, run, [item("live"), item("gone"), item("dead")])
    await store.mark_gone("shop", ["gone"])
    await store.commit_page(PageCommit(run.id, "shop", "src", tombstones=["dead"]))
    states = (await store.listing_state("shop", ["moov"], ["live", "gone", "dead"])).items
    flags = {k: (s.gone, s.tombstone) for k, s in states.items()}
    assert flags == {"live": (False, False), "gone": (True, False), "dead": (False, True)}
    await page(store, run, [item("gone"), item("dead")])  # listed live again: revived
    states = (await store.listing_state("shop", [], ["gone", "dead"])).items
    assert {k: (s.gone, s.tombstone) for k, s in states.items()} == {
        "gone": (False, False),
        "dead": (False, False),
    }


async def test_an_unchanged_item_costs_no_write(store: StateStore) -> None:
    first = await store.start_run("shop", "migrate")
    await page(store, first, [item("k1")], complete=True)
    await store.finish_run(first.id, "succeeded", {})
    second = await store.start_run("shop", "sync")
    await page(store, second, [], complete=True)  # k1 listed, unchanged: not in the commit
    assert (await store.items("shop", ["k1"]))["k1"] == item("k1", last_seen_run=first.id)
