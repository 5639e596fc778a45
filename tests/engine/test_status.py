"""``syncer status`` is read-only: pointed at a state store that does not exist, it says so in
one line and exits 2, creating neither the file nor its directory (issue 8, item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.test_commands import DEMO, invoke


def test_status_with_a_mistyped_state_path_creates_nothing_and_exits_2(tmp_path: Path) -> None:
    typo = tmp_path / "sttae" / "state.db"
    code, output = invoke(tmp_path, {}, "status", "--state", f"sqlite+aiosqlite:///{typo}")
    assert code == 2, output
    assert output.splitlines() == [
        f"error: no state at {typo}; check --state or the job's state key "
        "(a migrate or sync creates it)"
    ]
    assert not typo.parent.exists()


def test_status_of_a_job_that_never_ran_creates_no_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the demo job keeps its state in .syncer/demo.db here
    code, output = invoke(tmp_path, {}, "status", str(DEMO))
    assert code == 2, output
    assert len(output.splitlines()) == 1
    assert str(tmp_path / ".syncer" / "demo.db") in output
    assert not (tmp_path / ".syncer").exists()


def test_status_without_state_or_job_names_the_default_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = invoke(tmp_path, {}, "status")
    assert code == 2, output
    assert f"no state at {tmp_path / '.syncer' / 'state.db'};" in output
    assert not (tmp_path / ".syncer").exists()
