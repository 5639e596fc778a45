"""The scheduler's Prometheus metrics: runs, ticks, operations, bytes, HTTP, jobs (docs/metrics.md).

:class:`Metrics` owns its own registry (never prometheus_client's global one), fills it from the
scheduler's events (:class:`~syncer.schedule.events.Observer`) and from the HTTP layer's
(:mod:`syncer.http.observe`: it installs itself as the process's HTTP observer), and renders it
for ``/metrics``. Labels are job names, target names, actions and outcomes: never an item key
(a skip's reason, which may name an item, is not a label).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from syncer.http import observe
from syncer.schedule.events import Observer

if TYPE_CHECKING:
    from syncer.engine.summary import RunSummary
    from syncer.schedule.catalog import JobCatalog
    from syncer.schedule.cron import CronSchedule

#: The content type of :meth:`Metrics.render` (Prometheus' text format 0.0.4).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
#: Seconds an HTTP attempt took: from a fast API call to a slow upload.
REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
#: Seconds a run took: from an incremental run that finds nothing to a full sweep.
RUN_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0)
#: The action label of skipped operations (the reason stays out of the labels).
SKIP = "skip"


@dataclass(frozen=True)
class LastRun:
    """How a job's latest run ended in this process, and when its latest success was."""

    outcome: str | None = None
    success: datetime | None = None


class Metrics(Observer):
    """Every metric of a ``syncer schedule`` process, in a registry of its own; thread-safe."""

    def __init__(self, *, clock: Callable[[], float] = time.time, install: bool = True) -> None:
        self.registry = CollectorRegistry()
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, LastRun] = {}
        self._crons: dict[str, CronSchedule] = {}
        self._next: dict[str, datetime | None] = {}
        self._define()
        self._installed = install
        if install:
            observe.set_observer(self)

    def _define(self) -> None:
        """The job-level metrics; the HTTP-level ones in :meth:`_define_http`."""
        make = _Makers(self.registry)
        counter, gauge, histogram = make.counter, make.gauge, make.histogram
        self.runs = counter("syncer_runs", "Runs ended, by job and outcome.", "job", "outcome")
        self.ticks = counter(
            "syncer_ticks", "Ticks recorded, by job and outcome.", "job", "outcome"
        )
        self.operations = counter(
            "syncer_operations",
            "Operations settled, by job, target, action and outcome (done, failed, skipped).",
            "job",
            "target",
            "action",
            "outcome",
        )
        self.uploaded = counter("syncer_uploaded_bytes", "Bytes sent to targets.", "job", "target")
        self.last_success = gauge(
            "syncer_job_last_success_timestamp_seconds", "When a run last succeeded.", "job"
        )
        self.next_run = gauge("syncer_job_next_run_timestamp_seconds", "A job's next run.", "job")
        self.run_seconds = histogram(
            "syncer_run_duration_seconds", "Seconds each run took, by job.", "job", RUN_BUCKETS
        )
        self.jobs = gauge("syncer_jobs_loaded", "Jobs loaded from the job files.")
        self.file_errors = gauge("syncer_job_file_errors", "Job files with an error.")
        self._define_http()

    def _define_http(self) -> None:
        make = _Makers(self.registry)
        counter, gauge, histogram = make.counter, make.gauge, make.histogram
        self.retries = counter("syncer_http_retries", "HTTP requests tried again.", "target")
        self.rate_limited = counter("syncer_http_rate_limited", "HTTP 429 answers.", "target")
        self.request_seconds = histogram(
            "syncer_http_request_duration_seconds",
            "Seconds each HTTP attempt took, by target.",
            "target",
            REQUEST_BUCKETS,
        )
        self.lane_rate = gauge("syncer_lane_rate", "Requests/s of each target's lane.", "target")

    def close(self) -> None:
        """Stop being the process's HTTP observer (when it still is)."""
        if self._installed and observe.observer() is self:
            observe.set_observer(None)
        self._installed = False

    # -- the scheduler's events ----------------------------------------------------------------

    def tick(self, job: str, outcome: str, count: int = 1) -> None:
        self.ticks.labels(job, outcome).inc(count)

    def run_finished(
        self, job: str, status: str, summary: RunSummary | None, seconds: float
    ) -> None:
        self.runs.labels(job, status).inc()
        if status != "overlap":  # another run held the lease: nothing ran
            self.run_seconds.labels(job).observe(seconds)
        with self._lock:
            success = self._last.get(job, LastRun()).success
            if status == "succeeded":
                success = datetime.fromtimestamp(self._clock(), UTC)
                self.last_success.labels(job).set(success.timestamp())
            self._last[job] = LastRun(status, success)
        if summary is not None:
            self._count_operations(job, summary)

    def _count_operations(self, job: str, summary: RunSummary) -> None:
        """A run's tallies as counters: ``target.action`` keys split, skips by target only."""
        targets = set(summary.vendors)
        for outcome, counts in (("done", summary.done), ("failed", summary.failed)):
            for key, count in counts.items():
                target, _, action = key.rpartition(".")
                targets.add(target)
                self.operations.labels(job, target, action, outcome).inc(count)
        for key, count in summary.skipped.items():
            target, colon, _ = key.partition(": ")
            # A bare reason is every target's ("" labels it); a reason never becomes a label.
            label = target if colon and target in targets else ""
            self.operations.labels(job, label, SKIP, "skipped").inc(count)
        for target, count in summary.uploaded.items():
            self.uploaded.labels(job, target).inc(count)

    def jobs_loaded(self, catalog: JobCatalog, next_runs: Mapping[str, datetime | None]) -> None:
        jobs = catalog.jobs()
        crons: dict[str, CronSchedule] = {}
        for entry in catalog.entries():
            cron = entry.cron
            if entry.job is not None and cron is not None:
                crons.setdefault(entry.job.name, cron)
        self.jobs.set(len(jobs))
        self.file_errors.set(len(catalog.errors()))
        with self._lock:
            for gone in set(self._next) - set(next_runs):
                self.next_run.remove(gone)
            for gone in set(self._last) - set(jobs):
                if self._last.pop(gone).success is not None:
                    self.last_success.remove(gone)
            self._crons = crons
            self._next = dict(next_runs)
            for job, moment in next_runs.items():
                self._set_next(job, moment)

    def _set_next(self, job: str, moment: datetime | None) -> None:
        gauge = self.next_run.labels(job)
        gauge.set(moment.timestamp() if moment is not None else float("nan"))

    def _refresh_next(self) -> None:
        """Move each job's next run past now (a tick fired since the job files were loaded)."""
        now = datetime.fromtimestamp(self._clock(), UTC)
        with self._lock:
            for job, moment in self._next.items():
                cron = self._crons.get(job)
                if moment is not None and moment <= now and cron is not None:
                    fires = cron.next_fires(now, 1)
                    self._next[job] = fires[0] if fires else None
                    self._set_next(job, self._next[job])

    # -- the HTTP layer's events (syncer.http.observe) -----------------------------------------

    def request(self, target: str, status: int | None, seconds: float, rate: float) -> None:
        self.request_seconds.labels(target).observe(seconds)
        if status == 429:
            self.rate_limited.labels(target).inc()
        self.lane_rate.labels(target).set(rate)

    def retry(self, target: str, rate: float) -> None:
        self.retries.labels(target).inc()
        self.lane_rate.labels(target).set(rate)

    # -- reading -----------------------------------------------------------------------------

    def last_run(self, job: str) -> LastRun:
        """How ``job``'s latest run in this process ended (empty when none did)."""
        with self._lock:
            return self._last.get(job, LastRun())

    def render(self) -> bytes:
        """The registry in Prometheus' text format (:data:`CONTENT_TYPE`)."""
        self._refresh_next()
        return generate_latest(self.registry)


@dataclass(frozen=True)
class _Makers:
    """Counters, gauges and histograms registered in one registry."""

    registry: CollectorRegistry

    def counter(self, name: str, doc: str, *labels: str) -> Counter:
        return Counter(name, doc, labels, registry=self.registry)

    def gauge(self, name: str, doc: str, *labels: str) -> Gauge:
        return Gauge(name, doc, labels, registry=self.registry)

    def histogram(self, name: str, doc: str, label: str, buckets: tuple[float, ...]) -> Histogram:
        return Histogram(name, doc, [label], buckets=buckets, registry=self.registry)
