"""Runs and the job's lease: one running run per job, kept alive by its heartbeat.

Every write a run makes through the store first :func:`fence`\\ s it: it refreshes the lease
in the same transaction, or fails (writing nothing) when another process took it over.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from syncer.errors import JobBusyError, StateError
from syncer.state import convert
from syncer.state.base import StoreBase
from syncer.state.models import runs
from syncer.state.rows import FINAL_STATUSES, RunRow

#: A run whose heartbeat is older than this is presumed dead and its lease may be taken over.
DEFAULT_LEASE_SECONDS = 120.0


class Runs(StoreBase):
    """Starting, keeping and ending runs; listing them."""

    async def start_run(self, job: str, mode: str) -> RunRow:
        """Start a run of ``job``, taking the job's lease.

        Raises StateError when another run of the job is running with a fresh heartbeat. A
        running run whose heartbeat is older than the lease (its process died) is marked
        ``interrupted`` and the lease taken over.
        """
        try:
            async with self._write() as conn:
                # The clock is read once the write lock is held: a start that waited for the lock
                # (SQLite serialises writers) is stamped when it took the lease, not before.
                now = self._now()
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
                holder = await _running(conn, job)
            raise _busy(job, holder) from None
        return await self._run(run_id[0])

    async def _take_lease(self, conn: AsyncConnection, job: str, now: datetime) -> None:
        holder = await _running(conn, job)
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
            await fence(conn, run_id, None, self._now())

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

    async def find_run(self, run_id: int) -> RunRow | None:
        """Run ``run_id``, or None when the store holds no such run."""
        async with self._read() as conn:
            row = (await conn.execute(sa.select(runs).where(runs.c.id == run_id))).first()
        return None if row is None else convert.run_row(row)

    async def runs(self, job: str | None = None, limit: int = 20) -> list[RunRow]:
        """The latest runs, newest first, of one job or all."""
        query = sa.select(runs).order_by(runs.c.id.desc()).limit(limit)
        if job is not None:
            query = query.where(runs.c.job == job)
        async with self._read() as conn:
            return [convert.run_row(r) for r in await conn.execute(query)]


async def fence(conn: AsyncConnection, run_id: int, job: str | None, now: datetime) -> None:
    """Refresh the lease inside ``conn``'s transaction, or raise StateError if the run (of
    ``job``, when given) is not running: the caller's transaction then writes nothing."""
    match = sa.and_(runs.c.id == run_id, runs.c.status == "running")
    if job is not None:
        match = sa.and_(match, runs.c.job == job)
    result = await conn.execute(runs.update().where(match).values(heartbeat_at=now))
    if result.rowcount != 1:
        raise await _not_running(conn, run_id, job)


async def _running(conn: AsyncConnection, job: str) -> sa.Row[Any] | None:
    query = sa.select(runs).where(runs.c.job == job, runs.c.status == "running")
    return (await conn.execute(query)).first()


def _busy(job: str, holder: sa.Row[Any] | None) -> JobBusyError:
    if holder is None:
        return JobBusyError(f"job {job} is already running in another process")
    return JobBusyError(
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
