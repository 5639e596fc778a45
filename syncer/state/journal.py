"""The ops journal and the spool index, half of :class:`~syncer.state.store.StateStore`.

Every planned action is a row: ``planned → sent → done | failed_retryable | failed_terminal |
skipped``. ``sent`` is committed before the request leaves, so after a crash an op in ``sent``
is known to have an unknown outcome. ``done`` is final: a transition out of it is a bug and
raises StateError.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import anyio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from syncer.errors import StateError
from syncer.state import convert
from syncer.state.engine import WRITE
from syncer.state.models import blobs, links, ops
from syncer.state.rows import BlobRow, LinkRow, OpRow
from syncer.state.sql import upsert

#: Longest error text kept on an op.
MAX_ERROR = 4000

# Which states each transition may start from.
_RETRYABLE = ("planned", "sent", "failed_retryable")
_SKIPPABLE = (*_RETRYABLE, "failed_terminal")
OPEN = ("planned", "sent")
FAILED = ("failed_retryable", "failed_terminal")
#: Why a failed op was skipped when a later plan of the same item on the same target replaced it.
SUPERSEDED = "superseded: a later run planned this item on this target again"


class Journal:
    """Journal and blob methods; the subclass provides the engine and the clock."""

    _db: AsyncEngine
    _now: Callable[[], datetime]

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads, shielded from cancellation (see :meth:`_write`)."""
        with anyio.CancelScope(shield=True):
            async with self._db.connect() as conn:
                yield conn

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        """A connection in a write transaction, committed on success, rolled back on error.

        Shielded from cancellation: a run whose task group is cancelled (one target refused
        its credentials, say) lets every statement in flight finish. Cancelled mid-statement,
        SQLAlchemy would terminate the connection, and aiosqlite's close of it can then hang
        the event loop's shutdown. Each transaction is short, so the shield costs nothing.
        """
        with anyio.CancelScope(shield=True):
            async with self._db.connect() as conn:
                await conn.execution_options(**{WRITE: True})
                async with conn.begin():
                    yield conn

    async def mark_sent(self, *op_ids: int) -> None:
        """Commit that the ops' request (one, or one batch) is about to leave (counts an
        attempt each), in one transaction."""
        async with self._write() as conn:
            values = {"state": "sent", "attempts": ops.c.attempts + 1}
            for op_id in op_ids:
                await self._move(conn, op_id, _RETRYABLE, values)

    async def mark_done(
        self, op_id: int, link: LinkRow | None = None, drop_link: bool = False
    ) -> None:
        """In one transaction: the op is done and its link stored (``link``) or removed.

        ``link`` must be for the op's job, target and key; ``drop_link`` is for deletes.
        """
        if link is not None and drop_link:
            raise ValueError("mark_done takes a link to store or drop_link, not both")
        async with self._write() as conn:
            op = await _op(conn, op_id)
            if link is not None and (link.job, link.target, link.key) != (
                op.job,
                op.target,
                op.key,
            ):
                raise ValueError(f"link {link} does not belong to op {op_id} ({op.key})")
            values: dict[str, Any] = {"state": "done", "error": None}
            if link is not None:
                values["target_id"] = link.target_id
            await self._move(conn, op_id, _RETRYABLE, values)
            if link is not None:
                keys = ("job", "target", "key")
                await upsert(conn, links, [convert.link_values(link, self._now())], keys)
            if drop_link:
                match = (links.c.job == op.job, links.c.target == op.target, links.c.key == op.key)
                await conn.execute(links.delete().where(*match))

    async def mark_failed(self, op_id: int, error: str, retryable: bool) -> None:
        """Record a failed attempt; retryable ones go back out on ``requeue_failed`` or resume."""
        state = "failed_retryable" if retryable else "failed_terminal"
        async with self._write() as conn:
            await self._move(conn, op_id, _RETRYABLE, {"state": state, "error": error[:MAX_ERROR]})

    async def mark_skipped(self, op_id: int, reason: str) -> None:
        """Give up on an op on purpose, saying why (oversize, refused type, guard...)."""
        async with self._write() as conn:
            values = {"state": "skipped", "error": reason[:MAX_ERROR]}
            await self._move(conn, op_id, _SKIPPABLE, values)

    async def _move(
        self,
        conn: AsyncConnection,
        op_id: int,
        allowed: Sequence[str],
        values: dict[str, Any],
    ) -> None:
        """Update an op whose state is one of ``allowed``; StateError for any other."""
        match = sa.and_(ops.c.id == op_id, ops.c.state.in_(allowed))
        result = await conn.execute(
            ops.update().where(match).values(**values, updated_at=self._now())
        )
        if result.rowcount != 1:
            op = await _op(conn, op_id)
            raise StateError(
                f"op {op_id} ({op.action} {op.key} on {op.target}) cannot become "
                f"{values['state']} from {op.state}"
            )

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

    # -- the spool index -------------------------------------------------------------------

    async def put_blob(self, blob: BlobRow) -> None:
        """Record (or move) a spooled file under its sha256."""
        values = {"sha256": blob.sha256, "size": blob.size, "mime": blob.mime, "path": blob.path}
        async with self._write() as conn:
            await upsert(
                conn,
                blobs,
                [{**values, "created_at": self._now()}],
                ("sha256",),
                keep=("created_at",),
            )

    async def blob(self, sha256: str) -> BlobRow | None:
        """The spooled file with these bytes, if any."""
        async with self._read() as conn:
            row = (await conn.execute(sa.select(blobs).where(blobs.c.sha256 == sha256))).first()
        return convert.blob_row(row) if row else None


async def _op(conn: AsyncConnection, op_id: int) -> sa.Row[Any]:
    row = (await conn.execute(sa.select(ops).where(ops.c.id == op_id))).first()
    if row is None:
        raise StateError(f"op {op_id} does not exist in the state store")
    return row
