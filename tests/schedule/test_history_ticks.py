"""``syncer history JOB --ticks``: the job's tick ledger, newest first, in three formats."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from syncer.cli import main
from syncer.state import TickRow
from tests.schedule.rig import job_text, record


@pytest.fixture(autouse=True)
def _urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTIUM_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SPIFFY_URL", "http://127.0.0.1:9")


def _job(tmp_path: Path) -> tuple[Path, str]:
    url = f"sqlite+aiosqlite:///{tmp_path}/state.db"
    path = tmp_path / "job.toml"
    path.write_text(job_text(url, "*/5 * * * *"))
    return path, url


def test_ticks_are_listed_newest_first_with_their_outcome_run_and_reason(tmp_path: Path) -> None:
    path, url = _job(tmp_path)
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    record(url, TickRow("job", first, "ran", "run 1 succeeded", 1, "s1"))
    later = first + timedelta(minutes=5)
    record(url, TickRow("job", later, "overlap", "job job is already running (run 1)", None, "s2"))
    runner = CliRunner()
    answer = runner.invoke(main, ["history", str(path), "--ticks", "--format", "json"])
    assert answer.exit_code == 0, answer.output
    rows = json.loads(answer.output)
    assert [r["outcome"] for r in rows] == ["overlap", "ran"]
    assert rows[1] == {
        "scheduled_at": "2026-10-25T00:30:00+00:00",
        "outcome": "ran",
        "run": 1,
        "scheduler": "s1",
        "reason": "run 1 succeeded",
    }
    text = runner.invoke(main, ["history", str(path), "--ticks", "--limit", "1"]).output
    assert "2026-10-25 00:35:00  overlap" in text
    assert "00:30:00" not in text  # --limit 1
    table = runner.invoke(main, ["history", str(path), "--ticks", "--format", "markdown"]).output
    assert table.splitlines()[0].startswith("| scheduled (UTC) | outcome |")
    assert "| ran | 1 | s1 | run 1 succeeded |" in table


def test_a_job_never_scheduled_says_so(tmp_path: Path) -> None:
    path, url = _job(tmp_path)
    record(url, TickRow("other", datetime(2026, 1, 1, tzinfo=UTC), "ran", "x", None, "s"))
    answer = CliRunner().invoke(main, ["history", str(path), "--ticks"])
    assert answer.exit_code == 0
    assert "no ticks recorded for job yet" in answer.output
