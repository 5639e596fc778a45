"""``StateStore``: the one narrow door between the engine and its database.

Every method is its own transaction (or :meth:`StateStore.batched` groups journal writes
into few); the engine never sees a session or a row object, only the frozen dataclasses of
:mod:`syncer.state.rows`. The methods live by topic: :mod:`~syncer.state.runs` (runs and the
lease), :mod:`~syncer.state.listing` (cursors, items, page commits, the sweep),
:mod:`~syncer.state.journal` (ops), :mod:`~syncer.state.links` and
:mod:`~syncer.state.blobs` (the spool index), :mod:`~syncer.state.drift` (a check's and a
repair's links), :mod:`~syncer.state.ticks` (the scheduler's ticks). The schema comes from
the Alembic migrations, applied when the store opens (a new database is created from the models and
stamped at head, which tests hold to be the same schema). Callers must not pass secrets in
any value: the store keeps what it is given.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from syncer.errors import StateError
from syncer.state import engine, migrate
from syncer.state.base import Clock
from syncer.state.batch import JournalBatch
from syncer.state.blobs import Blobs
from syncer.state.drift import Drift
from syncer.state.journal import Journal
from syncer.state.links import Links
from syncer.state.listing import Listing
from syncer.state.plans import Plans
from syncer.state.runs import DEFAULT_LEASE_SECONDS, Runs
from syncer.state.ticks import Ticks

__all__ = ["DEFAULT_LEASE_SECONDS", "OpeningStore", "StateStore"]

# A key that PostgreSQL's advisory lock holds while one process migrates ("sync" in ASCII).
_MIGRATION_LOCK = 0x73796E63


def _utcnow() -> datetime:
    return datetime.now(UTC)


class OpeningStore:
    """What :meth:`StateStore.open` returns: await it, or use it as ``async with``."""

    def __init__(self, opener: Callable[[], Awaitable[StateStore]]) -> None:
        self._opener = opener
        self._store: StateStore | None = None

    def __await__(self) -> Generator[Any, None, StateStore]:
        return self._opener().__await__()

    async def __aenter__(self) -> StateStore:
        self._store = await self._opener()
        return self._store

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._store is not None:
            await self._store.close()


class StateStore(Drift, Runs, Listing, Journal, Links, Blobs, Plans, Ticks):
    """Runs, cursors, items, links, the ops journal, the spool index and the scheduler's
    ticks of every job."""

    def __init__(self, db: AsyncEngine, *, lease_seconds: float, clock: Clock) -> None:
        self._db = db
        self._lease = timedelta(seconds=lease_seconds)
        self._now = clock
        #: The database URL with any password hidden, for messages.
        self.url = engine.redact(db.url)

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        clock: Clock = _utcnow,
        create: bool = True,
    ) -> OpeningStore:
        """Open (and migrate to the newest schema) the store at ``url``.

        ``url`` defaults to SQLite at ``.syncer/state.db``; ``sqlite://`` and ``postgresql://``
        get the async drivers. ``lease_seconds`` is how long a silent run keeps its job's
        lease. Raises StateError naming the URL (password hidden) when it cannot be used.
        ``create=False`` is for read-only commands: a store that does not exist yet (an SQLite
        file that is not there, a database without syncer's tables) raises
        :class:`~syncer.state.engine.StateMissingError` instead of being created.
        """

        async def opener() -> StateStore:
            return await cls._open(url, lease_seconds, clock, create)

        return OpeningStore(opener)

    @classmethod
    async def _open(
        cls, url: str | None, lease_seconds: float, clock: Clock, create: bool = True
    ) -> StateStore:
        resolved = engine.resolve_url(url)
        where = engine.redact(resolved)
        if not create:
            engine.check_exists(resolved)
        try:
            db = engine.create_engine(resolved)
        except ModuleNotFoundError as exc:
            raise StateError(
                f"cannot open state store {where}: its database driver is not installed "
                f"({exc}). syncer ships aiosqlite and asyncpg: use a sqlite:// or postgresql:// "
                "URL, or install an async driver and name it in the URL (e.g. mysql+aiomysql://)"
            ) from exc
        except Exception as exc:
            raise StateError(f"cannot open state store {where}: {exc}") from exc
        try:
            async with db.connect() as conn:
                await conn.execution_options(**{engine.WRITE: True})
                async with conn.begin():
                    await conn.run_sync(_migrate, where, create)
        except StateError:
            await db.dispose()
            raise
        except Exception as exc:
            await db.dispose()
            raise StateError(
                f"cannot open state store {where}: {_reason(exc, resolved)}. Check the job's "
                "state URL and that the database is reachable."
            ) from exc
        return cls(db, lease_seconds=lease_seconds, clock=clock)

    def batched(self, max_batch: int = 512) -> JournalBatch:
        """Group commit of journal writes: ``async with store.batched() as batch:``, then
        the batch's ``commit_page`` and ``mark_*`` (see :class:`JournalBatch`)."""
        return JournalBatch(self, max_batch)

    async def close(self) -> None:
        """Release every connection."""
        await self._db.dispose()

    async def __aenter__(self) -> StateStore:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def _migrate(conn: sa.Connection, where: str, create: bool = True) -> None:
    """Upgrade to head, one process at a time on PostgreSQL (the lock ends with the
    transaction); without ``create``, a database syncer never wrote is left untouched."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    if not create and migrate.current_revision(conn) is None:
        raise engine.StateMissingError(engine.missing_message(where))
    migrate.upgrade(conn, where)


def _reason(exc: BaseException, url: sa.URL) -> str:
    """An exception's message, first line only, with the URL's password (if any) hidden."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if url.password:
        text = text.replace(str(url.password), "***")
    return text
