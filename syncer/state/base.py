"""What every part of :class:`~syncer.state.store.StateStore` stands on: the engine, the
clock, and the two ways of getting a connection (a read, or a write transaction)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import anyio
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from syncer.state.engine import WRITE

Clock = Callable[[], datetime]

#: Op states that are still to be done: a listing must not plan the item there again.
OPEN = ("planned", "sent")
#: Op states of a failed attempt, which ``syncer retry`` puts back to ``planned``.
FAILED = ("failed_retryable", "failed_terminal")


class StoreBase:
    """The engine, the clock and the lease length; the topic mixins use only these."""

    _db: AsyncEngine
    _now: Clock
    _lease: timedelta

    def now(self) -> datetime:
        """The store's clock (UTC), which stamps runs, cursors and sweeps."""
        return self._now()

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
