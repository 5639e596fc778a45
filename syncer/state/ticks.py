"""The scheduler's tick ledger: one row per cron tick of a job, whatever became of it.

A tick's own workflow writes its row (:meth:`Ticks.record_tick`, replacing any row of the same
tick: a workflow DBOS recovers writes the same row again, never a second one); the ticks
before it that no scheduler fired (all were down) are written by the next tick that runs
(:meth:`Ticks.record_missed`), without overwriting a row a tick wrote itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from syncer.state.base import StoreBase
from syncer.state.models import ticks
from syncer.state.sql import chunks, upsert


@dataclass(frozen=True, slots=True)
class TickRow:
    """What became of one cron tick of a job."""

    job: str
    scheduled_at: datetime
    #: ``ran``, ``failed``, ``overlap``, ``late``, ``missed``, ``dst_repeat``, ``stopping``,
    #: ``unknown_job``.
    outcome: str
    reason: str
    run_id: int | None = None
    executor: str = ""
    recorded_at: datetime | None = None


class Ticks(StoreBase):
    """Recording and reading the ticks of scheduled jobs."""

    async def record_tick(self, tick: TickRow) -> None:
        """Write ``tick``'s row, replacing a row of the same job and time."""
        row = _values(tick, self._now())
        async with self._write() as conn:
            await upsert(conn, ticks, [row], ["job", "scheduled_at"])

    async def record_missed(
        self, job: str, times: Sequence[datetime], reason: str, executor: str
    ) -> int:
        """Rows for ticks no scheduler fired, leaving any row already there; how many new."""
        now = self._now()
        rows = [_values(TickRow(job, at, "missed", reason, None, executor), now) for at in times]
        added = 0
        async with self._write() as conn:
            dialect = conn.dialect.name
            for chunk in chunks(rows):
                if dialect in ("sqlite", "postgresql"):
                    # One statement per chunk, counted by RETURNING: an executemany's rowcount
                    # is -1 on asyncpg.
                    insert = (sqlite if dialect == "sqlite" else postgresql).insert(ticks)
                    statement = (
                        insert.values(list(chunk))
                        .on_conflict_do_nothing()
                        .returning(ticks.c.scheduled_at)
                    )
                    added += len((await conn.execute(statement)).all())
                    continue
                for row in chunk:  # pragma: no cover - neither SQLite nor PostgreSQL
                    match = sa.and_(ticks.c.job == job, ticks.c.scheduled_at == row["scheduled_at"])
                    if (await conn.execute(sa.select(ticks.c.job).where(match))).first() is None:
                        await conn.execute(ticks.insert().values(**row))
                        added += 1
        return added

    async def last_tick(self, job: str) -> datetime | None:
        """The scheduled time of ``job``'s latest recorded tick, or None."""
        query = sa.select(sa.func.max(ticks.c.scheduled_at)).where(ticks.c.job == job)
        async with self._read() as conn:
            latest: datetime | None = (await conn.execute(query)).scalar()
        return latest

    async def ticks(self, job: str | None = None, limit: int = 100) -> list[TickRow]:
        """The latest ticks (of one job, or of all), newest first."""
        query = sa.select(ticks).order_by(ticks.c.scheduled_at.desc()).limit(limit)
        if job is not None:
            query = query.where(ticks.c.job == job)
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return [TickRow(**row._mapping) for row in rows]  # the columns are the fields


def _values(tick: TickRow, now: datetime) -> dict[str, object]:
    return {**asdict(tick), "recorded_at": now}
