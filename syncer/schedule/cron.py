"""When a job's ticks fall: its cron expression read in its time zone, and what DST does to it.

The fire times are croniter's, the same library DBOS's scheduler fires them with, so what
``syncer schedule --next`` prints is what runs. Across a DST change, in the job's zone:

* **Clocks go forward** (a wall-clock hour that never happens): a tick inside the gap fires
  once, at the first instant after it (``30 2 * * *`` in Europe/Berlin on 2026-03-29 fires at
  03:00 +02:00); no day is skipped.
* **Clocks go back** (a wall-clock hour that happens twice): a job with fixed hours (``30 1 * *
  *``, ``@daily``) runs at the first occurrence only; the repeat is a ``dst_repeat`` tick,
  recorded and skipped, so no day runs twice. A job whose hour field is ``*`` or ``*/n`` runs
  on interval and fires in both occurrences, as Vixie cron does.

A tick is a timezone-aware datetime in the job's zone; the ledger stores it in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from croniter import croniter

#: Run times past :meth:`CronSchedule.between`'s limit that are counted; the count stops there
#: (croniter takes about a second per 20 000, and a per-second job down for a month has
#: millions).
MORE_COUNTED = 10_000

if TYPE_CHECKING:
    from syncer.jobs import Schedule

#: The hour field of each macro, for the DST rule (``@hourly`` runs on interval).
_MACRO_HOURS = {"@hourly": "*"}


@dataclass(frozen=True)
class CronSchedule:
    """A cron expression (5 fields, or 6 with seconds first, or a macro) in an IANA zone."""

    expression: str
    timezone: str = "UTC"
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.timezone))

    @classmethod
    def of(cls, schedule: Schedule) -> CronSchedule | None:
        """A job's ``[schedule]`` as a cron in its zone; None for a job run on demand only."""
        return None if schedule.cron is None else cls(schedule.cron, schedule.timezone)

    @property
    def interval_hours(self) -> bool:
        """True when the hour field is ``*`` or ``*/n``: the job fires in both occurrences of
        a repeated hour."""
        if self.expression.startswith("@"):
            return _MACRO_HOURS.get(self.expression, "0") == "*"
        fields = self.expression.split()
        hour = fields[2] if len(fields) == 6 else fields[1]
        return hour.startswith("*")

    def _ticks(self, after: datetime) -> Iterator[datetime]:
        """Every fire time strictly after ``after``, DST repeats included, in the zone."""
        it = croniter(self.expression, after.astimezone(self.zone), second_at_beginning=True)
        while True:
            yield it.get_next(datetime)

    def is_dst_repeat(self, tick: datetime) -> bool:
        """True for a fixed-hour tick in the second occurrence of a repeated wall-clock hour."""
        if self.interval_hours:
            return False
        local = tick.astimezone(self.zone)
        if local.fold != 1:
            return False
        wall = local.replace(tzinfo=None)
        first = wall.replace(tzinfo=self.zone, fold=0).utcoffset()
        return first != wall.replace(tzinfo=self.zone, fold=1).utcoffset()

    def next_fires(self, after: datetime, count: int) -> list[datetime]:
        """The next ``count`` times the job runs after ``after`` (DST repeats left out)."""
        fires: list[datetime] = []
        for tick in self._ticks(after):
            if len(fires) >= count:
                break
            if not self.is_dst_repeat(tick):
                fires.append(tick)
        return fires

    def between(self, start: datetime, end: datetime, limit: int) -> tuple[list[datetime], int]:
        """The run times strictly between ``start`` and ``end`` (at most ``limit``), and how
        many more there are (counted up to :data:`MORE_COUNTED`)."""
        found: list[datetime] = []
        more = 0
        # In UTC: two datetimes of one zone compare by wall clock, blind to ``fold``.
        stop = end.astimezone(UTC)
        for tick in self._ticks(start):
            if tick.astimezone(UTC) >= stop:
                break
            if self.is_dst_repeat(tick):
                continue
            if len(found) < limit:
                found.append(tick)
            else:
                more += 1
                if more >= MORE_COUNTED:
                    break
        return found, more

    def latest_before(self, moment: datetime) -> datetime | None:
        """The latest run time at or before ``moment`` (None: none in the last year).

        croniter steps back to a run time, then the answer is found walking forward from it:
        stepping back from inside a repeated hour lands on the repeat, and croniter's next
        step back skips the first occurrence, which is the run."""
        limit = moment.astimezone(UTC)
        it = croniter(
            self.expression,
            moment.astimezone(self.zone) + timedelta(microseconds=1),
            second_at_beginning=True,
        )
        for _ in range(10):
            anchor: datetime = it.get_prev(datetime)
            if limit - anchor.astimezone(UTC) > timedelta(days=366):
                return None
            if not self.is_dst_repeat(anchor):
                break
        else:  # pragma: no cover - ten DST repeats in a row cannot happen
            return None
        latest = anchor
        for tick in self._ticks(anchor):
            if tick.astimezone(UTC) > limit:
                break
            if not self.is_dst_repeat(tick):
                latest = tick
        return latest
