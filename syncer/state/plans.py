"""Saved plans being applied: a plan's ops are journalled all at once, in one transaction with
its ``plans`` row, so a plan applies once (its id is the key) and a killed apply resumes by
running the open ops of the run that journalled them, never journalling them again."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from syncer.errors import StateError
from syncer.state import convert
from syncer.state.base import OPEN, StoreBase
from syncer.state.journal import journal_ops
from syncer.state.models import links, ops, plans
from syncer.state.rows import NewOp, OpRow
from syncer.state.runs import fence

#: Ops inserted per statement while a plan is journalled.
JOURNAL_CHUNK = 500


@dataclass(frozen=True, slots=True)
class PlanRow:
    """A saved plan that an apply has journalled."""

    plan_id: str
    job: str
    run_id: int
    state: str
    ops: int
    started_at: datetime
    finished_at: datetime | None


class Plans(StoreBase):
    """The ``plans`` table and the ops of a plan's run."""

    async def plan_row(self, plan_id: str) -> PlanRow | None:
        """The record of an apply of ``plan_id``, or None when it was never applied."""
        async with self._read() as conn:
            row = (await conn.execute(sa.select(plans).where(plans.c.plan_id == plan_id))).first()
        return None if row is None else PlanRow(*row)

    async def begin_plan(self, plan_id: str, job: str, run_id: int, new: Sequence[NewOp]) -> None:
        """Journal every op of a plan as ``planned`` under ``run_id`` and record the plan as
        ``applying``, in one transaction (nothing is written if the run lost its lease, or if
        the plan was journalled already: StateError)."""
        now = self._now()
        try:
            async with self._write() as conn:
                await fence(conn, run_id, job, now)
                values = {
                    "plan_id": plan_id,
                    "job": job,
                    "run_id": run_id,
                    "state": "applying",
                    "ops": len(new),
                    "started_at": now,
                }
                await conn.execute(plans.insert().values(**values))
                for start in range(0, len(new), JOURNAL_CHUNK):
                    chunk = new[start : start + JOURNAL_CHUNK]
                    await journal_ops(conn, [(job, run_id, chunk)], now)
        except IntegrityError:
            raise StateError(f"plan {plan_id} is being applied already") from None

    async def finish_plan(self, plan_id: str) -> bool:
        """Mark the plan ``applied`` when no op of its run is open any more; whether it is."""
        async with self._write() as conn:
            row = (await conn.execute(sa.select(plans).where(plans.c.plan_id == plan_id))).first()
            if row is None:
                return False
            if row.state == "applied":
                return True
            query = sa.select(sa.func.count()).where(
                ops.c.run_id == row.run_id, ops.c.state.in_(OPEN)
            )
            if int((await conn.execute(query)).scalar_one()):
                return False
            update = plans.update().where(plans.c.plan_id == plan_id)
            await conn.execute(update.values(state="applied", finished_at=self._now()))
            return True

    async def run_open_ops(self, run_id: int, *, after: int = 0, limit: int = 500) -> list[OpRow]:
        """The open ops one run journalled, oldest first, a page at a time."""
        query = (
            sa.select(ops)
            .where(ops.c.run_id == run_id, ops.c.state.in_(OPEN), ops.c.id > after)
            .order_by(ops.c.id)
            .limit(limit)
        )
        async with self._read() as conn:
            return [convert.op_row(r) for r in await conn.execute(query)]

    async def pushed_metadata(self, job: str, target: str) -> list[tuple[str, str, dict[str, Any]]]:
        """Every link of ``target`` with the metadata last pushed there (key, target id,
        metadata; links without it are left out)."""
        query = sa.select(links.c.key, links.c.target_id, links.c.pushed_json).where(
            links.c.job == job, links.c.target == target, links.c.pushed_json.is_not(None)
        )
        found = []
        async with self._read() as conn:
            for key, target_id, text in await conn.execute(query):
                with suppress(ValueError):
                    meta = json.loads(text)
                    if isinstance(meta, dict):
                        found.append((key, target_id, meta))
        return found

    async def deleted_shas(self, job: str, target: str) -> set[str]:
        """The sha256 of every item a done delete removed from ``target`` (where a delete
        only disables, those bytes still count as a duplicate there)."""
        query = sa.select(ops.c.payload).where(
            ops.c.job == job,
            ops.c.target == target,
            ops.c.action == "delete",
            ops.c.state == "done",
        )
        found: set[str] = set()
        async with self._read() as conn:
            for (payload,) in await conn.execute(query):
                sha = _record_sha(payload)
                if sha:
                    found.add(sha)
        return found


def _record_sha(payload: Any) -> str | None:
    record = payload.get("record") if isinstance(payload, Mapping) else None
    sha = record.get("sha256") if isinstance(record, Mapping) else None
    return sha if isinstance(sha, str) else None
