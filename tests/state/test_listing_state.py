"""``listing_state``: what a listed group needs, in one statement, as the separate reads say."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from syncer.state import ItemRow, ItemState, LinkRow, ListingState, NewOp, PageCommit, StateStore
from syncer.state.sql import CHUNK, matchers

#: Statements that open or end a transaction, not queries.
TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK")


def count_statements(store: StateStore) -> list[str]:
    statements: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.strip().upper() not in TRANSACTION:
            statements.append(statement)

    sa.event.listen(store._db.sync_engine, "before_cursor_execute", before)
    return statements


async def seeded(store: StateStore) -> list[str]:
    """500 items, ops on two targets for one in seven (a third of them done, with a link),
    five items gone and four tombstoned; their keys."""
    run = await store.start_run("shop", "sync")
    keys = [f"k{i:03d}" for i in range(500)]
    rows = [
        ItemRow("shop", k, "p", f"v{i}", "a" * 64, i, "image/png", f"m{i}", {})
        for i, k in enumerate(keys)
    ]
    new = [NewOp(t, k, "create") for t in ("moov", "spiffy") for k in keys[::7]]
    opened = await store.commit_page(PageCommit(run.id, "shop", "src", rows, new))
    for op in opened[::3]:
        link = LinkRow("shop", op.target, op.key, f"T-{op.key}", "b" * 64, "m", "1", "adopted", "x")
        await store.mark_done(op.id, link)
    await store.mark_gone("shop", keys[:5])
    await store.commit_page(PageCommit(run.id, "shop", "src", tombstones=keys[5:9]))
    return keys


def state_of(row: ItemRow) -> ItemState:
    return ItemState(
        row.key, row.version, row.sha256, row.size, row.mime, row.meta_hash, row.gone, row.tombstone
    )


@pytest.mark.parametrize("targets", [["moov"], ["moov", "spiffy", "partium"], []])
async def test_listing_state_is_one_statement_and_agrees_with_the_separate_reads(
    store: StateStore, targets: list[str]
) -> None:
    keys = await seeded(store)
    asked = [*keys, "unknown", keys[0]]
    statements = count_statements(store)
    state = await store.listing_state("shop", targets, asked)
    assert len(statements) == 1, statements

    items = await store.items("shop", asked)
    assert state.items == {key: state_of(row) for key, row in items.items()}
    assert state.links == {t: await store.links("shop", t, asked) for t in targets}
    assert state.pending == await store.open_keys("shop", targets, asked)
    assert any(state.pending.values()) == bool(set(targets) & {"moov", "spiffy"})
    assert sum(s.gone for s in state.items.values()) == 5
    assert sum(s.tombstone for s in state.items.values()) == 4
    assert await store.listing_state("shop", targets, []) == ListingState(
        {}, {t: {} for t in targets}, {t: set() for t in targets}
    )


def test_other_backends_get_one_statement_per_chunk_of_keys() -> None:
    keys = [f"k{i}" for i in range(CHUNK * 2 + 1)]
    found = [str(match(sa.column("key"))) for match in matchers("mysql", [*keys, keys[0]])]
    assert len(found) == 3
    assert all("IN" in text for text in found)
    assert len(list(matchers("sqlite", keys))) == len(list(matchers("postgresql", keys))) == 1
    assert list(matchers("sqlite", [])) == []
