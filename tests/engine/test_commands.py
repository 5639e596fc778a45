"""The run commands through the CLI: exit codes and messages a user sees."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from syncer.cli import main
from syncer.testing.server import serve_in_thread
from syncer.vendors.partium.emulator import PartiumEmulator
from syncer.vendors.spiffy.emulator import SpiffyEmulator

DEMO = Path(__file__).parents[2] / "jobs" / "demo.toml"


@pytest.fixture
def emulators() -> Iterator[dict[str, str]]:
    partium, spiffy = PartiumEmulator(), SpiffyEmulator()
    partium.seed(8, 2)
    spiffy.seed(0, 3)
    with serve_in_thread(partium) as p_url, serve_in_thread(spiffy) as s_url:
        yield {"PARTIUM_URL": p_url, "SPIFFY_URL": s_url}


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the demo's state and spool go under .syncer/ here


def invoke(tmp_path: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_migrate_then_status(tmp_path: Path, emulators: dict[str, str]) -> None:
    code, output = invoke(tmp_path, emulators, "migrate", str(DEMO))
    assert code == 0, output
    assert "spiffy.create" in output
    code, output = invoke(tmp_path, emulators, "status", str(DEMO))
    assert code == 0
    assert "migrate  succeeded" in output


def test_plan_writes_nothing(tmp_path: Path, emulators: dict[str, str]) -> None:
    code, output = invoke(tmp_path, emulators, "plan", "--json", str(DEMO))
    assert code == 0, output
    assert '"action": "create"' in output


def test_a_broken_job_file_exits_2_naming_file_and_key(tmp_path: Path) -> None:
    job = tmp_path / "broken.toml"
    job.write_text('[source]\nvendor = "shopify"\n')
    code, output = invoke(tmp_path, {}, "migrate", str(job))
    assert code == 2
    assert "broken.toml" in output
    assert "source.vendor" in output


def test_wrong_credentials_exit_5_naming_the_setting(
    tmp_path: Path, emulators: dict[str, str]
) -> None:
    env = {**emulators, "PARTIUM_API_KEY": "not-the-key"}
    code, output = invoke(tmp_path, env, "migrate", str(DEMO))
    assert code == 5
    assert "partium" in output
    assert "api_key" in output
    assert "not-the-key" not in output


def test_wrong_target_credentials_stop_the_run_before_anything_is_listed(tmp_path: Path) -> None:
    partium, spiffy = PartiumEmulator(), SpiffyEmulator()
    partium.seed(8, 2)
    spiffy.seed(0, 3)
    with serve_in_thread(partium) as p_url, serve_in_thread(spiffy) as s_url:
        env = {"PARTIUM_URL": p_url, "SPIFFY_URL": s_url, "SPIFFY_PASSWORD": "not-the-password"}
        code, output = invoke(tmp_path, env, "migrate", str(DEMO))
        assert code == 5, output
        assert "target 'spiffy'" in output
        assert "password" in output  # names the setting to fix
        assert "not-the-password" not in output
        # Checked up front: the source was never listed, and no run was recorded.
        assert sum(partium.requests.values()) == 0
        code, output = invoke(tmp_path, env, "status", str(DEMO))
        assert "no runs yet" in output


def test_credentials_refused_mid_run_exit_5_with_a_message_not_a_traceback(
    tmp_path: Path, emulators: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from syncer.vendors.spiffy.client import SpiffyClient

    async def accepted(self: SpiffyClient) -> None:  # revoked after the check passed
        return None

    monkeypatch.setattr(SpiffyClient, "check", accepted)
    env = {**emulators, "SPIFFY_PASSWORD": "revoked"}
    code, output = invoke(tmp_path, env, "migrate", str(DEMO))
    assert code == 5, output
    assert output.startswith("error: spiffy")
    assert "spiffy.password" in output
    assert "Traceback" not in output


async def _state(path: Path) -> tuple[int, Any, int]:
    from syncer.state import StateStore

    async with await StateStore.open(f"sqlite+aiosqlite:///{path}") as store:
        cursor = await store.cursor("demo", "partium")
        links = await store.count_links("demo", "spiffy")
        open_ops = await store.open_ops("demo")
        return links, cursor.cursor if cursor else None, len(open_ops)


@pytest.mark.parametrize(
    "breakage",
    [
        {"PARTIUM_API_KEY": "wrong"},
        {"PARTIUM_URL": "http://127.0.0.1:9"},
        {"SPIFFY_PASSWORD": "wrong"},
        {"SPIFFY_URL": "http://127.0.0.1:9"},
    ],
    ids=["wrong-source-key", "unreachable-source", "wrong-target-key", "unreachable-target"],
)
def test_a_failed_run_leaves_the_synced_state_as_it_was(
    tmp_path: Path, emulators: dict[str, str], breakage: dict[str, str]
) -> None:
    import anyio

    code, output = invoke(tmp_path, emulators, "migrate", str(DEMO))
    assert code == 0, output
    state = tmp_path / ".syncer" / "demo.db"
    before = anyio.run(_state, state)
    code, output = invoke(tmp_path, {**emulators, **breakage}, "sync", str(DEMO))
    assert code == 5, output
    assert "wrong" not in output.replace("wrong-", "")  # the secret itself is never printed
    assert anyio.run(_state, state) == before
