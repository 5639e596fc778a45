"""The DBOS workflow a job's schedule fires: one per tick, run once across all schedulers.

DBOS names each tick's workflow ``sched-syncer:<job>-<tick>``, and that id is the claim: any
number of schedulers on one PostgreSQL fire the same tick, DBOS starts one workflow, and one
executor dequeues it (``syncer-runs``, at most ``--concurrency`` at once in each scheduler). A
scheduler starting after downtime enqueues the latest tick it missed under the same id, so a
tick that another scheduler did fire is not run twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dbos import DBOS

from syncer.schedule.handler import TickHandler
from syncer.schedule.policy import RUN

#: The queue every tick is enqueued on.
QUEUE = "syncer-runs"
#: Prefix of the DBOS schedule of each job.
PREFIX = "syncer:"

_handler: TickHandler | None = None


def install(handler: TickHandler | None) -> None:
    """The handler whose catalog this process's ticks run (None: none, after a stop)."""
    global _handler
    _handler = handler


def schedule_name(job: str) -> str:
    return f"{PREFIX}{job}"


def tick_workflow_id(job: str, tick: datetime) -> str:
    """The id DBOS's scheduler gives the workflow of ``tick`` (a time in the job's zone)."""
    return f"sched-{schedule_name(job)}-{tick.isoformat()}"


def _need() -> TickHandler:
    if _handler is None:  # pragma: no cover - DBOS runs workflows only after install()
        raise RuntimeError("no scheduler is installed in this process")
    return _handler


@DBOS.workflow(name="syncer.tick")
def tick(scheduled_at: datetime, context: dict[str, Any]) -> dict[str, Any]:
    """Decide what becomes of the tick, then run the job if it is to run."""
    job = str(context.get("job", ""))
    at = scheduled_at.isoformat()
    decision = decide_step(job, at)
    if decision.get("outcome") != RUN:
        return decision
    return run_step(job, at)


@DBOS.step(name="syncer.decide")
def decide_step(job: str, at: str) -> dict[str, Any]:
    return _need().decide(job, datetime.fromisoformat(at))


@DBOS.step(name="syncer.run")
def run_step(job: str, at: str) -> dict[str, Any]:
    return _need().run(job, datetime.fromisoformat(at))
