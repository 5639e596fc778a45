"""The tick ledger (``ticks``): recording a tick, missed ticks, and reading them back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from syncer.state import StateStore
from syncer.state.models import ticks as ticks_table
from syncer.state.ticks import TickRow

from .conftest import Clock

T0 = datetime(2026, 5, 5, 12, tzinfo=UTC)


@pytest.fixture
async def ledger(store: StateStore) -> StateStore:
    """The store with an empty ledger (the shared PostgreSQL database keeps rows otherwise)."""
    async with store._write() as conn:
        await conn.execute(sa.delete(ticks_table))
    return store


def hours(n: int) -> timedelta:
    return timedelta(hours=n)


async def test_record_tick_and_read_it_back(ledger: StateStore, clock: Clock) -> None:
    await ledger.record_tick(TickRow("shop", T0, "ran", "on time", 7, "exec-1"))
    (row,) = await ledger.ticks("shop")
    assert row == TickRow("shop", T0, "ran", "on time", 7, "exec-1", clock.now)
    assert row.scheduled_at.tzinfo is not None
    assert row.scheduled_at.utcoffset() == timedelta(0)


async def test_record_tick_replaces_the_row_of_the_same_tick(
    ledger: StateStore, clock: Clock
) -> None:
    await ledger.record_tick(TickRow("shop", T0, "started", "", None, "exec-1"))
    clock.advance(30)
    await ledger.record_tick(TickRow("shop", T0, "ran", "done", 3, "exec-2"))
    assert await ledger.ticks("shop") == [
        TickRow("shop", T0, "ran", "done", 3, "exec-2", clock.now)
    ]


async def test_record_missed_adds_rows_and_counts_them(ledger: StateStore) -> None:
    times = [T0 - hours(3), T0 - hours(2), T0 - hours(1)]
    assert await ledger.record_missed("shop", times, "nobody ran", "exec-1") == 3
    rows = await ledger.ticks("shop")
    assert [r.scheduled_at for r in rows] == times[::-1]
    assert {(r.outcome, r.reason, r.run_id, r.executor) for r in rows} == {
        ("missed", "nobody ran", None, "exec-1")
    }


async def test_record_missed_never_overwrites_a_row(ledger: StateStore) -> None:
    await ledger.record_tick(TickRow("shop", T0 - hours(2), "ran", "on time", 1, "exec-1"))
    await ledger.record_missed("shop", [T0 - hours(3)], "first", "exec-1")
    added = await ledger.record_missed(
        "shop", [T0 - hours(4), T0 - hours(3), T0 - hours(2), T0 - hours(1)], "second", "exec-2"
    )
    assert added == 2
    got = {r.scheduled_at: (r.outcome, r.reason) for r in await ledger.ticks("shop")}
    assert got == {
        T0 - hours(4): ("missed", "second"),
        T0 - hours(3): ("missed", "first"),
        T0 - hours(2): ("ran", "on time"),
        T0 - hours(1): ("missed", "second"),
    }
    assert await ledger.record_missed("shop", [T0 - hours(4)], "again", "exec-2") == 0
    assert await ledger.record_missed("shop", [], "nothing", "exec-2") == 0


async def test_record_missed_in_chunks(ledger: StateStore) -> None:
    times = [T0 - timedelta(seconds=s) for s in range(1, 1201)]
    await ledger.record_tick(TickRow("shop", times[700], "ran", "", 1, "exec-1"))
    assert await ledger.record_missed("shop", times, "down", "exec-1") == 1199
    assert len(await ledger.ticks("shop", limit=5000)) == 1200


async def test_last_tick(ledger: StateStore) -> None:
    assert await ledger.last_tick("shop") is None
    await ledger.record_missed("shop", [T0 + hours(1)], "", "exec-1")
    await ledger.record_tick(TickRow("shop", T0, "ran", "", 1, "exec-1"))
    await ledger.record_tick(TickRow("other", T0 + hours(5), "ran", "", 2, "exec-1"))
    latest = await ledger.last_tick("shop")
    assert latest == T0 + hours(1)
    assert latest is not None
    assert latest.utcoffset() == timedelta(0)


async def test_ticks_order_limit_and_job_filter(ledger: StateStore) -> None:
    for i, job in enumerate(["a", "b", "a", "b", "a"]):
        await ledger.record_tick(TickRow(job, T0 + hours(i), "ran", str(i), i, "exec-1"))
    assert [r.reason for r in await ledger.ticks()] == ["4", "3", "2", "1", "0"]
    assert [r.reason for r in await ledger.ticks(limit=2)] == ["4", "3"]
    assert [r.reason for r in await ledger.ticks("a")] == ["4", "2", "0"]
    assert [r.reason for r in await ledger.ticks("b", limit=1)] == ["3"]
    assert await ledger.ticks("nope") == []


async def test_a_tick_in_berlin_round_trips_as_the_same_instant_in_utc(
    ledger: StateStore,
) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    first = datetime(2026, 10, 25, 2, 30, tzinfo=berlin)  # CEST, 00:30 UTC
    second = datetime(2026, 10, 25, 2, 30, tzinfo=berlin, fold=1)  # CET, 01:30 UTC
    await ledger.record_tick(TickRow("shop", first, "ran", "", 1, "exec-1"))
    await ledger.record_tick(TickRow("shop", second, "dst_repeat", "", None, "exec-1"))
    rows = await ledger.ticks("shop")
    assert [(r.scheduled_at, r.outcome) for r in rows] == [
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "dst_repeat"),
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "ran"),
    ]  # two rows: the same wall clock, two instants
    assert all(r.scheduled_at.utcoffset() == timedelta(0) for r in rows)
    assert await ledger.last_tick("shop") == second.astimezone(UTC)  # (fold=1 never equals
    # a time of another zone, PEP 495)
    assert await ledger.record_missed("shop", [first.astimezone(UTC)], "", "exec-1") == 0


async def test_a_naive_tick_is_refused(ledger: StateStore) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        await ledger.record_tick(TickRow("shop", datetime(2026, 5, 5, 12), "ran", "", 1, "x"))
