"""The links a check reads page by page, and a repair's drops and resets (one transaction,
under the job's lease, never on a key with an op still open)."""

from __future__ import annotations

import pytest

from syncer.errors import StateError
from syncer.state import LinkRow, NewOp, PageCommit, StateStore
from syncer.state.drift import LinkReset


async def linked(store: StateStore, *keys: str) -> None:
    """A finished run that created ``keys`` on the target ``t`` (links with a basis)."""
    run = await store.start_run("shop", "migrate")
    ops = [NewOp("t", key, "create") for key in keys]
    opened = await store.commit_page(PageCommit(run.id, "shop", "src", ops=ops, cursor={}))
    for op in opened:
        link = LinkRow("shop", "t", op.key, f"T-{op.key}", "a" * 64, "m", "v", "created", "b", "{}")
        await store.mark_done(op.id, link)
    await store.finish_run(run.id, "succeeded", {})


async def test_links_are_read_a_page_at_a_time_by_key(store: StateStore) -> None:
    await linked(store, "k3", "k1", "k2")
    first = await store.link_page("shop", "t", limit=2)
    rest = await store.link_page("shop", "t", after=first[-1].key, limit=2)
    assert [link.key for link in first + rest] == ["k1", "k2", "k3"]
    assert await store.link_page("shop", "other") == []


async def test_a_repair_drops_and_resets_links(store: StateStore) -> None:
    await linked(store, "k1", "k2", "k3")
    reset = LinkReset("t", "k2", None, '{"alt":"by hand"}')
    repaired = await store.repair_links("shop", [("t", "k1")], [reset])
    assert (repaired.dropped, repaired.reset, repaired.pending) == (1, 1, ())
    links = await store.links("shop", "t", ["k1", "k2", "k3"])
    assert sorted(links) == ["k2", "k3"]
    k2 = links["k2"]
    assert (k2.sha256, k2.pushed_json, k2.basis, k2.target_id) == (
        None,
        '{"alt":"by hand"}',
        None,
        "T-k2",
    )
    assert links["k3"].basis == "b"


async def test_a_repair_leaves_a_key_with_an_open_op(store: StateStore) -> None:
    await linked(store, "k1", "k2")
    run = await store.start_run("shop", "sync")
    await store.commit_page(
        PageCommit(run.id, "shop", "src", ops=[NewOp("t", "k1", "update", "T-k1")])
    )
    await store.finish_run(run.id, "interrupted", {})
    repaired = await store.repair_links("shop", [("t", "k1")], [LinkReset("t", "k2", None, None)])
    assert (repaired.dropped, repaired.reset, repaired.pending) == (0, 1, ("k1",))
    assert sorted(await store.links("shop", "t", ["k1", "k2"])) == ["k1", "k2"]


async def test_a_repair_waits_for_no_run(store: StateStore) -> None:
    await linked(store, "k1")
    await store.start_run("shop", "sync")
    with pytest.raises(StateError):
        await store.repair_links("shop", [("t", "k1")], [])
    assert sorted(await store.links("shop", "t", ["k1"])) == ["k1"]
