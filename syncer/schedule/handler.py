"""A tick's two steps, as DBOS runs them (:mod:`syncer.schedule.workflows`): decide, then run.

Each step is a DBOS step, so a tick recovered after a crash does not decide again: it resumes
at the run, which resumes the job's journal. Both steps record the tick in the job's state
store (:class:`~syncer.state.ticks.Ticks`): ``started`` when it is decided to run, then what
became of it. The steps run on DBOS's worker threads, each in an event loop of its own.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import anyio

from syncer.crash import job_secrets, remember_secrets
from syncer.engine.stopping import DEFAULT_GRACE, Stop
from syncer.errors import SyncerError
from syncer.jobs import Job
from syncer.schedule.catalog import JobCatalog
from syncer.schedule.cron import CronSchedule
from syncer.schedule.events import Observer
from syncer.schedule.policy import decide
from syncer.schedule.runner import RunResult, run_once
from syncer.state import StateStore, TickRow

log = logging.getLogger("syncer.schedule")


@dataclass
class _Active:
    job: str
    stop: Stop
    loop: asyncio.AbstractEventLoop


class ActiveRuns:
    """The runs going on in this process, so that a stop can reach them from another thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[int, _Active] = {}

    @contextmanager
    def running(self, job: str, stop: Stop) -> Iterator[None]:
        active = _Active(job, stop, asyncio.get_running_loop())
        with self._lock:
            self._runs[id(active)] = active
        try:
            yield
        finally:
            with self._lock:
                self._runs.pop(id(active), None)

    def jobs(self) -> list[str]:
        with self._lock:
            return sorted(a.job for a in self._runs.values())

    def stop_all(self, signum: int) -> int:
        """Ask every run to stop at its next checkpoint; how many were asked."""
        with self._lock:
            runs = list(self._runs.values())
        for active in runs:
            active.loop.call_soon_threadsafe(active.stop.request, signum)
        return len(runs)


class TickHandler:
    """What the tick workflow's steps do, for the jobs of ``catalog``."""

    def __init__(
        self,
        catalog: JobCatalog,
        executor_id: str,
        observer: Observer | None = None,
        stop_grace: float = DEFAULT_GRACE,
    ) -> None:
        self.catalog = catalog
        self.executor_id = executor_id
        self.observer = observer or Observer()
        self.stop_grace = stop_grace
        self.active = ActiveRuns()
        #: Set by the first SIGTERM or SIGINT: ticks decided from now on are not run.
        self.stopping = threading.Event()
        #: Set when the drain timeout is over: runs that start now stop at once.
        self.stop_signal: int | None = None

    # -- step 1 ----------------------------------------------------------------------------

    def decide(self, name: str, tick: datetime) -> dict[str, Any]:
        job = self._job(name, tick)
        if job is None:
            return {"outcome": "unknown_job", "reason": "no such job here"}
        try:
            return anyio.run(self._decide, job, tick)
        except SyncerError as exc:  # its state store is away: nothing to record it in
            self.observer.tick(job.name, "failed")
            self._log(logging.ERROR, job, tick, f"tick not run: {exc}")
            return {"outcome": "failed", "reason": str(exc)}

    async def _decide(self, job: Job, tick: datetime) -> dict[str, Any]:
        cron = CronSchedule.of(job.schedule)
        assert cron is not None  # _job() gives scheduled jobs only
        async with await StateStore.open(job.state) as store:
            last = await store.last_tick(job.name)
            decision = decide(
                cron, job.schedule.catchup, tick, store.now(), last, stopping=self.stopping.is_set()
            )
            if decision.missed:
                reason = decision.missed_reason(tick)
                added = await store.record_missed(
                    job.name, decision.missed, reason, self.executor_id
                )
                if added:
                    self.observer.tick(job.name, "missed", added)
                    self._log(logging.WARNING, job, tick, f"{added} missed tick(s): {reason}")
            outcome = "started" if decision.runs else decision.outcome
            await store.record_tick(
                TickRow(job.name, tick, outcome, decision.reason, None, self.executor_id)
            )
        if not decision.runs:
            self.observer.tick(job.name, decision.outcome)
            self._log(
                logging.INFO, job, tick, f"tick skipped ({decision.outcome}): {decision.reason}"
            )
        return {"outcome": decision.outcome, "reason": decision.reason}

    # -- step 2 ----------------------------------------------------------------------------

    def run(self, name: str, tick: datetime) -> dict[str, Any]:
        job = self._job(name, tick)
        if job is None:
            return {"outcome": "unknown_job", "reason": "the job's file is gone"}
        return anyio.run(self._run, job, tick)

    async def _run(self, job: Job, tick: datetime) -> dict[str, Any]:
        stop = Stop(self.stop_grace)
        started = time.monotonic()
        self._log(logging.INFO, job, tick, "run starting")
        with self.active.running(job.name, stop):
            if self.stop_signal is not None:
                stop.request(self.stop_signal)
            result = await run_once(job, stop, partial(self._settle, job, tick))
        seconds = time.monotonic() - started
        outcome, reason = _tick_outcome(result)
        self.observer.tick(job.name, outcome)
        self.observer.run_finished(job.name, result.status, result.summary, seconds)
        level = logging.INFO if result.status in ("succeeded", "overlap") else logging.WARNING
        self._log(level, job, tick, f"{reason} in {seconds:.1f} s", run=result.run_id)
        return {"outcome": outcome, "reason": reason, "run": result.run_id}

    async def _settle(self, job: Job, tick: datetime, store: StateStore, result: RunResult) -> None:
        """Record what became of the tick, in the store the run used."""
        outcome, reason = _tick_outcome(result)
        try:
            await store.record_tick(
                TickRow(job.name, tick, outcome, reason, result.run_id, self.executor_id)
            )
        except SyncerError as exc:  # the run's own outcome is in its run row, if it had one
            self._log(logging.ERROR, job, tick, f"the tick's outcome was not recorded: {exc}")

    # -- helpers ---------------------------------------------------------------------------

    def _job(self, name: str, tick: datetime) -> Job | None:
        job = self.catalog.get(name)
        if job is None or job.schedule.cron is None:
            log.warning(
                "tick %s of job %s: no such scheduled job in %s; skipped",
                tick.isoformat(),
                name,
                self.catalog.directory,
                extra={"job": name, "tick": tick.isoformat()},
            )
            self.observer.tick(name, "unknown_job")
            return None
        remember_secrets(job_secrets(job))
        return job

    def _log(
        self, level: int, job: Job, tick: datetime, message: str, run: int | None = None
    ) -> None:
        extra: dict[str, Any] = {"job": job.name, "tick": tick.isoformat()}
        if run is not None:
            extra["run"] = run
        log.log(level, "%s: %s", job.name, message, extra=extra)


def _tick_outcome(result: RunResult) -> tuple[str, str]:
    if result.status == "overlap":
        return "overlap", result.error
    if result.status == "failed":
        return "failed", result.error
    return "ran", f"run {result.run_id} {result.status}"
