"""The scheduler in this process (the process tests cannot be measured): it runs ticks, tells
its observer, schedules a job file that appears and unschedules it when it goes, and drains on
SIGTERM."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import pytest

from syncer.engine.summary import RunSummary
from syncer.schedule.catalog import JobCatalog
from syncer.schedule.events import Observer
from syncer.schedule.service import Scheduler, Settings
from tests.schedule.rig import converged, job_text, ledger, outcomes, wait_until, world


class Recorder(Observer):
    def __init__(self) -> None:
        self.ticks: list[tuple[str, str, int]] = []
        self.runs: list[tuple[str, str]] = []
        self.loaded: list[dict[str, datetime | None]] = []

    def tick(self, job: str, outcome: str, count: int = 1) -> None:
        self.ticks.append((job, outcome, count))

    def run_finished(
        self, job: str, status: str, summary: RunSummary | None, seconds: float
    ) -> None:
        self.runs.append((job, status))

    def jobs_loaded(self, catalog: JobCatalog, next_runs: Any) -> None:
        self.loaded.append(dict(next_runs))


def _in_thread(work: Callable[[], None]) -> threading.Thread:
    """Run ``work``, then SIGTERM this process (what the scheduler waits for), whatever
    ``work`` did; its failure is kept on the thread as ``error``."""

    def target() -> None:
        try:
            work()
        except BaseException as exc:
            thread.error = exc  # type: ignore[attr-defined]
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=target, daemon=True)
    thread.error = None  # type: ignore[attr-defined]
    thread.start()
    return thread


def test_the_scheduler_in_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the spool and the reports go under .syncer/
    url = f"sqlite+aiosqlite:///{tmp_path}/.syncer/state.db"
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (jobs / "job.toml").write_text(job_text(url, "* * * * * *"))
    recorder = Recorder()
    with world() as w:
        for name, value in w.env.items():
            monkeypatch.setenv(name, value)
        settings = Settings(jobs, state_url=url, reload_interval=0.2, drain_timeout=10)
        scheduler = Scheduler(settings, recorder)

        def meanwhile() -> None:
            wait_until(lambda: converged(w), timeout=60)
            other = jobs / "other.toml"
            other.write_text(
                job_text(url, "0 0 1 1 *").replace("[source]", 'name = "other"\n[source]')
            )
            wait_until(lambda: any("other" in loaded for loaded in recorder.loaded))
            (jobs / "broken.toml").write_text("[source")
            other.unlink()
            wait_until(lambda: bool(recorder.loaded) and "other" not in recorder.loaded[-1])
            wait_until(lambda: outcomes(ledger(url)[0]).get("ran", 0) >= 2)

        helper = _in_thread(meanwhile)
        code = anyio.run(scheduler.serve)
        helper.join(timeout=30)
    assert helper.error is None, helper.error  # type: ignore[attr-defined]
    assert code == 0
    assert ("job", "ran", 1) in recorder.ticks
    assert ("job", "succeeded") in recorder.runs
    assert scheduler.catalog.errors()  # broken.toml, reported, not fatal
    assert not scheduler.handler.active.jobs()
