"""decide(): every branch, in order, and the reasons it records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from syncer.schedule.cron import MORE_COUNTED, CronSchedule
from syncer.schedule.policy import MISSED_ROWS, RUN, Decision, decide

HOURLY = CronSchedule("0 * * * *")
CATCHUP = timedelta(hours=1)
TICK = datetime(2026, 5, 5, 12, tzinfo=UTC)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def test_on_time() -> None:
    decision = decide(HOURLY, CATCHUP, TICK, TICK + timedelta(seconds=3), TICK - hours(1))
    assert decision == Decision(RUN, "on time", [], 0)
    assert decision.runs


def test_never_ticked_before() -> None:
    decision = decide(HOURLY, CATCHUP, TICK, TICK, None)
    assert (decision.outcome, decision.missed, decision.missed_more) == (RUN, [], 0)


def test_a_last_tick_after_this_one_finds_nothing_missed() -> None:
    """A tick recovered or enqueued late, after later ticks were recorded."""
    decision = decide(HOURLY, CATCHUP, TICK, TICK, TICK + hours(3))
    assert (decision.outcome, decision.reason, decision.missed) == (RUN, "on time", [])
    assert decide(HOURLY, CATCHUP, TICK, TICK, TICK).missed == []


def test_missed_ticks_between_the_last_recorded_and_this_one() -> None:
    decision = decide(HOURLY, CATCHUP, TICK, TICK + timedelta(minutes=5), TICK - hours(4))
    assert decision.outcome == RUN
    assert decision.reason == "catching up"
    assert decision.missed == [TICK - hours(3), TICK - hours(2), TICK - hours(1)]
    assert decision.missed_more == 0


def test_missed_ticks_are_capped_and_the_rest_counted() -> None:
    cron = CronSchedule("* * * * * *")  # every second
    extra = 25
    last = TICK - timedelta(seconds=MISSED_ROWS + extra + 1)
    decision = decide(cron, CATCHUP, TICK, TICK, last)
    assert len(decision.missed) == MISSED_ROWS
    assert decision.missed[0] == last + timedelta(seconds=1)
    assert decision.missed_more == extra
    assert decision.missed_reason(TICK).endswith(f" ({extra} more not listed)")


def test_stopping_comes_first() -> None:
    berlin = CronSchedule("30 2 * * *", "Europe/Berlin")
    repeat = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    decision = decide(berlin, CATCHUP, repeat, repeat + hours(5), None, stopping=True)
    assert decision.outcome == "stopping"
    assert decision.reason == "the scheduler was stopping; the next tick runs the job"
    assert not decision.runs


def test_stopping_still_lists_missed_ticks() -> None:
    decision = decide(HOURLY, CATCHUP, TICK, TICK, TICK - hours(3), stopping=True)
    assert decision.missed == [TICK - hours(2), TICK - hours(1)]


def test_a_dst_repeat_is_skipped_before_lateness() -> None:
    berlin = CronSchedule("30 2 * * *", "Europe/Berlin")
    repeat = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET, the second one
    decision = decide(berlin, CATCHUP, repeat, repeat + hours(5), repeat - hours(1))
    assert decision.outcome == "dst_repeat"
    assert decision.reason == (
        "02:30 came twice in Europe/Berlin (clocks went back); the job ran at the first occurrence"
    )
    assert decision.missed == []  # the first 02:30 is the last recorded one


def test_the_first_occurrence_runs() -> None:
    berlin = CronSchedule("30 2 * * *", "Europe/Berlin")
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert decide(berlin, CATCHUP, first, first, None).runs


def test_an_interval_job_runs_in_the_repeated_hour() -> None:
    cron = CronSchedule("*/30 * * * *", "Europe/Berlin")
    second = datetime(2026, 10, 25, 2, 0, tzinfo=ZoneInfo("Europe/Berlin"), fold=1)
    assert decide(cron, CATCHUP, second, second, None).runs


@pytest.mark.parametrize(
    ("late", "outcome"),
    [
        (timedelta(0), RUN),
        (CATCHUP - timedelta(microseconds=1), RUN),
        (CATCHUP, RUN),  # at the window's edge: still runs
        (CATCHUP + timedelta(microseconds=1), "late"),
        (hours(30), "late"),
        (-timedelta(seconds=2), RUN),  # a clock a little behind the tick
    ],
)
def test_the_catchup_window_boundary(late: timedelta, outcome: str) -> None:
    assert decide(HOURLY, CATCHUP, TICK, TICK + late, None).outcome == outcome


@pytest.mark.parametrize(
    ("late", "catchup", "text"),
    [
        (
            timedelta(seconds=90),
            timedelta(seconds=30),
            "started 90 s after its time, past the "
            "catchup window of 30 s; the next tick runs the job",
        ),
        (
            timedelta(minutes=75),
            hours(1),
            "started 75 min after its time, past the catchup "
            "window of 60 min; the next tick runs the job",
        ),
        (
            hours(5.5),
            hours(2),
            "started 5.5 h after its time, past the catchup window of 2.0 h; "
            "the next tick runs the job",
        ),
        (
            timedelta(days=3),
            timedelta(days=2),
            "started 3.0 days after its time, past the "
            "catchup window of 2.0 days; the next tick runs the job",
        ),
    ],
)
def test_the_late_reason(late: timedelta, catchup: timedelta, text: str) -> None:
    decision = decide(HOURLY, catchup, TICK, TICK + late, None)
    assert (decision.outcome, decision.reason) == ("late", text)


def test_late_with_missed_ticks_lists_them() -> None:
    decision = decide(HOURLY, CATCHUP, TICK, TICK + hours(2), TICK - hours(2))
    assert decision.outcome == "late"
    assert decision.missed == [TICK - hours(1)]


def test_times_in_the_jobs_zone_compare_as_instants() -> None:
    """``now`` and ``last_recorded`` in the job's zone, across the repeated hour: compared by
    wall clock they would be in the wrong order."""
    zone = ZoneInfo("Europe/Berlin")
    cron = CronSchedule("*/30 * * * *", "Europe/Berlin")
    tick = datetime(2026, 10, 25, 2, 0, tzinfo=zone, fold=1)  # 01:00 UTC
    last = datetime(2026, 10, 25, 2, 0, tzinfo=zone)  # 00:00 UTC
    decision = decide(cron, CATCHUP, tick, datetime(2026, 10, 25, 2, 10, tzinfo=zone, fold=1), last)
    assert decision.runs
    assert [m.astimezone(UTC) for m in decision.missed] == [
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    ]
    late = datetime(2026, 10, 25, 2, 30, tzinfo=zone)  # 00:30 UTC, half an hour *before* tick
    assert decide(cron, timedelta(minutes=10), tick, late, None).runs


def test_missed_reason_when_the_run_covers_them() -> None:
    decision = decide(HOURLY, CATCHUP, TICK, TICK, TICK - hours(2))
    assert decision.missed_reason(TICK) == (
        "no scheduler was running; the run of tick 2026-05-05T12:00:00+00:00 covers it"
    )


def test_missed_reason_when_this_tick_is_skipped_too() -> None:
    decision = decide(HOURLY, CATCHUP, TICK, TICK + hours(2), TICK - hours(2))
    assert decision.missed_reason(TICK) == (
        "no scheduler was running, and tick 2026-05-05T12:00:00+00:00 was skipped (late); "
        "the next tick runs the job"
    )
    more = Decision("stopping", "", [TICK], 7)
    assert more.missed_reason(TICK).endswith(
        "(stopping); the next tick runs the job (7 more not listed)"
    )


def test_a_tick_as_the_workflow_gets_it_from_its_isoformat() -> None:
    """The tick workflow reads its tick back with fromisoformat: a fixed offset, no zone."""
    berlin = CronSchedule("30 2 * * *", "Europe/Berlin")
    repeat = datetime.fromisoformat("2026-10-25T02:30:00+01:00")
    first = datetime.fromisoformat("2026-10-25T02:30:00+02:00")
    assert decide(berlin, CATCHUP, repeat, repeat, first).outcome == "dst_repeat"
    assert decide(berlin, CATCHUP, first, first, None).runs


def test_a_long_downtime_of_a_per_second_job_is_counted_up_to_a_cap() -> None:
    """Counting every missed second of a month would keep the tick busy for minutes."""
    cron = CronSchedule("* * * * * *")
    decision = decide(cron, CATCHUP, TICK, TICK, TICK - timedelta(days=30))
    assert len(decision.missed) == MISSED_ROWS
    assert decision.missed_more == MORE_COUNTED
    assert decision.missed_reason(TICK).endswith(f" (at least {MORE_COUNTED} more not listed)")
