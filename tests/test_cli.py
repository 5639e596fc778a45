"""The command line: help, argument checking and the emulate command end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from syncer.cli import main
from syncer.testing.process import emulator_process


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
