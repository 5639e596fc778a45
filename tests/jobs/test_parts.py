"""The pure pieces of job files: cron, durations, templates, owner maps, the delete guard."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from syncer.jobs import DeletePolicy, check_cron, check_template, parse_duration, render_fields
from syncer.jobs.owners import MAX_ROWS_REPORTED, read_owners_csv
from syncer.jobs.problems import key_path
from syncer.jobs.schedule import format_duration
from syncer.records import ImageRecord
from tests.jobs.conftest import VALID, Loader

RECORD = ImageRecord(
    key="img-1", owner="part-0001", filename="red bolt.png", title="Red bolt", position=2
)


@pytest.mark.parametrize(
    ("expression", "normalised"),
    [
        ("*/15 * * * *", "*/15 * * * *"),
        ("0  9-17/2 1,15 JAN-mar mon-FRI", "0 9-17/2 1,15 JAN-mar mon-FRI"),
        ("59 23 31 12 7", "59 23 31 12 7"),
        ("5/10 0 * * 0", "5/10 0 * * 0"),
        ("@Daily", "@daily"),
        ("*/10  * * * * *", "*/10 * * * * *"),  # seconds in front, as Quartz and DBOS read it
    ],
)
def test_cron_accepts(expression: str, normalised: str) -> None:
    assert check_cron(expression) == normalised


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * * * * * *", "has 7 fields"),
        ("60 * * * * *", "second 60 is out of range 0-59"),
        ("* 24 * * *", "hour 24 is out of range 0-23"),
        ("* * 0 * *", "day of month 0 is out of range 1-31"),
        ("* * * 13 *", "month 13 is out of range 1-12"),
        ("* * * * 8", "day of week 8 is out of range 0-7"),
        ("10-5 * * * *", "minute range '10-5' ends before it starts"),
        ("1,,2 * * * *", "minute '' is not"),
        ("1- * * * *", "minute '1-' is not"),
        ("*/x * * * *", "minute step 'x'"),
        ("", "has 0 fields"),
    ],
)
def test_cron_refuses(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("*", r"\*")):
        check_cron(expression)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("24h", 86_400), ("1h30m", 5_400), ("90s", 90), ("2w", 1_209_600), ("1d 12h", 129_600)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)
    assert parse_duration(format_duration(parse_duration(text))) == timedelta(seconds=seconds)


def test_duration_round_trips_in_redacted(load: Loader) -> None:
    job = load(VALID + '[schedule]\nfull_every = "90m"\n')
    assert job.schedule.full_every == timedelta(minutes=90)
    assert job.redacted()["schedule"]["full_every"] == "1h30m"
    assert load(VALID).schedule.full_every == timedelta(hours=24)


def test_render_fields_over_a_record() -> None:
    templates = {"alt": "{title} ({position})", "title": "{stem}", "filename": "{{{key}}}.png"}
    assert render_fields(templates, RECORD) == {
        "alt": "Red bolt (2)",
        "title": "red bolt",
        "filename": "{img-1}.png",
    }


def test_render_fields_renders_none_as_empty() -> None:
    assert render_fields({"alt": "[{alt}]{mime}"}, RECORD) == {"alt": "[]"}
    assert render_fields({}, RECORD) == {}


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{colour}", "unknown field {colour}"),
        ("{title:>10}", "takes no format spec"),
        ("{}", "unknown field {}"),
        ("{title", "expected '}'"),
        ("oops}", "Single '}'"),
    ],
)
def test_check_template_refuses(template: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        check_template(template)


def test_owner_map_from_a_table(load: Loader) -> None:
    mapping = load(VALID + 'owners = { "part-0002" = "products/2" }\n').targets[0].mapping
    assert mapping.owner_for("part-0002") == "products/2"
    assert mapping.owner_for("part-0003") == "products/100001"


def test_owner_map_from_csv_relative_to_the_job_file(tmp_path: Path, load: Loader) -> None:
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "owners.csv").write_text(
        "\ufeffSource,Target\n part-0001 , products/1\n\n", encoding="utf-8"
    )
    text = VALID.replace('default_owner = "products/100001"', 'owners_csv = "maps/owners.csv"')
    job = load(text)
    mapping = job.targets[0].mapping
    assert mapping.owner_for("part-0001") == "products/1"
    assert mapping.owner_for("part-0002") is None
    assert job.redacted()["targets"][0]["mapping"]["owners_csv"] == str(
        tmp_path / "maps" / "owners.csv"
    )


def test_owner_map_by_identity(load: Loader) -> None:
    text = VALID.replace('default_owner = "products/100001"', "owners_identity = true")
    assert load(text).targets[0].mapping.owner_for("anything") == "anything"


def test_owners_csv_caps_the_rows_it_lists(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("bad\n" * (MAX_ROWS_REPORTED + 3), encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 10: .*; and 3 more bad rows$") as caught:
        read_owners_csv(path)
    assert "line 11" not in str(caught.value)


def test_delete_guard_defaults_and_limits(load: Loader) -> None:
    off = load(VALID).targets[0].delete
    assert not off.enabled
    assert off.allows(0, 10)
    assert not off.allows(1, 10)
    on = load(VALID + "[targets.delete]\nenabled = true\n").targets[0].delete
    assert on.max_percent == 10.0
    assert on.allows(1, 10)
    assert not on.allows(2, 10)
    assert not on.allows(1, 0)


def test_delete_guard_by_count_and_percent() -> None:
    both = DeletePolicy(enabled=True, max_count=3, max_percent=50)
    assert both.allows(3, 6)
    assert not both.allows(4, 100)
    assert not both.allows(3, 5)
    count_only = DeletePolicy(enabled=True, max_count=3)
    assert count_only.max_percent is None
    assert count_only.allows(3, 3)


def test_vendor_defaults_for_limits(load: Loader) -> None:
    job = load(VALID)
    assert (job.source.concurrency, job.source.rate) == (4, None)
    text = VALID.replace('password = "demo"', 'password = "demo"\nconcurrency = 2\nrate = 1.5')
    target = load(text).targets[0]
    assert (target.concurrency, target.rate) == (2, 1.5)


def test_key_path_quotes_odd_keys() -> None:
    assert key_path(("targets", 1, "rate")) == "targets[1].rate"
    assert key_path(("targets", 0, "mapping", "owners", "part 1")) == (
        'targets[0].mapping.owners."part 1"'
    )
