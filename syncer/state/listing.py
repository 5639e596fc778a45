"""Listing: the cursor of each source, the items seen, what a listed group needs to be
planned (one query), its commit (one transaction), and the sweep's candidates."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from syncer.state import convert
from syncer.state.base import OPEN, StoreBase
from syncer.state.journal import journal_ops
from syncer.state.links import set_bases
from syncer.state.models import cursors, items, links, ops
from syncer.state.rows import (
    CursorRow,
    ItemRow,
    ItemState,
    LinkRow,
    ListingState,
    OpRow,
    PageCommit,
)
from syncer.state.runs import fence
from syncer.state.sql import Matcher, matchers, matching, upsert

T = TypeVar("T")

# What each row of the listing-state query is (its first column).
_ITEM, _LINK, _OPEN = 0, 1, 2


class Listing(StoreBase):
    """Cursors, items, page commits and the sweep."""

    async def cursor(self, job: str, source: str) -> CursorRow | None:
        """Where the listing of ``source`` resumes, or None to start from the beginning."""
        query = sa.select(cursors).where(cursors.c.job == job, cursors.c.source == source)
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        return convert.cursor_row(row) if row else None

    async def commit_page(self, commit: PageCommit) -> list[OpRow]:
        """Record ``commit`` in ONE transaction: its items, tombstones, link bases, the
        cursor (unless None) and its ops, journalled as ``planned`` and returned with their
        ids. Refreshes the run's lease, and raises StateError without writing anything if
        the run no longer holds it."""
        async with self._write() as conn:
            return await apply_page(conn, self._now(), commit)

    async def mark_swept(self, job: str, source: str) -> None:
        """Record that a complete full listing of ``source`` was just swept for deletes."""
        match = sa.and_(cursors.c.job == job, cursors.c.source == source)
        async with self._write() as conn:
            await conn.execute(cursors.update().where(match).values(swept_at=self._now()))

    async def mark_unswept(self, job: str, source: str) -> None:
        """Record that a full listing of ``source`` ended without its sweep (resumed, shifted
        or stopped by a guard): the next sync lists everything again, whatever ``full_every``."""
        match = sa.and_(cursors.c.job == job, cursors.c.source == source)
        async with self._write() as conn:
            await conn.execute(cursors.update().where(match).values(swept_at=None))

    async def items(self, job: str, keys: Sequence[str]) -> dict[str, ItemRow]:
        """The known items among ``keys`` (gone ones included), by key."""
        found: dict[str, ItemRow] = {}
        async with self._read() as conn:
            for among in matching(conn.dialect.name, items.c.key, keys):
                query = sa.select(*_ITEM_COLUMNS).where(items.c.job == job, among)
                found.update((r.key, ItemRow(*r)) for r in (await conn.execute(query)).all())
        return found

    async def listing_state(
        self, job: str, targets: Sequence[str], keys: Sequence[str]
    ) -> ListingState:
        """What a listed group needs to be fingerprinted and planned, in ONE statement (per
        chunk of keys on backends other than SQLite and PostgreSQL): the states of the known
        items among ``keys`` (gone ones included, flagged), their links to each of
        ``targets``, and which of them have an op still open (planned or sent) on each."""
        state = ListingState({}, {t: {} for t in targets}, {t: set() for t in targets})
        async with self._read() as conn:
            for among in matchers(conn.dialect.name, keys):
                query = _listing_query(job, list(state.links), among)
                _gather(state, job, (await conn.execute(query)).all())
        return state

    async def sweep_candidates(
        self, job: str, *, after: str = "", limit: int = 1000, tombstones_only: bool = False
    ) -> list[ItemRow]:
        """A page of the live (not gone) items of ``job`` that a sweep may delete, by key:
        those after ``after``, at most ``limit``; only tombstoned ones with ``tombstones_only``
        (an incremental listing, which cannot see deletions by absence). The caller drops
        the keys its run listed live; pass the last key returned as the next ``after``."""
        query = _sweep_query(job, after, tombstones_only, *_ITEM_COLUMNS).limit(limit)
        async with self._read() as conn:
            return [ItemRow(*row) for row in (await conn.execute(query)).all()]

    async def sweep_keys(
        self, job: str, *, after: str = "", limit: int = 1000, tombstones_only: bool = False
    ) -> list[str]:
        """:meth:`sweep_candidates` without the rows: their keys only, about ten times
        cheaper, for a sweep that drops most candidates (those its run listed) and reads
        the few left with :meth:`items`."""
        query = _sweep_query(job, after, tombstones_only, items.c.key).limit(limit)
        async with self._read() as conn:
            return list((await conn.execute(query)).scalars().all())

    async def mark_gone(self, job: str, keys: Sequence[str]) -> int:
        """Mark items as gone from the source; returns how many live items changed."""
        changed = 0
        async with self._write() as conn:
            for among in matching(conn.dialect.name, items.c.key, keys):
                match = sa.and_(items.c.job == job, among, ~items.c.gone)
                result = await conn.execute(items.update().where(match).values(gone=True))
                changed += result.rowcount
        return changed


#: The item columns an :class:`ItemRow` is made of, in its field order (rows straight to it).
_ITEM_COLUMNS = tuple(items.c[f.name] for f in fields(ItemRow))


def _sweep_query(
    job: str, after: str, tombstones_only: bool, *columns: sa.ColumnElement[Any]
) -> sa.Select[Any]:
    """Live items of ``job`` after the key ``after``, by key (the primary key's order)."""
    match = sa.and_(items.c.job == job, items.c.gone.is_(False), items.c.key > after)
    if tombstones_only:
        match = sa.and_(match, items.c.tombstone.is_(True))
    return sa.select(*columns).where(match).order_by(items.c.key)


def check_page(commit: PageCommit) -> None:
    """What :func:`apply_page` refuses before touching the database: items of another job."""
    strays = sorted({row.job for row in commit.items} - {commit.job})
    if strays:
        raise ValueError(f"commit_page for job {commit.job!r} was given items of job(s) {strays}")


async def apply_page(conn: AsyncConnection, now: datetime, commit: PageCommit) -> list[OpRow]:
    """``commit`` on ``conn``, the run's lease fenced first (StateError if it is lost); the
    journalled ops, in order. A key given twice among the items keeps the last."""
    return (await apply_pages(conn, now, [commit]))[0]


async def apply_pages(
    conn: AsyncConnection, now: datetime, commits: Sequence[PageCommit]
) -> list[list[OpRow]]:
    """Many commits as if one after the other, in few statements whatever their number: one
    fence per run, one upsert of all their items, of all their cursors (the last of each
    source kept), one executemany of their bases, one supersede per target and one insert of
    all their ops; each commit's journalled ops, in order.

    The caller keeps commits apart where merging would change the outcome: a key tombstoned
    by one commit and an item of a later one (here, the tombstones are flagged after every
    item is written, :func:`merges_after`)."""
    for commit in commits:
        check_page(commit)
    for run_id, job in dict.fromkeys((c.run_id, c.job) for c in commits):
        await fence(conn, run_id, job, now)
    latest = {(c.job, i.key): convert.item_values(i, c.run_id) for c in commits for i in c.items}
    await upsert(conn, items, list(latest.values()), ("job", "key"))
    for job, keys in _by_job((c.job, c.tombstones) for c in commits).items():
        await _flag_tombstones(conn, job, keys)
    placed = {(c.job, c.source): _cursor_values(c, now) for c in commits if c.cursor is not None}
    await upsert(conn, cursors, list(placed.values()), ("job", "source"))
    for job, bases in _by_job((c.job, c.bases) for c in commits).items():
        await set_bases(conn, job, bases)
    return await journal_ops(conn, [(c.job, c.run_id, c.ops) for c in commits], now)


def merges_after(earlier: Sequence[PageCommit], later: PageCommit) -> bool:
    """Whether :func:`apply_pages` of ``earlier`` and then ``later`` in one call is the same
    as one after the other: no item of ``later`` was tombstoned by an earlier commit."""
    if not later.items:
        return True
    flagged = {(c.job, key) for c in earlier for key in c.tombstones}
    return not any((later.job, item.key) in flagged for item in later.items)


def _by_job(pairs: Iterable[tuple[str, Sequence[T]]]) -> dict[str, list[T]]:
    grouped: dict[str, list[T]] = {}
    for job, values in pairs:
        if values:
            grouped.setdefault(job, []).extend(values)
    return grouped


def _cursor_values(commit: PageCommit, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"job": commit.job, "source": commit.source, "cursor": commit.cursor}
    values |= {"complete": commit.complete, "incremental": commit.incremental}
    return values | {"run_id": commit.run_id, "updated_at": now}


async def _flag_tombstones(conn: AsyncConnection, job: str, keys: Sequence[str]) -> None:
    for among in matching(conn.dialect.name, items.c.key, keys):
        match = sa.and_(items.c.job == job, among, ~items.c.gone)
        await conn.execute(items.update().where(match).values(tombstone=True))


def _listing_query(
    job: str, targets: list[str], among: Matcher
) -> sa.Select[Any] | sa.CompoundSelect[Any]:
    """Items, links and open ops of the keys ``among`` matches, as one UNION ALL (the keys
    bound once): each row says which it is
    (``kind``) and carries its values in shared columns (text ``a``..``g``, ``n``, flags)."""
    text, number, flag = (sa.cast(sa.null(), t) for t in (sa.Text, sa.BigInteger, sa.Boolean))
    known = sa.select(
        sa.literal_column(str(_ITEM), sa.Integer).label("kind"),
        items.c.key,
        text.label("target"),
        *(c.label(n) for c, n in zip(_ITEM_TEXT, "abcd", strict=True)),
        *(text.label(n) for n in "efg"),
        items.c.size.label("n"),
        items.c.gone.label("f1"),
        items.c.tombstone.label("f2"),
    ).where(items.c.job == job, among(items.c.key))
    if not targets:
        return known
    linked = sa.select(
        sa.literal_column(str(_LINK), sa.Integer), links.c.key, links.c.target, *_LINK_TEXT
    ).add_columns(number, flag, flag)
    linked = linked.where(links.c.job == job, links.c.target.in_(targets), among(links.c.key))
    pending = sa.select(sa.literal_column(str(_OPEN), sa.Integer), ops.c.key, ops.c.target)
    pending = pending.add_columns(*([text] * 7), number, flag, flag).distinct()
    pending = pending.where(
        ops.c.job == job,
        ops.c.state.in_(OPEN),
        ops.c.target.in_(targets),
        among(ops.c.key),
    )
    return sa.union_all(known, linked, pending)


_ITEM_TEXT = (items.c.version, items.c.sha256, items.c.mime, items.c.meta_hash)
_LINK_TEXT = (
    links.c.target_id,
    links.c.sha256,
    links.c.meta_hash,
    links.c.target_version,
    links.c.origin,
    links.c.basis,
    links.c.pushed_json,
)


def _gather(state: ListingState, job: str, rows: Any) -> None:
    """Sort the rows of :func:`_listing_query` into ``state``."""
    for kind, key, target, a, b, c, d, e, f, g, n, gone, tombstone in rows:
        if kind == _ITEM:
            state.items[key] = ItemState(key, a, b, n, c, d, bool(gone), bool(tombstone))
        elif kind == _LINK:
            state.links[target][key] = LinkRow(job, target, key, a, b, c, d, e, f, g)
        else:
            state.pending[target].add(key)
