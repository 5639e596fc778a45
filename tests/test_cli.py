"""The command line: help, argument checking and the emulate command end to end."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from syncer.cli import main
from syncer.emulators.process import emulator_process
from syncer.errors import ConfigError, StateError


def test_help_explains_the_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "emulate" in result.output


def test_emulate_help_lists_the_fault_knobs() -> None:
    result = CliRunner().invoke(main, ["emulate", "--help"])
    assert result.exit_code == 0
    for option in (
        "--seed",
        "--owners",
        "--data",
        "--latency-ms",
        "--error-rate",
        "--rate-limit",
        "--reset-rate",
        "--maintenance",
        "--set",
    ):
        assert option in result.output


def test_unknown_vendor_lists_the_known_ones() -> None:
    result = CliRunner().invoke(main, ["emulate", "shopify"])
    assert result.exit_code == 2
    assert "beproduct" in result.output
    assert "spiffy" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "nonsense"], "is not KEY=VALUE"),
        (["--set", "no_such_knob=1"], "unknown knob"),
        (["--error-rate", "1.5"], "1.5 is not in the range"),
        (["--latency-ms", "5", "--jitter-ms", "10"], "jitter_ms must not exceed latency_ms"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["emulate", "partium", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_emulate_prints_url_and_credentials_and_serves() -> None:
    with emulator_process("partium", "--seed", "3") as running:
        info = requests.get(f"{running.url}/_emulator", timeout=5).json()
        assert info["vendor"] == "partium"
        assert info["images"] == 3
    assert running.url in running.output
    assert "demo" in running.output


def test_a_restarted_emulator_keeps_its_catalog(tmp_path: Path) -> None:
    data = tmp_path / "catalog"
    with emulator_process("partium", "--data", str(data), "--seed", "5") as first:
        before = requests.get(f"{first.url}/_emulator/catalog", timeout=5).json()
        gone = before["images"][0]["id"]
        requests.delete(f"{first.url}/_emulator/images/{gone}", timeout=5).raise_for_status()
    with emulator_process("partium", "--data", str(data), "--seed", "5") as second:
        after = requests.get(f"{second.url}/_emulator/catalog", timeout=5).json()
    assert [i["sha256"] for i in after["images"]] == [i["sha256"] for i in before["images"][1:]]
    assert "--seed ignored" in second.output


def test_emulate_on_a_busy_port_says_so_in_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["emulate", "partium", "--port", str(port)])
    assert result.exit_code == 5
    assert result.stderr.splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: the port is in use (another emulator?); "
        "choose another with --port"
    ]
    assert result.stdout == ""  # no URL or credentials of an emulator that never served


@pytest.fixture
def crashing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A job whose run raises an exception nothing in syncer expects (a bug), in ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SYNCER_DEMO_TOKEN", "env-token-value")
    job = tmp_path / "job.toml"
    job.write_text("")

    def bug(*args: object, **kwargs: object) -> int:
        raise RuntimeError(
            "boom: env-token-value in postgresql+asyncpg://me:db-password@db/state\nsecond line"
        )

    monkeypatch.setattr("syncer.engine.commands.run_command", bug)
    return job


def test_an_unexpected_exception_is_one_line_naming_a_log_with_the_traceback(
    crashing: Path,
) -> None:
    result = CliRunner().invoke(main, ["migrate", str(crashing)])
    assert result.exit_code == 70
    [line] = result.stderr.splitlines()
    assert line.startswith("error: unexpected RuntimeError: boom: *** in postgresql+asyncpg://me:")
    assert line.endswith("; please report it")
    log = Path(line.split("the traceback is in ")[1].split(";")[0])
    assert log.parent == crashing.parent / ".syncer" / "logs"
    text = log.read_text()
    assert "Traceback (most recent call last)" in text
    assert "RuntimeError: boom" in text
    for secret in ("env-token-value", "db-password"):  # redacted in the line and the log
        assert secret not in line
        assert secret not in text
    assert log.stat().st_mode & 0o077 == 0  # the owner's only


def test_a_bug_inside_a_task_group_is_named_not_the_group(
    crashing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bug(*args: object, **kwargs: object) -> int:
        raise ExceptionGroup("unhandled errors", [ConfigError("cause"), KeyError("odd")])

    monkeypatch.setattr("syncer.engine.commands.run_command", bug)
    result = CliRunner().invoke(main, ["sync", str(crashing)])
    assert result.exit_code == 70
    assert result.stderr.startswith("error: unexpected KeyError: 'odd'; the traceback is in ")


@pytest.mark.parametrize(
    ("error", "line", "code"),
    [
        (ConfigError("a setting is wrong"), "error: a setting is wrong", 2),
        (ExceptionGroup("g", [StateError("lease lost"), ConfigError("bad")]), "error: bad", 2),
        (ExceptionGroup("g", [ExceptionGroup("inner", [StateError("lost")])]), "error: lost", 5),
    ],
    ids=["bare", "group-prefers-config", "nested-group"],
)
def test_a_syncer_error_no_command_caught_is_its_message_and_code_not_a_bug(
    crashing: Path, monkeypatch: pytest.MonkeyPatch, error: Exception, line: str, code: int
) -> None:
    def failing(*args: object, **kwargs: object) -> int:
        raise error

    monkeypatch.setattr("syncer.engine.commands.run_command", failing)
    result = CliRunner().invoke(main, ["migrate", str(crashing)])
    assert result.exit_code == code
    assert result.stderr.splitlines() == [line]
    assert not (crashing.parent / ".syncer" / "logs").exists()


def test_an_interrupt_is_not_reported_as_a_bug(
    crashing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("syncer.engine.commands.run_command", interrupted)
    result = CliRunner().invoke(main, ["migrate", str(crashing)])
    assert result.exit_code == 1  # click's own "Aborted!"
    assert "unexpected" not in result.output
    assert not (crashing.parent / ".syncer" / "logs").exists()
