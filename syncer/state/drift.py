"""Drift: what ``syncer check`` reads of the links, and what ``sync --repair`` changes in them.

A check walks a target's links a page at a time (:meth:`Drift.link_page`) and writes nothing.
A repair changes links in one transaction, under the job's lease (no run of the job may be
running): a link whose item is missing from the target is dropped, so the next listing plans
the item as new (a create); a link whose item changed outside syncer is *reset*, its basis
cleared and the bytes' sha256 and pushed metadata replaced by what the target holds now, so
the planner sees the difference and plans a replace or an update back. Nothing else changes:
ops and items stay as they are, and a key with an op still open is never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from syncer.state.base import OPEN
from syncer.state.links import LINK_COLUMNS
from syncer.state.models import links, ops
from syncer.state.rows import LinkRow
from syncer.state.runs import Runs
from syncer.state.sql import matching


@dataclass(frozen=True, slots=True)
class LinkReset:
    """What a repair stores on one link so its item is planned again: ``sha256`` None for
    bytes that differ (a replace), ``pushed_json`` as the target now shows the metadata."""

    target: str
    key: str
    sha256: str | None
    pushed_json: str | None


@dataclass(frozen=True, slots=True)
class Repaired:
    """How many links a repair dropped and reset, and the keys it left (an op still open)."""

    dropped: int = 0
    reset: int = 0
    pending: tuple[str, ...] = ()


class Drift(Runs):
    """Reading links for a check; dropping and resetting them for a repair."""

    async def link_page(
        self, job: str, target: str, *, after: str = "", limit: int = 1000
    ) -> list[LinkRow]:
        """The links of ``job`` to ``target`` after the key ``after``, by key, at most
        ``limit``; pass the last key returned as the next ``after``."""
        match = sa.and_(links.c.job == job, links.c.target == target, links.c.key > after)
        query = sa.select(*LINK_COLUMNS).where(match).order_by(links.c.key).limit(limit)
        async with self._read() as conn:
            return [LinkRow(*row) for row in await conn.execute(query)]

    async def repair_links(
        self, job: str, drop: Sequence[tuple[str, str]], reset: Sequence[LinkReset]
    ) -> Repaired:
        """Drop the links ``drop`` (``(target, key)`` pairs) and apply ``reset``, in one
        transaction under the job's lease (StateError when a run of the job is running); a key
        with an op still open on its target is left as it is (the open op goes first)."""
        now = self._now()
        async with self._write() as conn:
            await self._take_lease(conn, job, now)
            pending: set[tuple[str, str]] = set()
            wanted = sorted({key for _, key in drop} | {r.key for r in reset})
            for among in matching(conn.dialect.name, ops.c.key, wanted):
                query = sa.select(ops.c.target, ops.c.key).where(
                    ops.c.job == job, ops.c.state.in_(OPEN), among
                )
                pending.update((row.target, row.key) for row in await conn.execute(query))
            dropped = [pair for pair in drop if pair not in pending]
            resets = [r for r in reset if (r.target, r.key) not in pending]
            for target, key in dropped:
                await conn.execute(links.delete().where(_link(job, target, key)))
            for item in resets:
                values: dict[str, Any] = {"sha256": item.sha256, "pushed_json": item.pushed_json}
                values |= {"basis": None, "meta_hash": None, "updated_at": now}
                match = _link(job, item.target, item.key)
                await conn.execute(links.update().where(match).values(**values))
        return Repaired(len(dropped), len(resets), tuple(sorted(key for _, key in pending)))


def _link(job: str, target: str, key: str) -> sa.ColumnElement[bool]:
    return sa.and_(links.c.job == job, links.c.target == target, links.c.key == key)
