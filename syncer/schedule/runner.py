"""One scheduled run of a job: an incremental ``sync`` (a full sweep when ``full_every`` is
due), in its own event loop on the DBOS worker thread that runs the tick."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from syncer.crash import reported
from syncer.engine.commands import REPORTS_ROOT, SPOOL_ROOT
from syncer.engine.run import Mode, run_job
from syncer.engine.run_report import leave_report
from syncer.engine.stopping import Stop
from syncer.engine.summary import RunSummary
from syncer.errors import JobBusyError, SyncerError
from syncer.http import open_session
from syncer.jobs import Job
from syncer.spool import Spool
from syncer.state import StateStore

log = logging.getLogger("syncer.schedule")


@dataclass(frozen=True)
class RunResult:
    """How a scheduled run went: the run's status, ``overlap`` (another run of the job held
    its lease) or ``failed`` (an error stopped it before or while it ran)."""

    status: str
    run_id: int | None = None
    summary: RunSummary | None = None
    error: str = ""


#: What the caller does with the result before the run's state store closes (records it).
Settle = Callable[[StateStore, RunResult], Awaitable[None]]


async def run_once(job: Job, stop: Stop, settle: Settle) -> RunResult:
    """Sync ``job`` once, then ``settle(store, result)`` in the same state store; never raises
    (an unexpected error is logged with its traceback)."""
    try:
        async with await StateStore.open(job.state) as store:
            result = await _sync(job, stop, store)
            await settle(store, result)
            return result
    except SyncerError as exc:  # the state store could not be opened: nothing to record in
        return RunResult("failed", error=str(exc))


async def _sync(job: Job, stop: Stop, store: StateStore) -> RunResult:
    try:
        async with Spool(SPOOL_ROOT / job.name) as spool, open_session() as session:
            try:
                summary = await run_job(
                    job, Mode.SYNC, store=store, spool=spool, session=session, stop=stop
                )
            except* SyncerError as group:
                raise reported(group) from None
            if summary.run_id is not None:
                await leave_report(
                    store, job.name, summary.run_id, REPORTS_ROOT / job.name, _say(job)
                )
            return RunResult(summary.status, summary.run_id, summary)
    except JobBusyError as exc:
        return RunResult("overlap", error=str(exc))
    except SyncerError as exc:
        return RunResult("failed", error=str(exc))
    except Exception as exc:  # a bug: the scheduler goes on, the log keeps the traceback
        log.error(
            "unexpected error in a run of %s: %s",
            job.name,
            exc,
            extra={"job": job.name, "traceback": traceback.format_exc()},
        )
        return RunResult("failed", error=f"unexpected error (a bug): {type(exc).__name__}: {exc}")


def _say(job: Job) -> Callable[[str], None]:
    def say(line: str) -> None:
        log.info(line, extra={"job": job.name})

    return say
