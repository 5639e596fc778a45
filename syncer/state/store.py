"""``StateStore``: the one narrow door between the engine and its database.

Every method is its own transaction; the engine never sees a session or a row object, only
the frozen dataclasses of :mod:`syncer.state.rows`. The schema comes only from the Alembic
migrations, applied when the store opens. Callers must not pass secrets in any value: the
store keeps what it is given.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from syncer.errors import StateError
from syncer.state import convert, engine, migrate
from syncer.state.journal import FAILED, OPEN, SUPERSEDED, Journal
from syncer.state.models import cursors, links, runs
from syncer.state.models import items as _items
from syncer.state.models import ops as _ops
from syncer.state.rows import (
    FINAL_STATUSES,
    CursorRow,
    ItemRow,
    ItemState,
    LinkRow,
    ListingState,
    NewOp,
    OpRow,
    RunRow,
)
from syncer.state.sql import insert_returning, matching, upsert

Clock = Callable[[], datetime]

#: The item columns an :class:`ItemState` is made of, in its field order.
ITEM_STATE_COLUMNS = ("key", "version", "sha256", "size", "mime", "meta_hash")

#: A run whose heartbeat is older than this is presumed dead and its lease may be taken over.
DEFAULT_LEASE_SECONDS = 120.0
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


class StateStore(Journal):
    """Runs, cursors, items, links, the ops journal and the spool index of every job."""

    def __init__(self, db: AsyncEngine, *, lease_seconds: float, clock: Clock) -> None:
        self._db = db
        self._lease = timedelta(seconds=lease_seconds)
        self._now = clock
        #: The database URL with any password hidden, for messages.
        self.url = engine.redact(db.url)

    # -- lifecycle -------------------------------------------------------------------------

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

    async def close(self) -> None:
        """Release every connection."""
        await self._db.dispose()

    async def __aenter__(self) -> StateStore:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- runs ------------------------------------------------------------------------------

    async def start_run(self, job: str, mode: str) -> RunRow:
        """Start a run of ``job``, taking the job's lease.

        Raises StateError when another run of the job is running with a fresh heartbeat. A
        running run whose heartbeat is older than the lease (its process died) is marked
        ``interrupted`` and the lease taken over.
        """
        now = self._now()
        try:
            async with self._write() as conn:
                await self._take_lease(conn, job, now)
                values = {"job": job, "mode": mode, "status": "running", "started_at": now}
                values |= {"heartbeat_at": now, "finished_at": None, "counts": {}}
                values["holder"] = _this_process()
                result = await conn.execute(runs.insert().values(**values))
                run_id = result.inserted_primary_key
                assert run_id is not None
        except IntegrityError:
            # Another process started the job between our check and our insert.
            async with self._read() as conn:
                holder = await self._running(conn, job)
            raise _busy(job, holder) from None
        return await self._run(run_id[0])

    async def _take_lease(self, conn: AsyncConnection, job: str, now: datetime) -> None:
        holder = await self._running(conn, job)
        if holder is None:
            return
        if now - holder.heartbeat_at < self._lease and not _holder_died(holder.holder):
            raise _busy(job, holder)
        stale = sa.and_(
            runs.c.id == holder.id,
            runs.c.status == "running",
            runs.c.heartbeat_at == holder.heartbeat_at,
        )
        taken = await conn.execute(
            runs.update().where(stale).values(status="interrupted", finished_at=now)
        )
        if taken.rowcount != 1:
            raise _busy(job, holder)

    @staticmethod
    async def _running(conn: AsyncConnection, job: str) -> sa.Row[Any] | None:
        query = sa.select(runs).where(runs.c.job == job, runs.c.status == "running")
        return (await conn.execute(query)).first()

    async def _run(self, run_id: int) -> RunRow:
        async with self._read() as conn:
            row = (await conn.execute(sa.select(runs).where(runs.c.id == run_id))).one()
        return convert.run_row(row)

    @property
    def lease_seconds(self) -> float:
        """How long a run's lease lasts without a heartbeat (or a committed page)."""
        return self._lease.total_seconds()

    async def heartbeat(self, run_id: int) -> None:
        """Keep the run's lease; raises StateError if the run lost it (it must stop)."""
        async with self._write() as conn:
            await self._fence(conn, run_id)

    async def _fence(self, conn: AsyncConnection, run_id: int, job: str | None = None) -> None:
        """Refresh the lease inside ``conn``'s transaction, or fail if the run is not running."""
        match = sa.and_(runs.c.id == run_id, runs.c.status == "running")
        if job is not None:
            match = sa.and_(match, runs.c.job == job)
        result = await conn.execute(runs.update().where(match).values(heartbeat_at=self._now()))
        if result.rowcount != 1:
            raise await _not_running(conn, run_id, job)

    async def finish_run(self, run_id: int, status: str, counts: dict[str, Any]) -> RunRow:
        """End a running run with a final ``status`` and its summary ``counts``; frees the lease."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"status {status!r} is not one of {sorted(FINAL_STATUSES)}")
        now = self._now()
        async with self._write() as conn:
            match = sa.and_(runs.c.id == run_id, runs.c.status == "running")
            values = {"status": status, "counts": counts, "finished_at": now, "heartbeat_at": now}
            result = await conn.execute(runs.update().where(match).values(**values))
            if result.rowcount != 1:
                raise await _not_running(conn, run_id, None)
        return await self._run(run_id)

    async def runs(self, job: str | None = None, limit: int = 20) -> list[RunRow]:
        """The latest runs, newest first, of one job or all."""
        query = sa.select(runs).order_by(runs.c.id.desc()).limit(limit)
        if job is not None:
            query = query.where(runs.c.job == job)
        async with self._read() as conn:
            return [convert.run_row(r) for r in await conn.execute(query)]

    # -- listing ---------------------------------------------------------------------------

    async def cursor(self, job: str, source: str) -> CursorRow | None:
        """Where the listing of ``source`` resumes, or None to start from the beginning."""
        query = sa.select(cursors).where(cursors.c.job == job, cursors.c.source == source)
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        return convert.cursor_row(row) if row else None

    async def commit_page(
        self,
        run_id: int,
        job: str,
        source: str,
        items: Sequence[ItemRow],
        cursor: dict[str, Any],
        complete: bool,
        ops: Sequence[NewOp],
        *,
        incremental: bool = False,
        tombstones: Sequence[str] = (),
        seen: Sequence[str] = (),
        bases: Sequence[tuple[str, str, str]] = (),
    ) -> list[OpRow]:
        """Record one listed page in ONE transaction: its items, the cursor after it, its ops.

        Items are upserted as seen by ``run_id`` (and live again); ``seen`` are keys stored
        exactly as listed, only marked seen (and live) without rewriting them; ``tombstones``
        are the keys the source listed as deleted, flagged for the next sweep; ``incremental``
        says the listing started from a watermark; ``bases`` are ``(target, key, basis)`` of
        links found in step, given their basis (``LinkRow.basis``). The ops are journalled as
        ``planned`` and returned with their ids. Refreshes the run's lease, and raises
        StateError without writing anything if the run no longer holds it.
        """
        _check_job(job, items)
        now = self._now()
        latest = {item.key: convert.item_values(item, run_id) for item in items}
        cursor_values = {"job": job, "source": source, "cursor": cursor, "complete": complete}
        cursor_values |= {"run_id": run_id, "updated_at": now, "incremental": incremental}
        async with self._write() as conn:
            await self._fence(conn, run_id, job)
            await upsert(conn, _items, list(latest.values()), ("job", "key"))
            await self._mark_seen(conn, job, run_id, seen)
            await self._flag_tombstones(conn, job, tombstones)
            await upsert(conn, cursors, [cursor_values], ("job", "source"))
            await _set_bases(conn, job, bases)
            await self._supersede_failed(conn, job, ops)
            new = [convert.op_values(op, job, run_id, now) for op in ops]
            stored = await insert_returning(conn, _ops, new)
        return [convert.op_row(row) for row in stored]

    async def _supersede_failed(
        self, conn: AsyncConnection, job: str, ops: Sequence[NewOp]
    ) -> None:
        """A new plan of an item on a target replaces its failed ops there: they become
        ``skipped``, so that ``syncer retry`` cannot push an item the new op pushes too."""
        by_target: dict[str, list[str]] = {}
        for op in ops:
            by_target.setdefault(op.target, []).append(op.key)
        values = {"state": "skipped", "error": SUPERSEDED, "updated_at": self._now()}
        for target, keys in by_target.items():
            for among in matching(conn.dialect.name, _ops.c.key, keys):
                match = sa.and_(
                    _ops.c.job == job, among, _ops.c.state.in_(FAILED), _ops.c.target == target
                )
                await conn.execute(_ops.update().where(match).values(**values))

    @staticmethod
    async def _mark_seen(conn: AsyncConnection, job: str, run_id: int, keys: Sequence[str]) -> None:
        values = {"last_seen_run": run_id, "gone": False, "tombstone": False}
        for among in matching(conn.dialect.name, _items.c.key, keys):
            match = sa.and_(_items.c.job == job, among)
            await conn.execute(_items.update().where(match).values(**values))

    @staticmethod
    async def _flag_tombstones(conn: AsyncConnection, job: str, keys: Sequence[str]) -> None:
        for among in matching(conn.dialect.name, _items.c.key, keys):
            match = sa.and_(_items.c.job == job, among, ~_items.c.gone)
            await conn.execute(_items.update().where(match).values(tombstone=True))

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

    def now(self) -> datetime:
        """The store's clock (UTC), which stamps runs, cursors and sweeps."""
        return self._now()

    async def items(self, job: str, keys: Sequence[str]) -> dict[str, ItemRow]:
        """The known items among ``keys`` (gone ones included), by key."""
        found: dict[str, ItemRow] = {}
        async with self._read() as conn:
            for among in matching(conn.dialect.name, _items.c.key, keys):
                query = sa.select(_items).where(_items.c.job == job, among)
                found.update((r.key, convert.item_row(r)) for r in await conn.execute(query))
        return found

    async def listing_state(
        self, job: str, targets: Sequence[str], keys: Sequence[str]
    ) -> ListingState:
        """What a listed page needs to be fingerprinted and planned, in one read: the states
        of the known items among ``keys`` (:meth:`items` without the stored records, gone ones
        included), their :meth:`links` to each of ``targets``, and which
        of them have an op still open (planned or sent) on each target."""
        async with self._read() as conn:
            known = await _item_states(conn, job, keys)
            linked = await _links(conn, job, targets, keys)
            pending = await _pending(conn, job, targets, keys)
        return ListingState(known, linked, pending)

    async def open_keys(
        self, job: str, targets: Sequence[str], keys: Sequence[str]
    ) -> dict[str, set[str]]:
        """Which of ``keys`` have an op still open (planned or sent) on each of ``targets``."""
        async with self._read() as conn:
            return await _pending(conn, job, targets, keys)

    async def unseen_items(self, job: str, run_id: int | None) -> list[ItemRow]:
        """Live items of ``job`` the sweep may delete: those the source listed as deleted
        (tombstones) and, given ``run_id``, those that run did not see.

        ``run_id`` is only meaningful once that run's full listing is complete; without it
        (an incremental listing, which cannot see deletions by absence) only tombstones count.
        """
        candidate: sa.ColumnElement[bool] = _items.c.tombstone.is_(True)
        if run_id is not None:
            unseen = sa.or_(_items.c.last_seen_run.is_(None), _items.c.last_seen_run != run_id)
            candidate = sa.or_(candidate, unseen)
        query = (
            sa.select(_items)
            .where(_items.c.job == job, _items.c.gone.is_(False), candidate)
            .order_by(_items.c.key)
        )
        async with self._read() as conn:
            return [convert.item_row(r) for r in await conn.execute(query)]

    async def mark_gone(self, job: str, keys: Sequence[str]) -> int:
        """Mark items as gone from the source; returns how many live items changed."""
        changed = 0
        async with self._write() as conn:
            for among in matching(conn.dialect.name, _items.c.key, keys):
                match = sa.and_(_items.c.job == job, among, ~_items.c.gone)
                changed += (
                    await conn.execute(_items.update().where(match).values(gone=True))
                ).rowcount
        return changed

    # -- links -----------------------------------------------------------------------------

    async def links(self, job: str, target: str, keys: Sequence[str]) -> dict[str, LinkRow]:
        """The links to ``target`` among ``keys``, by source key."""
        async with self._read() as conn:
            return (await _links(conn, job, [target], keys))[target]

    async def count_links(self, job: str, target: str) -> int:
        """How many items of ``job`` syncer created or adopted on ``target`` (delete guard base)."""
        query = sa.select(sa.func.count()).where(links.c.job == job, links.c.target == target)
        async with self._read() as conn:
            return int((await conn.execute(query)).scalar_one())


# -- helpers -------------------------------------------------------------------------------


async def _item_states(
    conn: AsyncConnection, job: str, keys: Sequence[str]
) -> dict[str, ItemState]:
    columns = [_items.c[name] for name in ITEM_STATE_COLUMNS]
    found: dict[str, ItemState] = {}
    for among in matching(conn.dialect.name, _items.c.key, keys):
        query = sa.select(*columns).where(_items.c.job == job, among)
        found.update((r[0], ItemState(*r)) for r in await conn.execute(query))
    return found


#: The link columns a :class:`LinkRow` is made of, in its field order.
_LINK_COLUMNS = [links.c[f.name] for f in fields(LinkRow)]


async def _set_bases(
    conn: AsyncConnection, job: str, bases: Sequence[tuple[str, str, str]]
) -> None:
    if not bases:
        return
    match = sa.and_(
        links.c.job == job,
        links.c.target == sa.bindparam("b_target"),
        links.c.key == sa.bindparam("b_key"),
    )
    values = [{"b_target": t, "b_key": k, "b_basis": b} for t, k, b in bases]
    await conn.execute(links.update().where(match).values(basis=sa.bindparam("b_basis")), values)


async def _pending(
    conn: AsyncConnection, job: str, targets: Sequence[str], keys: Sequence[str]
) -> dict[str, set[str]]:
    """Which of ``keys`` have an op planned or sent on each of ``targets``."""
    found: dict[str, set[str]] = {target: set() for target in targets}
    if not targets:
        return found
    for among in matching(conn.dialect.name, _ops.c.key, keys):
        match = sa.and_(_ops.c.job == job, among, _ops.c.state.in_(OPEN))
        query = sa.select(_ops.c.target, _ops.c.key).where(match).distinct()
        for target, key in await conn.execute(query):
            if target in found:
                found[target].add(key)
    return found


async def _links(
    conn: AsyncConnection, job: str, targets: Sequence[str], keys: Sequence[str]
) -> dict[str, dict[str, LinkRow]]:
    """The links of ``keys`` to each of ``targets`` (one query for them all), by target, then
    by source key; every target is in the answer, linked or not."""
    found: dict[str, dict[str, LinkRow]] = {target: {} for target in targets}
    if not targets:
        return found
    for among in matching(conn.dialect.name, links.c.key, keys):
        match = sa.and_(links.c.job == job, links.c.target.in_(list(found)), among)
        for row in await conn.execute(sa.select(*_LINK_COLUMNS).where(match)):
            found[row.target][row.key] = LinkRow(*row)
    return found


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


def _busy(job: str, holder: sa.Row[Any] | None) -> StateError:
    if holder is None:
        return StateError(f"job {job} is already running in another process")
    return StateError(
        f"job {job} is already running (run {holder.id} since "
        f"{convert.iso(holder.started_at)}, last heartbeat {convert.iso(holder.heartbeat_at)}); "
        "wait for it to finish (a run whose process died loses its lease when the heartbeat "
        "is older than the lease)"
    )


async def _not_running(conn: AsyncConnection, run_id: int, job: str | None) -> StateError:
    row = (await conn.execute(sa.select(runs).where(runs.c.id == run_id))).first()
    if row is None:
        return StateError(f"run {run_id} does not exist in the state store")
    if job is not None and row.job != job:
        return StateError(f"run {run_id} belongs to job {row.job}, not {job}")
    return StateError(
        f"run {run_id} of job {row.job} is no longer running (status {row.status}): another "
        "process took over its lease; this run must stop"
    )


def _check_job(job: str, rows: Sequence[ItemRow]) -> None:
    strays = sorted({row.job for row in rows} - {job})
    if strays:
        raise ValueError(f"commit_page for job {job!r} was given items of job(s) {strays}")


def _this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _holder_died(holder: str | None) -> bool:
    """True when the lease holder was a process on this host that no longer exists (killed):
    its lease can be taken over at once instead of after the heartbeat goes stale."""
    if not holder:
        return False
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False
