"""A tick's two steps without DBOS: what each records, tells its observer, and runs."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest

from syncer.schedule.catalog import JobCatalog
from syncer.schedule.cron import CronSchedule
from syncer.schedule.handler import TickHandler
from syncer.state import StateStore
from tests.schedule.rig import World, converged, job_text, ledger, world
from tests.schedule.test_service import Recorder


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    monkeypatch.chdir(tmp_path)
    with world() as w:
        for name, value in w.env.items():
            monkeypatch.setenv(name, value)
        yield w


def _handler(tmp_path: Path, text: str | None = None) -> tuple[TickHandler, Recorder, str]:
    url = f"sqlite+aiosqlite:///{tmp_path}/state.db"
    jobs = tmp_path / "jobs"
    jobs.mkdir(exist_ok=True)
    (jobs / "job.toml").write_text(text or job_text(url, "*/5 * * * *"))
    catalog = JobCatalog(jobs)
    assert not catalog.reload().errors
    recorder = Recorder()
    return TickHandler(catalog, "here", recorder, stop_grace=0.5), recorder, url


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def test_a_tick_on_time_runs_the_job_and_records_it(served: World, tmp_path: Path) -> None:
    handler, recorder, url = _handler(tmp_path)
    tick = _now()
    assert handler.decide("job", tick)["outcome"] == "run"
    assert [t.outcome for t in ledger(url)[0]] == ["started"]
    result = handler.run("job", tick)
    assert result["outcome"] == "ran"
    assert converged(served)
    (row,), (run,) = ledger(url)
    assert (row.outcome, row.run_id, row.executor) == ("ran", run.id, "here")
    assert recorder.runs == [("job", "succeeded")]
    assert ("job", "ran", 1) in recorder.ticks


def test_decisions_that_skip_a_tick(served: World, tmp_path: Path) -> None:
    handler, recorder, url = _handler(tmp_path)
    old = _now() - timedelta(hours=3)
    assert handler.decide("job", old)["outcome"] == "late"
    handler.stopping.set()
    now = _now()
    assert handler.decide("job", now)["outcome"] == "stopping"
    assert [t.outcome for t in ledger(url)[0]][-1] == "stopping"
    assert handler.decide("nobody", _now())["outcome"] == "unknown_job"
    assert ("nobody", "unknown_job", 1) in recorder.ticks
    assert handler.run("nobody", _now())["outcome"] == "unknown_job"
    missed = [t for t in ledger(url)[0] if t.outcome == "missed"]
    between, _ = CronSchedule("*/5 * * * *").between(old, now, 1000)
    assert [t.scheduled_at for t in missed] == between  # every five minutes in between


def test_a_run_that_finds_the_lease_held_is_an_overlap(served: World, tmp_path: Path) -> None:
    handler, recorder, url = _handler(tmp_path)

    async def hold() -> int:
        async with await StateStore.open(url) as store:
            return (await store.start_run("job", "sync")).id

    held = anyio.run(hold)
    result = handler.run("job", _now())
    assert result["outcome"] == "overlap"
    assert f"run {held}" in result["reason"]
    assert recorder.runs == [("job", "overlap")]


def test_a_run_refused_by_a_target_is_failed(served: World, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/state.db"
    text = job_text(url, "*/5 * * * *").replace('password = "demo"', 'password = "wrong"')
    handler, recorder, _ = _handler(tmp_path, text)
    result = handler.run("job", _now())
    assert result["outcome"] == "failed"
    assert "wrong" not in result["reason"]  # the secret never leaves
    assert recorder.runs == [("job", "failed")]


def test_a_run_that_starts_after_the_drain_stops_at_once(served: World, tmp_path: Path) -> None:
    handler, recorder, _ = _handler(tmp_path)
    handler.stop_signal = signal.SIGTERM
    result = handler.run("job", _now())
    assert result["outcome"] == "ran"
    assert recorder.runs == [("job", "interrupted")]
    assert not converged(served)


def test_a_state_store_that_cannot_be_opened_fails_the_tick_in_one_line(
    served: World, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the state's directory should be")
    url = f"sqlite+aiosqlite:///{blocked}/state.db"
    handler, recorder, _ = _handler(tmp_path, job_text(url, "*/5 * * * *"))
    result = handler.decide("job", _now())
    assert result["outcome"] == "failed"
    assert "not-a-dir" in result["reason"]
    assert ("job", "failed", 1) in recorder.ticks
