"""What a scheduler tells its observers (metrics, health): ticks, runs, the jobs it knows.

:class:`Observer` does nothing; :class:`syncer.schedule.metrics.Metrics` counts. Calls come
from DBOS's worker threads as well as from the scheduler's own loop: an observer must be
thread-safe, and quick.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syncer.engine.summary import RunSummary
    from syncer.schedule.catalog import JobCatalog


class Observer:
    """The scheduler's events; every method may be called from any thread."""

    def tick(self, job: str, outcome: str, count: int = 1) -> None:
        """``count`` ticks of ``job`` were recorded with ``outcome``."""

    def run_finished(
        self, job: str, status: str, summary: RunSummary | None, seconds: float
    ) -> None:
        """A run of ``job`` ended with ``status`` (a run status, ``overlap`` or ``failed``)."""

    def jobs_loaded(self, catalog: JobCatalog, next_runs: Mapping[str, datetime | None]) -> None:
        """The job files were (re)loaded; ``next_runs``: each scheduled job's next run."""

    def database(self, reachable: bool) -> None:
        """The scheduler's database answered (or not) the latest readiness probe."""
