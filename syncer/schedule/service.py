"""The ``syncer schedule`` process: DBOS launched, the jobs' schedules applied, reloads, a stop.

Lifecycle: load the job files; claim DBOS's database (:mod:`~syncer.schedule.system`);
launch DBOS (which recovers this executor's unfinished ticks); declare the ``syncer-runs``
queue; apply one DBOS schedule per job with a cron; enqueue, once, the latest tick each job
missed while no scheduler ran (:mod:`~syncer.schedule.policy` decides whether it is still in
the ``catchup`` window); then look at the job files every ``reload_interval`` seconds, and at
once on SIGHUP.

**Stopping.** The first SIGTERM or SIGINT stops claiming ticks (DBOS's schedule and queue
threads stop; a tick already claimed but not yet started is recorded ``stopping``). Runs in
progress get ``drain_timeout`` seconds to finish; then they are asked to stop at a
checkpoint (what is in flight gets ``stop_grace`` seconds, as ``syncer sync`` on SIGTERM),
record ``interrupted`` and release their lease; the next tick resumes their journal. The
process then exits 0, at most ``drain_timeout + stop_grace + 15`` seconds after the signal. A
second SIGTERM or SIGINT exits at once with ``128 + signal``.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import TaskStatus

from syncer.engine.stopping import DEFAULT_GRACE
from syncer.errors import StateError
from syncer.schedule import workflows
from syncer.schedule.catalog import Changes, JobCatalog
from syncer.schedule.cron import CronSchedule
from syncer.schedule.events import Observer
from syncer.schedule.handler import TickHandler
from syncer.schedule.signals import EARLY as _EARLY
from syncer.schedule.system import SystemDatabase, system_database
from syncer.state import StateStore

log = logging.getLogger("syncer.schedule")

#: Runs at once in one scheduler process (``--concurrency``).
DEFAULT_CONCURRENCY = 4
#: Seconds runs in progress get to finish after SIGTERM (``--drain-timeout``).
DEFAULT_DRAIN = 60.0
#: Seconds between looks at the job files (``--reload-interval``).
DEFAULT_RELOAD = 5.0
#: What the process adds to drain + grace before it gives up waiting on DBOS.
SHUTDOWN_MARGIN = 15.0


@dataclass(frozen=True)
class Settings:
    directory: Path
    state_url: str | None = None
    executor_id: str | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    drain_timeout: float = DEFAULT_DRAIN
    stop_grace: float = DEFAULT_GRACE
    reload_interval: float = DEFAULT_RELOAD


class Scheduler:
    """One ``syncer schedule`` process."""

    def __init__(self, settings: Settings, observer: Observer | None = None) -> None:
        self.settings = settings
        self.observer = observer or Observer()
        self.catalog = JobCatalog(settings.directory)
        self.system: SystemDatabase = system_database(settings.state_url, settings.executor_id)
        self.handler = TickHandler(
            self.catalog, self.system.executor_id, self.observer, settings.stop_grace
        )
        self.launched = False
        #: True when DBOS's shutdown outlasted the bound: the process must exit at once.
        self.unfinished = False
        self._reload_now = anyio.Event()
        self._stop_requested = anyio.Event()
        self._stop_signal: int | None = None
        #: Job-file changes not yet applied to DBOS's schedules (its database was away).
        self._unapplied = False

    # -- start -----------------------------------------------------------------------------

    async def serve(self) -> int:
        """Run until SIGTERM or SIGINT; the exit code."""
        self._report(self.catalog.reload())
        self.system.acquire()
        try:
            async with anyio.create_task_group() as group:
                await group.start(self._watch_signals)  # from here on, a signal drains
                await self._start()
                group.start_soon(self._reload_loop)
                await self._stop_requested.wait()
                code = await self._drain()
                group.cancel_scope.cancel()
            return code
        finally:
            workflows.install(None)
            self.system.release()

    async def _start(self) -> None:
        await anyio.to_thread.run_sync(self._launch)
        log.info(
            "scheduler %s started on %s: %d scheduled job(s) in %s",
            self.system.executor_id,
            self.system.where,
            len(self.catalog.scheduled()),
            self.settings.directory,
        )
        await anyio.to_thread.run_sync(self._apply)
        await self._catch_up()
        self._publish()

    def _launch(self) -> None:
        from dbos import DBOS

        config: Any = dict(self.system.config)
        config["application_version"] = "syncer-schedule-1"
        DBOS(config=config)
        # Only the ticks' queue: other syncer queues in the same database (a worker's) are not
        # this process's to run.
        DBOS.listen_queues([workflows.QUEUE])
        workflows.install(self.handler)
        try:
            DBOS.launch()
            DBOS.register_queue(
                workflows.QUEUE,
                worker_concurrency=self.settings.concurrency,
                polling_interval_sec=1.0,
                on_conflict="always_update",
            )
        except Exception as exc:  # its database refused it: a schema, a permission, a lock
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise StateError(f"DBOS could not start on {self.system.where}: {first}") from exc
        self.launched = True

    def _apply(self) -> None:
        """One DBOS schedule per job with a cron (created or replaced at once); schedules
        of jobs gone are deleted."""
        from dbos import DBOS

        wanted: list[Any] = []
        for name, job in self.catalog.scheduled().items():
            assert job.schedule.cron is not None
            wanted.append(
                {
                    "schedule_name": workflows.schedule_name(name),
                    "workflow_fn": workflows.tick,
                    "schedule": job.schedule.cron,
                    "context": {"job": name},
                    "cron_timezone": job.schedule.timezone,
                    "queue_name": workflows.QUEUE,
                }
            )
        if wanted:
            DBOS.apply_schedules(wanted)
        names = {entry["schedule_name"] for entry in wanted}
        for existing in DBOS.list_schedules(schedule_name_prefix=workflows.PREFIX):
            if existing["schedule_name"] not in names:
                DBOS.delete_schedule(existing["schedule_name"])
                log.info("unscheduled %s", existing["schedule_name"][len(workflows.PREFIX) :])

    async def _catch_up(self) -> None:
        """Enqueue the latest missed tick of each job, under the id DBOS would give it."""
        now = datetime.now(UTC)
        for name, job in self.catalog.scheduled().items():
            cron = CronSchedule.of(job.schedule)
            assert cron is not None  # scheduled() gives jobs with a cron
            try:
                async with await StateStore.open(job.state) as store:
                    last = await store.last_tick(name)
            except Exception as exc:  # the job's store is down: its ticks will say so
                log.warning("%s: cannot read its ticks (%s); no catch-up", name, exc)
                continue
            latest = cron.latest_before(now)
            if last is None or latest is None or latest <= last:
                continue
            log.info("%s: tick %s was missed; enqueuing it", name, latest.isoformat())
            await anyio.to_thread.run_sync(self._enqueue, name, latest)

    @staticmethod
    def _enqueue(name: str, tick: datetime) -> None:
        from dbos import DBOS, SetWorkflowID

        queue = DBOS.retrieve_queue(workflows.QUEUE)
        assert queue is not None  # declared at launch
        with SetWorkflowID(workflows.tick_workflow_id(name, tick)):
            queue.enqueue(workflows.tick, tick, {"job": name})

    # -- running ---------------------------------------------------------------------------

    async def _reload_loop(self) -> None:
        while not self._stop_requested.is_set():
            with anyio.move_on_after(self.settings.reload_interval):
                await self._reload_now.wait()
            if self._stop_requested.is_set():
                return
            self._reload_now = anyio.Event()
            changes = self.catalog.reload()
            self._report(changes)
            self._unapplied |= bool(changes.changed or changes.removed)
            if self._unapplied:
                try:
                    await anyio.to_thread.run_sync(self._apply)
                    self._unapplied = False
                except Exception as exc:  # the database is away: the next look tries again
                    log.warning("the schedules could not be updated (%s); retrying", exc)
            self._publish()

    async def _watch_signals(self, *, task_status: TaskStatus[None]) -> None:
        """SIGHUP reloads; the first SIGTERM or SIGINT stops; a second exits at once. Signals
        that came before (:func:`early_signals` caught them) count as the first ones."""
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
            task_status.started()
            for signum in _EARLY:
                self._on_signal(signum)
            _EARLY.clear()
            async for signum in signals:
                self._on_signal(signum)

    def _on_signal(self, signum: int) -> None:
        if signum == signal.SIGHUP:
            log.info("SIGHUP: reloading the job files")
            self._reload_now.set()
        elif self._stop_signal is None:
            self._stop_signal = signum
            self.handler.stopping.set()
            self._stop_requested.set()
            self._reload_now.set()
        else:
            _exit_now(signum)

    async def _drain(self) -> int:
        signum = self._stop_signal or signal.SIGTERM
        name = signal.Signals(signum).name
        settings = self.settings
        running = self.handler.active.jobs()
        log.info(
            "%s: stopping; no new tick is claimed; %d run(s) in progress (%s) get %g s to "
            "finish (signal again to stop at once)",
            name,
            len(running),
            ", ".join(running) or "none",
            settings.drain_timeout,
        )
        budget = settings.drain_timeout + settings.stop_grace + SHUTDOWN_MARGIN
        deadline = anyio.current_time() + budget
        stopper = threading.Thread(target=_destroy, args=(math.ceil(budget),), daemon=True)
        stopper.start()
        await self._wait_runs(settings.drain_timeout)
        if self.handler.active.jobs():
            self.handler.stop_signal = signum
            count = self.handler.active.stop_all(signum)
            log.warning(
                "drain timeout: %d run(s) stop at a checkpoint; the next tick resumes them", count
            )
            await self._wait_runs(deadline - anyio.current_time() - 2)
        left = max(0.0, deadline - anyio.current_time())
        await anyio.to_thread.run_sync(stopper.join, left)
        self.unfinished = stopper.is_alive()
        if self.unfinished:
            log.warning("DBOS did not shut down within %g s; exiting anyway", budget)
        log.info("scheduler %s stopped", self.system.executor_id)
        return 0

    async def _wait_runs(self, seconds: float) -> None:
        with anyio.move_on_after(seconds):
            while self.handler.active.jobs():  # noqa: ASYNC110 - runs end on DBOS's threads
                await anyio.sleep(0.1)

    # -- reporting -------------------------------------------------------------------------

    def _report(self, changes: Changes) -> None:
        for line in changes.errors:
            log.error("%s", line)
        for name in changes.changed:
            job = self.catalog.get(name)
            cron = job.schedule.cron if job is not None else None
            what = f"cron {cron!r} ({job.schedule.timezone})" if job and cron else "on demand"
            log.info("job %s loaded: %s", name, what, extra={"job": name})
        for name in changes.removed:
            log.info("job %s removed", name, extra={"job": name})

    def next_runs(self, now: datetime | None = None) -> dict[str, datetime | None]:
        """Each scheduled job's next run time."""
        moment = now or datetime.now(UTC)
        found: dict[str, datetime | None] = {}
        for name, job in self.catalog.scheduled().items():
            cron = CronSchedule.of(job.schedule)
            fires = cron.next_fires(moment, 1) if cron is not None else []
            found[name] = fires[0] if fires else None
        return found

    def _publish(self) -> None:
        self.observer.jobs_loaded(self.catalog, self.next_runs())


def _destroy(timeout: int) -> None:
    """Stop DBOS (off the event loop: on it, ``DBOS.destroy`` blocks its whole timeout)."""
    from dbos import DBOS

    try:
        DBOS.destroy(workflow_completion_timeout_sec=timeout)
    except Exception as exc:  # pragma: no cover - DBOS's own shutdown failing
        log.warning("DBOS did not shut down cleanly: %s", exc)


def _exit_now(signum: int) -> None:
    log.warning("%s again: stopping at once", signal.Signals(signum).name)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(128 + signum)
