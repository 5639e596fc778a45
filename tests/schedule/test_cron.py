"""CronSchedule on fixed dates: DST gaps and repeats in Berlin and New York, macros, seconds,
between(), latest_before(), and agreement with the fire times DBOS's scheduler computes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from syncer.schedule.cron import MORE_COUNTED, CronSchedule

BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"


def at(zone: str, *parts: int, fold: int = 0) -> datetime:
    """A wall-clock time in ``zone`` (``fold=1``: the second occurrence of a repeated hour)."""
    return datetime(*parts).replace(tzinfo=ZoneInfo(zone), fold=fold)  # type: ignore[arg-type]


def utc(*parts: int) -> datetime:
    return datetime(*parts).replace(tzinfo=UTC)  # type: ignore[arg-type]


def in_utc(times: list[datetime]) -> list[datetime]:
    """Comparable instants (two times of one zone compare by wall clock, ignoring fold)."""
    return [t.astimezone(UTC) for t in times]


def dbos_fires(expression: str, zone: str, start: datetime, count: int) -> list[datetime]:
    """What DBOS's _ScheduleThread fires: croniter from ``start`` in the zone, seconds first."""
    it = croniter(expression, start.astimezone(ZoneInfo(zone)), second_at_beginning=True)
    return [it.get_next(datetime) for _ in range(count)]


# -- clocks go forward: a fixed-hour tick in the gap fires once, right after it ----------------


@pytest.mark.parametrize(
    ("zone", "day_before", "gap_end"),
    [
        (BERLIN, utc(2026, 3, 28, 12), at(BERLIN, 2026, 3, 29, 3, 0)),
        (NEW_YORK, utc(2026, 3, 7, 12), at(NEW_YORK, 2026, 3, 8, 3, 0)),
    ],
)
@pytest.mark.parametrize("expression", ["30 2 * * *", "0 2 * * *"])
def test_a_tick_in_the_spring_gap_fires_once_right_after_it(
    zone: str, day_before: datetime, gap_end: datetime, expression: str
) -> None:
    cron = CronSchedule(expression, zone)
    fires = cron.next_fires(day_before, 3)
    assert in_utc(fires) == in_utc([gap_end, *cron.next_fires(gap_end, 2)])
    hour, minute = int(expression.split()[1]), int(expression.split()[0])
    day = gap_end.date()
    assert [f.date() for f in fires] == [day, day + timedelta(days=1), day + timedelta(days=2)]
    assert (fires[1].hour, fires[1].minute) == (hour, minute)
    assert not any(cron.is_dst_repeat(f) for f in fires)


def test_two_ticks_in_the_gap_fire_once_and_do_not_skip_the_day() -> None:
    cron = CronSchedule("15,45 2 * * *", BERLIN)
    fires = cron.next_fires(utc(2026, 3, 28, 12), 3)
    assert in_utc(fires) == [
        utc(2026, 3, 29, 1),  # 03:00 CEST, once for 02:15 and 02:45
        utc(2026, 3, 30, 0, 15),
        utc(2026, 3, 30, 0, 45),
    ]


def test_an_hourly_job_loses_no_real_hour_in_the_gap() -> None:
    fires = CronSchedule("0 * * * *", BERLIN).next_fires(utc(2026, 3, 28, 23, 30), 3)
    assert in_utc(fires) == [utc(2026, 3, 29, 0), utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)]


# -- clocks go back: fixed hours run once, interval jobs in both occurrences -------------------


@pytest.mark.parametrize(
    ("zone", "expression", "first", "second"),
    [
        (BERLIN, "30 2 * * *", utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)),
        (NEW_YORK, "30 1 * * *", utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30)),
    ],
)
def test_a_fixed_hour_job_runs_once_in_the_repeated_hour(
    zone: str, expression: str, first: datetime, second: datetime
) -> None:
    cron = CronSchedule(expression, zone)
    assert not cron.interval_hours
    assert cron.is_dst_repeat(second)
    assert not cron.is_dst_repeat(first)
    start = first - timedelta(hours=12)
    raw = dbos_fires(expression, zone, start, 3)
    assert in_utc(raw[:2]) == [first, second]  # DBOS fires both ...
    fires = cron.next_fires(start, 3)
    assert in_utc(fires)[:2] == [first, first + timedelta(days=1, hours=1)]  # ... one runs
    expected = [t for t in raw if not cron.is_dst_repeat(t)] + cron.next_fires(raw[-1], 1)
    assert [f.isoformat() for f in fires] == [t.isoformat() for t in expected]


def test_the_daily_macro_runs_once_on_the_fall_back_day() -> None:
    cron = CronSchedule("@daily", BERLIN)
    fires = cron.next_fires(utc(2026, 10, 24, 12), 3)
    assert in_utc(fires) == [utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), utc(2026, 10, 26, 23)]
    assert not cron.interval_hours


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("*/30 * * * *", [(0, 0), (0, 30), (1, 0), (1, 30), (2, 0)]),
        ("0 * * * *", [(0, 0), (1, 0), (2, 0), (3, 0), (4, 0)]),
        ("@hourly", [(0, 0), (1, 0), (2, 0), (3, 0), (4, 0)]),
    ],
)
def test_an_interval_job_fires_in_both_occurrences(
    expression: str, expected: list[tuple[int, int]]
) -> None:
    cron = CronSchedule(expression, BERLIN)
    assert cron.interval_hours
    fires = cron.next_fires(utc(2026, 10, 24, 23, 59), 5)  # 01:59 CEST
    assert in_utc(fires) == [utc(2026, 10, 25, h, m) for h, m in expected]
    walls = [(f.hour, f.minute, f.fold) for f in fires]
    assert (2, 0, 0) in walls
    assert (2, 0, 1) in walls
    assert not any(cron.is_dst_repeat(f) for f in fires)


def test_an_hourly_macro_fires_twice_at_one_in_new_york() -> None:
    fires = CronSchedule("@hourly", NEW_YORK).next_fires(utc(2026, 11, 1, 4, 30), 3)
    assert [(f.hour, f.fold) for f in fires] == [(1, 0), (1, 1), (2, 0)]


# -- seconds, UTC default, macros -----------------------------------------------------------


def test_six_fields_put_seconds_first() -> None:
    cron = CronSchedule("*/20 * * * * *")
    start = utc(2026, 5, 5, 10, 0, 5)
    assert cron.next_fires(start, 3) == [
        utc(2026, 5, 5, 10, 0, 20),
        utc(2026, 5, 5, 10, 0, 40),
        utc(2026, 5, 5, 10, 1, 0),
    ]
    assert cron.interval_hours
    assert not CronSchedule("0 30 2 * * *", BERLIN).interval_hours  # hour is the third field


def test_seconds_fire_in_both_occurrences_of_the_repeated_hour() -> None:
    cron = CronSchedule("0 */30 * * * *", BERLIN)
    fires = cron.next_fires(utc(2026, 10, 25, 0, 15), 3)
    assert in_utc(fires) == [
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 25, 1),
        utc(2026, 10, 25, 1, 30),
    ]


def test_utc_is_the_default_zone() -> None:
    cron = CronSchedule("0 9 * * *")
    assert cron.timezone == "UTC"
    (fire,) = cron.next_fires(utc(2026, 10, 25, 0), 1)
    assert fire == utc(2026, 10, 25, 9)
    assert fire.utcoffset() == timedelta(0)


def test_a_fire_time_is_in_the_jobs_zone() -> None:
    (fire,) = CronSchedule("0 9 * * *", NEW_YORK).next_fires(utc(2026, 7, 1), 1)
    assert (fire.tzinfo, fire.hour, fire.utcoffset()) == (
        ZoneInfo(NEW_YORK),
        9,
        timedelta(hours=-4),
    )


@pytest.mark.parametrize(
    ("macro", "expected"),
    [
        ("@hourly", utc(2026, 5, 5, 11)),
        ("@daily", utc(2026, 5, 6)),
        ("@midnight", utc(2026, 5, 6)),
        ("@weekly", utc(2026, 5, 10)),
        ("@monthly", utc(2026, 6, 1)),
        ("@yearly", utc(2027, 1, 1)),
    ],
)
def test_macros(macro: str, expected: datetime) -> None:
    assert CronSchedule(macro).next_fires(utc(2026, 5, 5, 10, 30), 1) == [expected]


def test_next_fires_is_strictly_after() -> None:
    cron = CronSchedule("0 * * * *")
    assert cron.next_fires(utc(2026, 5, 5, 10), 1) == [utc(2026, 5, 5, 11)]
    assert cron.next_fires(utc(2026, 5, 5, 10), 0) == []


# -- agreement with DBOS: --next prints what DBOS fires ----------------------------------------

DBOS_CASES = [
    (expression, zone, start)
    for expression in [
        "30 2 * * *",
        "30 1 * * *",
        "*/30 * * * *",
        "0 * * * *",
        "@daily",
        "@hourly",
        "15,45 1-3 * * *",
        "0 */20 * * * *",
    ]
    for zone, start in [
        ("UTC", utc(2026, 3, 28, 20)),
        (BERLIN, utc(2026, 3, 28, 20)),
        (BERLIN, utc(2026, 10, 24, 20)),
        (NEW_YORK, utc(2026, 3, 8, 0)),
        (NEW_YORK, utc(2026, 11, 1, 0)),
    ]
]


@pytest.mark.parametrize(("expression", "zone", "start"), DBOS_CASES)
def test_next_fires_is_dbos_sequence_minus_dst_repeats(
    expression: str, zone: str, start: datetime
) -> None:
    cron = CronSchedule(expression, zone)
    for step in range(0, 12 * 60, 25):  # starts all across the change, in and out of it
        after = start + timedelta(minutes=step, seconds=step % 7)
        raw = dbos_fires(expression, zone, after, 40)
        expected = [t for t in raw if not cron.is_dst_repeat(t)][:20]
        assert cron.next_fires(after, 20) == expected, after
        assert [t.isoformat() for t in cron.next_fires(after, 20)] == [
            t.isoformat() for t in expected
        ]


# -- between() ----------------------------------------------------------------------------


def test_between_is_strictly_between_with_a_limit_and_a_count_of_the_rest() -> None:
    cron = CronSchedule("0 * * * *")
    found, more = cron.between(utc(2026, 5, 5, 10), utc(2026, 5, 5, 20), 3)
    assert found == [utc(2026, 5, 5, 11), utc(2026, 5, 5, 12), utc(2026, 5, 5, 13)]
    assert more == 6  # 14:00 ... 19:00; 20:00 is the end, not between
    assert cron.between(utc(2026, 5, 5, 10), utc(2026, 5, 5, 11), 5) == ([], 0)
    assert cron.between(utc(2026, 5, 5, 10), utc(2026, 5, 5, 13), 5) == (
        [utc(2026, 5, 5, 11), utc(2026, 5, 5, 12)],
        0,
    )


def test_between_leaves_out_dst_repeats() -> None:
    cron = CronSchedule("30 2 * * *", BERLIN)
    found, more = cron.between(utc(2026, 10, 24, 12), utc(2026, 10, 26, 12), 10)
    assert in_utc(found) == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]
    assert more == 0


def test_between_ends_in_the_jobs_zone_compare_as_instants() -> None:
    """An end in the job's zone, in the second occurrence of 02:00: by wall clock it is before
    02:30 of the first occurrence, in time it is after it."""
    cron = CronSchedule("*/30 * * * *", BERLIN)
    start, end = at(BERLIN, 2026, 10, 25, 1, 45), at(BERLIN, 2026, 10, 25, 2, 15, fold=1)
    found, more = cron.between(start, end, 10)
    assert in_utc(found) == [utc(2026, 10, 25, 0), utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1)]
    assert more == 0


def test_between_over_the_spring_gap() -> None:
    cron = CronSchedule("30 2 * * *", NEW_YORK)
    found, _ = cron.between(utc(2026, 3, 7, 0), utc(2026, 3, 10, 0), 10)
    assert in_utc(found) == [utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30)]


# -- latest_before() -----------------------------------------------------------------------


def test_latest_before_at_and_just_after_a_tick() -> None:
    cron = CronSchedule("0 * * * *")
    assert cron.latest_before(utc(2026, 5, 5, 10)) == utc(2026, 5, 5, 10)
    assert cron.latest_before(utc(2026, 5, 5, 10, 0, 0) + timedelta(microseconds=1)) == utc(
        2026, 5, 5, 10
    )
    assert cron.latest_before(utc(2026, 5, 5, 10, 59, 59)) == utc(2026, 5, 5, 10)
    assert cron.latest_before(utc(2026, 5, 5, 9, 59, 59)) == utc(2026, 5, 5, 9)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 0, 30)),  # at the first 02:30
        (utc(2026, 10, 25, 0, 31), utc(2026, 10, 25, 0, 30)),
        (utc(2026, 10, 25, 1), utc(2026, 10, 25, 0, 30)),  # 02:00 again: inside the repeat
        (utc(2026, 10, 25, 1, 15), utc(2026, 10, 25, 0, 30)),
        (utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 0, 30)),  # the repeat is no run time
        (utc(2026, 10, 25, 1, 31), utc(2026, 10, 25, 0, 30)),
        (utc(2026, 10, 25, 0, 29), utc(2026, 10, 24, 0, 30)),
        (utc(2026, 10, 26, 1, 30), utc(2026, 10, 26, 1, 30)),
    ],
)
def test_latest_before_across_the_fall_back(moment: datetime, expected: datetime) -> None:
    cron = CronSchedule("30 2 * * *", BERLIN)
    latest = cron.latest_before(moment)
    assert latest is not None
    assert latest.astimezone(UTC) == expected
    assert not cron.is_dst_repeat(latest)
    in_berlin = cron.latest_before(moment.astimezone(ZoneInfo(BERLIN)))  # any zone
    assert in_berlin is not None
    assert in_berlin.isoformat() == latest.isoformat()


def test_latest_before_with_two_ticks_in_the_repeated_hour() -> None:
    cron = CronSchedule("15,45 2 * * *", BERLIN)
    latest = cron.latest_before(utc(2026, 10, 25, 1, 20))  # 02:20 CET, the second 02:xx
    assert latest is not None
    assert latest.astimezone(UTC) == utc(2026, 10, 25, 0, 45)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2026, 3, 29, 0, 59), utc(2026, 3, 28, 1, 30)),  # 01:59 CET, before the gap
        (utc(2026, 3, 29, 1), utc(2026, 3, 29, 1)),  # 03:00 CEST: the gap's tick
        (utc(2026, 3, 29, 1, 0, 1), utc(2026, 3, 29, 1)),
    ],
)
def test_latest_before_across_the_spring_gap(moment: datetime, expected: datetime) -> None:
    latest = CronSchedule("30 2 * * *", BERLIN).latest_before(moment)
    assert latest is not None
    assert latest.astimezone(UTC) == expected


def test_latest_before_an_interval_job_in_the_repeated_hour() -> None:
    cron = CronSchedule("*/30 * * * *", BERLIN)
    latest = cron.latest_before(utc(2026, 10, 25, 1, 10))  # 02:10 CET
    assert latest is not None
    assert (latest.hour, latest.minute, latest.fold) == (2, 0, 1)


def test_latest_before_agrees_with_the_forward_sequence() -> None:
    for expression, zone in [
        ("30 2 * * *", BERLIN),
        ("30 1 * * *", NEW_YORK),
        ("15,45 1-3 * * *", BERLIN),
        ("0 * * * *", NEW_YORK),
    ]:
        cron = CronSchedule(expression, zone)
        start = utc(2026, 10, 24, 18) if zone == BERLIN else utc(2026, 10, 31, 22)
        fires = in_utc(cron.next_fires(start - timedelta(days=2), 100))
        for step in range(0, 14 * 60, 5):
            moment = start + timedelta(minutes=step)
            expected = max(f for f in fires if f <= moment)
            latest = cron.latest_before(moment)
            assert latest is not None, (expression, moment)
            assert latest.astimezone(UTC) == expected, (expression, moment)


def test_latest_before_none_within_a_year() -> None:
    assert CronSchedule("0 0 29 2 *").latest_before(utc(2026, 5, 5)) is None  # 2024 was leap
    assert CronSchedule("0 0 29 2 *").latest_before(utc(2028, 3, 1)) == utc(2028, 2, 29)


@pytest.mark.parametrize(
    ("expression", "zone", "start"),
    [
        ("30 2 * * *", BERLIN, utc(2026, 10, 24, 18)),
        ("*/30 * * * *", BERLIN, utc(2026, 10, 24, 22)),
        ("30 1 * * *", NEW_YORK, utc(2026, 10, 31, 22)),
        ("0 */20 * * * *", NEW_YORK, utc(2026, 3, 8, 5)),
    ],
)
def test_latest_before_is_spelled_as_dbos_spells_the_tick(
    expression: str, zone: str, start: datetime
) -> None:
    """The catch-up enqueues the latest tick under DBOS's workflow id, which holds the tick's
    isoformat(): the same tick must be the same text, or it would run twice."""
    cron = CronSchedule(expression, zone)
    fires = dbos_fires(expression, zone, start - timedelta(days=1), 200)
    spelled = {t.astimezone(UTC): t.isoformat() for t in fires}
    for step in range(1, 8 * 60, 7):
        latest = cron.latest_before(start + timedelta(minutes=step))
        assert latest is not None
        assert latest.isoformat() == spelled[latest.astimezone(UTC)]


def test_between_counts_the_rest_up_to_a_cap() -> None:
    cron = CronSchedule("* * * * * *")
    start = utc(2026, 5, 5)
    found, more = cron.between(start, start + timedelta(days=7), 10)
    assert found == [start + timedelta(seconds=s) for s in range(1, 11)]
    assert more == MORE_COUNTED
    _, exact = cron.between(start, start + timedelta(seconds=MORE_COUNTED + 10), 10)
    assert exact == MORE_COUNTED - 1  # ends are not between
