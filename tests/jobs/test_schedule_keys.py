"""``[schedule] timezone`` and ``catchup``: defaults, accepted values, located one-line errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from syncer.jobs.options import DEFAULT_CATCHUP
from syncer.jobs.schedule import check_timezone
from tests.jobs.conftest import VALID, Failure, Loader


def schedule(*lines: str) -> str:
    return VALID + "[schedule]\n" + "".join(f"{line}\n" for line in lines)


def test_the_defaults(load: Loader) -> None:
    for text in (VALID, schedule('cron = "@daily"')):
        job = load(text)
        assert job.schedule.timezone == "UTC"
        assert job.schedule.catchup == timedelta(hours=1) == DEFAULT_CATCHUP
    assert load(VALID).redacted()["schedule"] == {
        "cron": None,
        "timezone": "UTC",
        "catchup": "1h",
        "full_every": "1d",
    }


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_an_iana_zone_is_accepted(load: Loader, zone: str) -> None:
    job = load(schedule('cron = "30 2 * * *"', f'timezone = "{zone}"'))
    assert job.schedule.timezone == zone
    assert job.redacted()["schedule"]["timezone"] == zone


@pytest.mark.parametrize(
    "zone",
    [
        "Mars/Olympus",
        "",
        "europe/berlin",
        " UTC",
        "../../etc/passwd",
        "/etc/localtime",
        "localtime",  # this machine's zone, whatever it is
        "posixrules",
        "right/UTC",  # counts leap seconds
        "posix/Europe/Berlin",
    ],
)
def test_a_bad_zone_is_a_located_one_line_error(tmp_path: Path, fail: Failure, zone: str) -> None:
    error = fail(schedule('cron = "@daily"', f'timezone = "{zone}"'))
    (problem,) = error.problems
    assert problem.key == "schedule.timezone"
    assert problem.message == (
        f"{zone!r} is not a time zone; use an IANA name such as 'UTC', 'Europe/Berlin' "
        "or 'America/New_York'"
    )
    assert str(error) == f"{tmp_path / 'job.toml'}: schedule.timezone: {problem.message}"
    assert "\n" not in str(error)


def test_a_zone_that_is_not_text(fail: Failure) -> None:
    (problem,) = fail(schedule("timezone = 1")).problems
    assert problem.key == "schedule.timezone"
    assert "valid string" in problem.message


def test_check_timezone() -> None:
    assert check_timezone("Europe/Berlin") == "Europe/Berlin"
    with pytest.raises(ValueError, match=r"^'Nowhere/Town' is not a time zone; use an IANA name"):
        check_timezone("Nowhere/Town")


@pytest.mark.parametrize(
    ("value", "expected", "shown"),
    [
        ('"90m"', timedelta(minutes=90), "1h30m"),
        ('"1h30m"', timedelta(minutes=90), "1h30m"),
        ('"2d"', timedelta(days=2), "2d"),
        ('"1w"', timedelta(weeks=1), "1w"),
        ('"45s"', timedelta(seconds=45), "45s"),
        ("600", timedelta(minutes=10), "10m"),  # a number is seconds
    ],
)
def test_catchup_parses_durations(
    load: Loader, value: str, expected: timedelta, shown: str
) -> None:
    job = load(schedule('cron = "@hourly"', f"catchup = {value}"))
    assert job.schedule.catchup == expected
    assert job.redacted()["schedule"]["catchup"] == shown


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"soon"', "is not a duration; write whole numbers with units w, d, h, m, s"),
        ('"1.5h"', "is not a duration"),
        ('"0s"', "must be longer than 0"),
        ("0", "longer than 0"),
        ("-60", "longer than 0"),
    ],
)
def test_a_bad_catchup_is_a_located_one_line_error(
    tmp_path: Path, fail: Failure, value: str, message: str
) -> None:
    error = fail(schedule(f"catchup = {value}"))
    (problem,) = error.problems
    assert problem.key == "schedule.catchup"
    assert message in problem.message
    assert str(error).startswith(f"{tmp_path / 'job.toml'}: schedule.catchup: ")
    assert "\n" not in str(error)


def test_both_bad_keys_are_reported(fail: Failure) -> None:
    error = fail(schedule('timezone = "Nowhere"', 'catchup = "never"'))
    assert sorted(p.key for p in error.problems) == ["schedule.catchup", "schedule.timezone"]


def test_the_schedule_keys_are_listed_for_an_unknown_one(fail: Failure) -> None:
    (problem,) = fail(schedule("zone = 'UTC'")).problems
    assert problem.key == "schedule.zone"
    assert "catchup, cron, full_every, timezone" in problem.message


@pytest.mark.parametrize("key", ["catchup", "full_every"])
@pytest.mark.parametrize("value", ["true", "false"])
def test_a_boolean_is_no_duration(fail: Failure, key: str, value: str) -> None:
    """``catchup = true`` (catch up, please) must not become a one-second window."""
    (problem,) = fail(schedule(f"{key} = {value}")).problems
    assert problem.key == f"schedule.{key}"
    assert problem.message == f"{value} is not a duration; write one such as '1h', '30m' or '7d'"


@pytest.mark.parametrize("value", ['""', '"   "'])
def test_an_empty_cron_means_on_demand(load: Loader, value: str) -> None:
    assert load(schedule(f"cron = {value}")).schedule.cron is None
