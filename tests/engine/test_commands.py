"""The run commands through the CLI: exit codes and messages a user sees."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from syncer.cli import main
from syncer.emulators.beproduct.emulator import BeProductEmulator
from syncer.emulators.faults import FaultConfig
from syncer.emulators.partium.emulator import PartiumEmulator
from syncer.emulators.server import serve_in_thread
from syncer.emulators.spiffy.emulator import SpiffyEmulator
from syncer.errors import ConfigError, StateError, SyncerError
from syncer.spool.errors import BlobMissingError
from tests.engine.rigs import count, kill_when, start
from tests.engine.test_kill import JOB as KILL_JOB
from tests.engine.test_kill import live_shas
from tests.engine.test_pairs import job_text, target_owner

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
    code, output = invoke(tmp_path, emulators, "plan", "--format", "json", str(DEMO))
    assert code == 0, output
    assert '"action":"create"' in output
    code, output = invoke(tmp_path, emulators, "plan", "--json", str(DEMO))  # as before --format
    assert code == 0, output
    assert '"action": "create"' in output
    assert '"ops": [' in output


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


def invoked(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def assert_one_line(result: Result, code: int, *fragments: str) -> None:
    """The run ended with ``code`` and one line on stderr holding every fragment."""
    assert result.exit_code == code, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ")
    for fragment in fragments:
        assert fragment in line
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError("a setting is wrong"), 2),
        (StateError("the lease was lost"), 5),
        (BlobMissingError("a spooled blob is gone"), 5),
        (SyncerError("something syncer knows"), 5),
    ],
    ids=["config", "state", "spool", "any"],
)
def test_a_syncer_error_inside_the_runs_task_groups_is_one_line_with_its_code(
    emulators: dict[str, str], monkeypatch: pytest.MonkeyPatch, error: SyncerError, code: int
) -> None:
    from syncer.vendors.partium.client import PartiumClient

    async def failing(self: PartiumClient, cursor: object = None) -> AsyncIterator[object]:
        raise error
        yield  # an async generator, as pages() is

    monkeypatch.setattr(PartiumClient, "pages", failing)
    assert_one_line(invoked("migrate", str(DEMO), env=emulators), code, str(error))


@pytest.mark.parametrize("side", ["source", "target"])
def test_a_wrong_beproduct_company_domain_is_one_line_exit_2(tmp_path: Path, side: str) -> None:
    beproduct, spiffy = BeProductEmulator(), SpiffyEmulator()
    beproduct.seed(3, 1)
    spiffy.seed(0, 1)
    source, target = ("beproduct", "spiffy") if side == "source" else ("spiffy", "beproduct")
    owner = target_owner(target, beproduct if target == "beproduct" else spiffy)
    text = job_text(source, target, owner).replace(
        'company_domain = "demo"', 'company_domain = "nope"'
    )
    job = tmp_path / "job.toml"
    job.write_text(text)
    urls = {"beproduct": beproduct, "spiffy": spiffy}
    with serve_in_thread(urls[source]) as s_url, serve_in_thread(urls[target]) as t_url:
        result = invoked("migrate", str(job), env={"SOURCE_URL": s_url, "TARGET_URL": t_url})
    assert_one_line(result, 2, "Company 'nope' not found", "beproduct.company_domain")


def test_a_nested_job_file_is_one_line_exit_2(tmp_path: Path) -> None:
    job = tmp_path / "deep.toml"
    job.write_text("x = " + "[" * 3000 + "]" * 3000)
    assert_one_line(invoked("migrate", str(job)), 2, "deep.toml: is nested too deeply")


def listing_unfinished(cwd: Path) -> bool:
    """Whether the state in ``cwd`` holds a listing cursor, of a listing not finished."""
    path = cwd / ".syncer" / "state.db"
    if not path.exists():
        return False
    try:
        with closing(sqlite3.connect(path, timeout=0.1)) as db:
            rows = db.execute("SELECT complete FROM cursors").fetchall()
    except sqlite3.OperationalError:  # not migrated yet, or busy
        return False
    return rows == [(0,)]


def test_changed_part_ids_after_a_killed_listing_need_and_take_restart_listing(
    tmp_path: Path,
) -> None:
    partium, spiffy = PartiumEmulator(), SpiffyEmulator()
    partium.seed(24, 2, seed_value=5)
    spiffy.seed(0, 1)
    with serve_in_thread(partium) as p_url, serve_in_thread(spiffy) as s_url:
        env = {"PARTIUM_URL": p_url, "SPIFFY_URL": s_url}
        job = tmp_path / "job.toml"
        job.write_text(KILL_JOB)
        partium.faults.configure(FaultConfig(latency_ms=150, jitter_ms=20))
        spiffy.faults.configure(FaultConfig(latency_ms=40, jitter_ms=10))
        stopped = start(job, tmp_path, env)
        kill_when(stopped, lambda: count(spiffy, "POST", "/images.json") >= 2)
        assert listing_unfinished(tmp_path)
        partium.faults.configure(FaultConfig())
        spiffy.faults.configure(FaultConfig())
        parts = sorted(partium.store.owners)
        scoped = KILL_JOB.replace("page_size = 5", f"page_size = 5\npart_ids = {parts!r}")
        job.write_text(scoped)  # the same items, asked for by part: the saved cursor no longer fits

        refused = invoked("migrate", str(job), env=env)
        assert_one_line(refused, 2, "partium.part_ids", "--restart-listing")

        restarted = invoked("migrate", "--restart-listing", str(job), env=env)
        assert restarted.exit_code == 0, restarted.output
    assert "listed 24 (full listing)" in restarted.output
    # The killed run's links were kept: what it created is not planned (nor made) again.
    planned = re.search(r"shop\.create +planned +(\d+)", restarted.output)
    assert planned, restarted.output
    assert int(planned[1]) <= 22
    assert live_shas(spiffy) == live_shas(partium)  # nothing lost, nothing duplicated
