"""Metrics: the scheduler's events become the right samples, and no item key becomes a label."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest
from prometheus_client.parser import text_string_to_metric_families

from syncer.engine.summary import RunSummary
from syncer.http import observe
from syncer.schedule.cron import CronSchedule
from syncer.schedule.metrics import Metrics

NOW = datetime(2026, 12, 4, 18, 0, 30, tzinfo=UTC)


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.now = moment.timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def metrics(clock: Clock) -> Iterator[Metrics]:
    made = Metrics(clock=clock)
    yield made
    made.close()


def samples(metrics: Metrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of the exposition text, by name and labels."""
    found = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            found[sample.name, frozenset(sample.labels.items())] = sample.value
    return found


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return samples(metrics).get((name, frozenset(labels.items())))


def catalog(jobs: dict[str, str | None], errors: dict[str, str] | None = None) -> Any:
    """A stand-in for JobCatalog: jobs by name with their cron (None: on demand)."""
    entries = [
        SimpleNamespace(
            job=SimpleNamespace(name=name),
            cron=CronSchedule(cron, "UTC") if cron else None,
            error="",
        )
        for name, cron in jobs.items()
    ]
    return SimpleNamespace(
        entries=lambda: entries,
        jobs=lambda: {e.job.name: e.job for e in entries},
        errors=lambda: dict(errors or {}),
    )


def summary() -> RunSummary:
    made = RunSummary(run_id=7)
    made.vendors = {"shop": "spiffy", "eu.shop": "partium"}
    made.done = Counter({"shop.create": 3, "eu.shop.update": 2})
    made.failed = Counter({"shop.delete": 1})
    made.skipped = Counter(
        {"shop: unchanged": 5, "eu.shop: SKU-4711 is over the byte limit": 1, "listed twice": 2}
    )
    made.uploaded = Counter({"shop": 1234})
    return made


def test_a_run_counts_its_outcome_operations_and_bytes(metrics: Metrics) -> None:
    metrics.run_finished("demo", "partial", summary(), 12.5)
    assert value(metrics, "syncer_runs_total", job="demo", outcome="partial") == 1
    ops = "syncer_operations_total"
    assert value(metrics, ops, job="demo", target="shop", action="create", outcome="done") == 3
    assert value(metrics, ops, job="demo", target="eu.shop", action="update", outcome="done") == 2
    assert value(metrics, ops, job="demo", target="shop", action="delete", outcome="failed") == 1
    assert value(metrics, ops, job="demo", target="shop", action="skip", outcome="skipped") == 5
    assert value(metrics, ops, job="demo", target="eu.shop", action="skip", outcome="skipped") == 1
    assert value(metrics, ops, job="demo", target="", action="skip", outcome="skipped") == 2
    assert value(metrics, "syncer_uploaded_bytes_total", job="demo", target="shop") == 1234
    assert value(metrics, "syncer_run_duration_seconds_count", job="demo") == 1
    assert value(metrics, "syncer_run_duration_seconds_sum", job="demo") == 12.5
    text = metrics.render().decode()
    assert "SKU-4711" not in text
    assert "unchanged" not in text
    assert "listed twice" not in text


def test_only_a_success_sets_the_last_success_time(metrics: Metrics, clock: Clock) -> None:
    metrics.run_finished("demo", "succeeded", summary(), 1.0)
    first = clock.now
    clock.now += 60
    metrics.run_finished("demo", "partial", None, 1.0)
    metrics.run_finished("demo", "overlap", None, 0.0)
    assert value(metrics, "syncer_job_last_success_timestamp_seconds", job="demo") == first
    last = metrics.last_run("demo")
    assert last.outcome == "overlap"
    assert last.success is not None
    assert last.success.timestamp() == first
    # An overlap ran nothing: it is counted, not timed.
    assert value(metrics, "syncer_run_duration_seconds_count", job="demo") == 2
    assert value(metrics, "syncer_runs_total", job="demo", outcome="overlap") == 1
    assert metrics.last_run("other").outcome is None


def test_ticks_are_counted_by_outcome(metrics: Metrics) -> None:
    metrics.tick("demo", "ran")
    metrics.tick("demo", "missed", 3)
    metrics.tick("demo", "missed")
    assert value(metrics, "syncer_ticks_total", job="demo", outcome="ran") == 1
    assert value(metrics, "syncer_ticks_total", job="demo", outcome="missed") == 4


def test_loaded_jobs_set_their_gauges_and_jobs_gone_lose_theirs(
    metrics: Metrics, clock: Clock
) -> None:
    nxt = datetime(2026, 12, 4, 18, 5, tzinfo=UTC)
    jobs = {"a": "*/5 * * * *", "b": "0 * * * *", "manual": None}
    metrics.jobs_loaded(cast(Any, catalog(jobs, {"x.toml": "bad"})), {"a": nxt, "b": nxt})
    metrics.run_finished("b", "succeeded", None, 1.0)
    assert value(metrics, "syncer_jobs_loaded") == 3
    assert value(metrics, "syncer_job_file_errors") == 1
    assert value(metrics, "syncer_job_next_run_timestamp_seconds", job="a") == nxt.timestamp()
    assert value(metrics, "syncer_job_last_success_timestamp_seconds", job="b") is not None

    metrics.jobs_loaded(cast(Any, catalog({"a": "*/5 * * * *"})), {"a": nxt})
    assert value(metrics, "syncer_jobs_loaded") == 1
    assert value(metrics, "syncer_job_file_errors") == 0
    assert value(metrics, "syncer_job_next_run_timestamp_seconds", job="b") is None
    assert value(metrics, "syncer_job_last_success_timestamp_seconds", job="b") is None
    assert metrics.last_run("b").outcome is None


def test_a_next_run_in_the_past_moves_to_the_next_fire(metrics: Metrics, clock: Clock) -> None:
    nxt = datetime(2026, 12, 4, 18, 5, tzinfo=UTC)
    metrics.jobs_loaded(cast(Any, catalog({"a": "*/5 * * * *"})), {"a": nxt})
    clock.now = datetime(2026, 12, 4, 18, 7, tzinfo=UTC).timestamp()
    later = datetime(2026, 12, 4, 18, 10, tzinfo=UTC).timestamp()
    assert value(metrics, "syncer_job_next_run_timestamp_seconds", job="a") == later


def test_http_events_count_by_target(metrics: Metrics) -> None:
    metrics.request("shop", 429, 0.2, 4.0)
    metrics.retry("shop", 2.0)
    metrics.request("shop", 200, 0.05, 2.1)
    metrics.request("shop", None, 30.0, 2.1)
    assert value(metrics, "syncer_http_rate_limited_total", target="shop") == 1
    assert value(metrics, "syncer_http_retries_total", target="shop") == 1
    assert value(metrics, "syncer_http_request_duration_seconds_count", target="shop") == 3
    assert value(metrics, "syncer_lane_rate", target="shop") == 2.1


def test_metrics_install_themselves_as_the_http_observer(clock: Clock) -> None:
    first = Metrics(clock=clock)
    try:
        assert observe.observer() is first
    finally:
        first.close()
    assert observe.observer() is None
    quiet = Metrics(install=False)
    assert observe.observer() is None
    quiet.close()


def test_each_metrics_has_its_own_registry(clock: Clock) -> None:
    one, two = Metrics(clock=clock, install=False), Metrics(clock=clock, install=False)
    one.tick("demo", "ran")
    assert value(one, "syncer_ticks_total", job="demo", outcome="ran") == 1
    assert value(two, "syncer_ticks_total", job="demo", outcome="ran") is None
