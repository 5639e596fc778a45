"""The ops journal: every planned action is a row, and its transitions.

``planned → sent → done | failed_retryable | failed_terminal | skipped``. ``sent`` is committed
before the request leaves, so after a crash an op in ``sent`` is known to have an unknown
outcome. ``done`` is final: a transition out of it is a bug and raises StateError.

Each transition is ONE function taking a connection (``apply_*``): the store's own methods
run it in a transaction of its own, :class:`~syncer.state.batch.JournalBatch` runs many in
one. They write nothing outside ``conn``, so a rolled-back transaction can be retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from syncer.errors import StateError
from syncer.state import convert
from syncer.state.base import FAILED, OPEN, StoreBase
from syncer.state.models import links, ops
from syncer.state.rows import LinkRow, NewOp, OpRow
from syncer.state.sql import chunks, insert_returning, matching, upsert

__all__ = ["FAILED", "MAX_ERROR", "OPEN", "SUPERSEDED", "Journal"]

#: Longest error text kept on an op.
MAX_ERROR = 4000

# Which states each transition may start from.
RETRYABLE = ("planned", "sent", "failed_retryable")
SKIPPABLE = (*RETRYABLE, "failed_terminal")
#: Why a failed op was skipped when a later plan of the same item on the same target replaced it.
SUPERSEDED = "superseded: a later run planned this item on this target again"


class Journal(StoreBase):
    """The transitions, each its own transaction, and the journal's reads."""

    async def mark_sent(self, *op_ids: int) -> None:
        """Commit that the ops' request (one, or one batch) is about to leave (counts an
        attempt each), in one transaction."""
        async with self._write() as conn:
            await apply_sent(conn, self._now(), op_ids)

    async def mark_done(
        self, op_id: int, link: LinkRow | None = None, drop_link: bool = False
    ) -> None:
        """In one transaction: the op is done and its link stored (``link``) or removed.

        ``link`` must be for the op's job, target and key; ``drop_link`` is for deletes.
        """
        check_done(link, drop_link)
        async with self._write() as conn:
            await apply_done(conn, self._now(), op_id, link, drop_link)

    async def mark_failed(self, op_id: int, error: str, retryable: bool) -> None:
        """Record a failed attempt; retryable ones go back out on ``requeue_failed`` or resume."""
        async with self._write() as conn:
            await apply_failed(conn, self._now(), op_id, error, retryable)

    async def mark_skipped(self, op_id: int, reason: str) -> None:
        """Give up on an op on purpose, saying why (oversize, refused type, guard...)."""
        async with self._write() as conn:
            await apply_skipped(conn, self._now(), op_id, reason)

    async def open_ops(
        self, job: str, target: str | None = None, *, after: int = 0, limit: int | None = None
    ) -> list[OpRow]:
        """Planned and sent ops of ``job`` (of one target, if given), oldest first.

        ``after`` (an op id) and ``limit`` page through a long journal.
        """
        query = sa.select(ops).where(ops.c.job == job, ops.c.state.in_(OPEN), ops.c.id > after)
        if target is not None:
            query = query.where(ops.c.target == target)
        return await self._ops(query.order_by(ops.c.id).limit(limit))

    async def failed_ops(self, job: str, limit: int | None = None) -> list[OpRow]:
        """Ops of ``job`` that failed, retryable or not, oldest first (the first ``limit``)."""
        query = sa.select(ops).where(ops.c.job == job, ops.c.state.in_(FAILED))
        return await self._ops(query.order_by(ops.c.id).limit(limit))

    async def count_failed(self, job: str, *, terminal_only: bool = False) -> int:
        """How many ops of ``job`` failed, retryable or not (``terminal_only``: those that
        ``syncer retry`` leaves)."""
        states = ("failed_terminal",) if terminal_only else FAILED
        query = sa.select(sa.func.count()).where(ops.c.job == job, ops.c.state.in_(states))
        async with self._read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def run_ops(
        self, job: str, run_id: int, state: str, *, after: int = 0, limit: int = 500
    ) -> list[OpRow]:
        """A page of the ops run ``run_id`` of ``job`` journalled that are in ``state`` now, by
        id after ``after`` (one index range per page: a run's report pages a state at a time)."""
        match = sa.and_(
            ops.c.run_id == run_id, ops.c.state == state, ops.c.id > after, ops.c.job == job
        )
        return await self._ops(sa.select(ops).where(match).order_by(ops.c.id).limit(limit))

    async def taken_up_ops(
        self,
        job: str,
        run_id: int,
        state: str,
        between: tuple[datetime, datetime],
        *,
        after: int = 0,
        limit: int = 500,
    ) -> list[OpRow]:
        """A page of the ops of ``job`` that other runs journalled, in ``state`` now and last
        changed ``between`` two moments (a run's start and end): the ops that run resumed or
        retried. The failed ops a new plan superseded then are not among them (the new op is
        the run's own)."""
        since, until = between
        match = sa.and_(
            ops.c.job == job,
            ops.c.state == state,
            ops.c.id > after,
            ops.c.run_id != run_id,
            ops.c.updated_at >= since,
            ops.c.updated_at <= until,
            sa.or_(ops.c.state != "skipped", ops.c.error != SUPERSEDED),
        )
        return await self._ops(sa.select(ops).where(match).order_by(ops.c.id).limit(limit))

    async def _ops(self, query: sa.Select[Any]) -> list[OpRow]:
        async with self._read() as conn:
            return [convert.op_row(r) for r in await conn.execute(query)]

    async def requeue_failed(self, job: str, *, terminal: bool = False) -> int:
        """Put the retryable failed ops of ``job`` back to ``planned`` (for ``syncer retry``),
        the terminal ones too with ``terminal``; the count."""
        states = FAILED if terminal else ("failed_retryable",)
        match = sa.and_(ops.c.job == job, ops.c.state.in_(states))
        values = {"state": "planned", "error": None, "updated_at": self._now()}
        async with self._write() as conn:
            return (await conn.execute(ops.update().where(match).values(**values))).rowcount

    async def open_keys(
        self, job: str, targets: Sequence[str], keys: Sequence[str]
    ) -> dict[str, set[str]]:
        """Which of ``keys`` have an op still open (planned or sent) on each of ``targets``."""
        found: dict[str, set[str]] = {target: set() for target in targets}
        if not targets:
            return found
        async with self._read() as conn:
            for among in matching(conn.dialect.name, ops.c.key, keys):
                match = sa.and_(ops.c.job == job, among, ops.c.state.in_(OPEN))
                query = sa.select(ops.c.target, ops.c.key).where(match).distinct()
                for target, key in await conn.execute(query):
                    if target in found:
                        found[target].add(key)
        return found


# -- the transitions, on a connection ------------------------------------------------------


async def apply_sent(conn: AsyncConnection, now: datetime, op_ids: Sequence[int]) -> None:
    """The ops' request is about to leave: ``sent``, one more attempt each. One UPDATE for
    them all (a batch hands it the ids of many requests); StateError, naming the first op
    that cannot be sent, when any of them could not."""
    values = {"state": "sent", "attempts": ops.c.attempts + 1}
    unique = list(dict.fromkeys(op_ids))
    if len(unique) < len(op_ids):  # an op given twice counts two attempts, one at a time
        for op_id in op_ids:
            await _move(conn, now, op_id, RETRYABLE, values)
        return
    moved = 0
    for chunk in chunks(unique):
        match = sa.and_(ops.c.id.in_(chunk), ops.c.state.in_(RETRYABLE))
        result = await conn.execute(ops.update().where(match).values(**values, updated_at=now))
        moved += result.rowcount
    if moved != len(unique):
        raise await _refusal(conn, unique, "sent")


def check_done(link: LinkRow | None, drop_link: bool) -> None:
    """What :func:`apply_done` refuses before touching the database."""
    if link is not None and drop_link:
        raise ValueError("mark_done takes a link to store or drop_link, not both")


async def apply_done(
    conn: AsyncConnection, now: datetime, op_id: int, link: LinkRow | None, drop_link: bool
) -> None:
    """The op is done; its link stored (``link``: the op's own job, target and key) or, for a
    delete (``drop_link``), removed. Two statements where the backend can return the moved
    op's row (a refused link then rolls the move back with the rest of the transaction)."""
    check_done(link, drop_link)
    values: dict[str, Any] = {"state": "done", "error": None}
    if link is not None:
        values["target_id"] = link.target_id
    op = await _move(conn, now, op_id, RETRYABLE, values)
    if link is not None and (link.job, link.target, link.key) != (op.job, op.target, op.key):
        raise ValueError(f"link {link} does not belong to op {op_id} ({op.key})")
    if link is not None:
        await upsert(conn, links, [convert.link_values(link, now)], ("job", "target", "key"))
    if drop_link:
        match = (links.c.job == op.job, links.c.target == op.target, links.c.key == op.key)
        await conn.execute(links.delete().where(*match))


async def apply_failed(
    conn: AsyncConnection, now: datetime, op_id: int, error: str, retryable: bool
) -> None:
    """A failed attempt, retryable or terminal, with its error (cut to ``MAX_ERROR``)."""
    state = "failed_retryable" if retryable else "failed_terminal"
    await _move(conn, now, op_id, RETRYABLE, {"state": state, "error": error[:MAX_ERROR]})


async def apply_skipped(conn: AsyncConnection, now: datetime, op_id: int, reason: str) -> None:
    """Given up on purpose, with the reason."""
    await _move(conn, now, op_id, SKIPPABLE, {"state": "skipped", "error": reason[:MAX_ERROR]})


async def journal_ops(
    conn: AsyncConnection, batches: Sequence[tuple[str, int, Sequence[NewOp]]], now: datetime
) -> list[list[OpRow]]:
    """Journal each batch's ops (its job, run id and ops) as ``planned``, replacing the
    failed ops of the same items on the same targets: one UPDATE per job and target, one
    INSERT for them all; each batch's stored ops, with their ids, in order."""
    await _supersede_failed(conn, [(job, op) for job, _, new in batches for op in new], now)
    rows = [convert.op_values(op, job, run_id, now) for job, run_id, new in batches for op in new]
    stored = iter(await insert_returning(conn, ops, rows))
    return [[convert.op_row(next(stored)) for _ in new] for _, _, new in batches]


async def _supersede_failed(
    conn: AsyncConnection, new: Sequence[tuple[str, NewOp]], now: datetime
) -> None:
    """A new plan of an item on a target replaces its failed ops there: they become
    ``skipped``, so that ``syncer retry`` cannot push an item the new op pushes too."""
    by_target: dict[tuple[str, str], list[str]] = {}
    for job, op in new:
        by_target.setdefault((job, op.target), []).append(op.key)
    values = {"state": "skipped", "error": SUPERSEDED, "updated_at": now}
    for (job, target), keys in by_target.items():
        for among in matching(conn.dialect.name, ops.c.key, keys):
            match = sa.and_(
                ops.c.job == job, among, ops.c.state.in_(FAILED), ops.c.target == target
            )
            await conn.execute(ops.update().where(match).values(**values))


async def _move(
    conn: AsyncConnection,
    now: datetime,
    op_id: int,
    allowed: Sequence[str],
    values: dict[str, Any],
) -> sa.Row[Any]:
    """Update an op whose state is one of ``allowed``; its job, target and key after it, or
    StateError for any other state."""
    match = sa.and_(ops.c.id == op_id, ops.c.state.in_(allowed))
    update = ops.update().where(match).values(**values, updated_at=now)
    if conn.dialect.update_returning:
        moved = (await conn.execute(update.returning(ops.c.job, ops.c.target, ops.c.key))).first()
        if moved is not None:
            return moved
    elif (await conn.execute(update)).rowcount == 1:
        return await _op(conn, op_id)
    raise _cannot(await _op(conn, op_id), values["state"])


async def _refusal(conn: AsyncConnection, op_ids: Sequence[int], state: str) -> StateError:
    """After an UPDATE of ``op_ids`` to ``state`` missed some: why the first op that is not
    in ``state`` now could not become it."""
    query = sa.select(ops).where(ops.c.id.in_(list(op_ids)))
    found = {row.id: row for row in await conn.execute(query)}
    for op_id in op_ids:
        if op_id not in found:
            return StateError(f"op {op_id} does not exist in the state store")
        if found[op_id].state != state:
            return _cannot(found[op_id], state)
    return StateError(f"ops {list(op_ids)} could not all become {state}")


def _cannot(op: sa.Row[Any], state: str) -> StateError:
    return StateError(
        f"op {op.id} ({op.action} {op.key} on {op.target}) cannot become {state} from {op.state}"
    )


async def _op(conn: AsyncConnection, op_id: int) -> sa.Row[Any]:
    row = (await conn.execute(sa.select(ops).where(ops.c.id == op_id))).first()
    if row is None:
        raise StateError(f"op {op_id} does not exist in the state store")
    return row
