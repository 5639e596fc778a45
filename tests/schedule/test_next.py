"""``syncer schedule DIR --next N``: the coming run times of each job, in its zone and in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from syncer.cli import main
from syncer.schedule.catalog import JobCatalog
from syncer.schedule.command import next_text
from tests.jobs.conftest import VALID

JOB = VALID  # a small valid Partium -> Spiffy job
NOW = datetime(2026, 10, 24, 23, 59, tzinfo=UTC)  # 01:59 CEST, an hour before clocks go back


def job(directory: Path, name: str, cron: str | None = None, zone: str | None = None) -> None:
    text = JOB
    if cron is not None:
        text += f'\n[schedule]\ncron = "{cron}"\n'
        text += f'timezone = "{zone}"\n' if zone else ""
    (directory / f"{name}.toml").write_text(text, encoding="utf-8")


def text_of(directory: Path, count: int, now: datetime = NOW) -> str:
    catalog = JobCatalog(directory)
    catalog.reload()
    return next_text(catalog, count, now)


def test_utc_jobs_print_one_time_each(tmp_path: Path) -> None:
    job(tmp_path, "hourly", "0 * * * *")
    assert text_of(tmp_path, 2) == (
        "hourly  cron '0 * * * *' (UTC)\n  2026-10-25 00:00:00 UTC\n  2026-10-25 01:00:00 UTC"
    )


def test_zoned_jobs_print_local_and_utc_across_the_change(tmp_path: Path) -> None:
    job(tmp_path, "berlin", "0 * * * *", "Europe/Berlin")
    job(tmp_path, "nightly", "30 2 * * *", "Europe/Berlin")
    assert text_of(tmp_path, 3) == "\n".join(
        [
            "berlin  cron '0 * * * *' (Europe/Berlin)",
            "  2026-10-25 02:00:00 CEST  (2026-10-25 00:00:00 UTC)",
            "  2026-10-25 02:00:00 CET  (2026-10-25 01:00:00 UTC)",  # both occurrences run
            "  2026-10-25 03:00:00 CET  (2026-10-25 02:00:00 UTC)",
            "nightly  cron '30 2 * * *' (Europe/Berlin)",
            "  2026-10-25 02:30:00 CEST  (2026-10-25 00:30:00 UTC)",  # the repeat left out
            "  2026-10-26 02:30:00 CET  (2026-10-26 01:30:00 UTC)",
            "  2026-10-27 02:30:00 CET  (2026-10-27 01:30:00 UTC)",
        ]
    )


def test_new_york_spring_gap(tmp_path: Path) -> None:
    job(tmp_path, "ny", "30 2 * * *", "America/New_York")
    assert text_of(tmp_path, 2, datetime(2026, 3, 8, 0, tzinfo=UTC)) == "\n".join(
        [
            "ny  cron '30 2 * * *' (America/New_York)",
            "  2026-03-08 03:00:00 EDT  (2026-03-08 07:00:00 UTC)",
            "  2026-03-09 02:30:00 EDT  (2026-03-09 06:30:00 UTC)",
        ]
    )


def test_on_demand_and_seconds_jobs(tmp_path: Path) -> None:
    job(tmp_path, "manual")
    job(tmp_path, "fast", "*/20 * * * * *")
    assert text_of(tmp_path, 2) == "\n".join(
        [
            "fast  cron '*/20 * * * * *' (UTC)",
            "  2026-10-24 23:59:20 UTC",
            "  2026-10-24 23:59:40 UTC",
            "manual  on demand (no [schedule] cron)",
        ]
    )


def test_an_empty_directory(tmp_path: Path) -> None:
    assert text_of(tmp_path, 3) == f"no job files in {tmp_path}"


def test_a_broken_file_is_left_out_of_the_list(tmp_path: Path) -> None:
    job(tmp_path, "good", "@daily")
    (tmp_path / "bad.toml").write_text("x = = 1\n", encoding="utf-8")
    assert text_of(tmp_path, 1) == "good  cron '@daily' (UTC)\n  2026-10-25 00:00:00 UTC"


def test_a_job_name_defined_twice_is_listed_once(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('name = "shop"\n' + JOB, encoding="utf-8")
    (tmp_path / "b.toml").write_text(
        'name = "shop"\n' + JOB + '\n[schedule]\ncron = "@daily"\n', encoding="utf-8"
    )
    assert text_of(tmp_path, 1) == "shop  on demand (no [schedule] cron)"  # a.toml wins


# -- through the CLI (the real clock: formats, not times) ------------------------------------

LINE = r"  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d "


def test_the_cli_prints_the_next_runs(tmp_path: Path) -> None:
    job(tmp_path, "berlin", "0 * * * *", "Europe/Berlin")
    job(tmp_path, "manual")
    result = CliRunner().invoke(main, ["schedule", str(tmp_path), "--next", "3"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "berlin  cron '0 * * * *' (Europe/Berlin)"
    assert all(re.fullmatch(LINE + r"CES?T  \(" + LINE[2:] + r"UTC\)", ln) for ln in lines[1:4])
    assert all(re.findall(r" \d\d:(\d\d:\d\d)", ln) == ["00:00"] * 2 for ln in lines[1:4])
    assert lines[4:] == ["manual  on demand (no [schedule] cron)"]
    assert result.stderr == ""


def test_the_cli_reports_a_broken_file_on_stderr_with_exit_2(tmp_path: Path) -> None:
    job(tmp_path, "good", "@hourly")
    (tmp_path / "bad.toml").write_text(JOB.replace('"spiffy"', '"shopify"'), encoding="utf-8")
    result = CliRunner().invoke(main, ["schedule", str(tmp_path), "--next", "1"])
    assert result.exit_code == 2
    assert result.stdout.splitlines()[0] == "good  cron '@hourly' (UTC)"
    assert re.fullmatch(LINE + "UTC", result.stdout.splitlines()[1])
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'bad.toml'}: targets[0].vendor: 'shopify' is not a vendor; "
        "use one of beproduct, moov, partium, spiffy"
    ]


def test_the_cli_refuses_a_missing_directory(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schedule", str(tmp_path / "nope"), "--next", "2"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"error: {tmp_path / 'nope'} is not a directory of job files" in result.stderr


def test_the_cli_refuses_a_count_out_of_range(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schedule", str(tmp_path), "--next", "0"])
    assert result.exit_code == 2
    assert "--next" in result.stderr
