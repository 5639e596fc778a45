"""What becomes of a tick: the scheduler's rules, as one pure function of the clock.

:func:`decide` is called when a tick's workflow starts (DBOS fired it, or a scheduler starting
up enqueued the latest tick it had missed). In order:

1. The scheduler is stopping: ``stopping`` (the tick is recorded, not run).
2. A fixed-hour tick in the repeated hour of a DST change: ``dst_repeat`` (see
   :mod:`syncer.schedule.cron`).
3. Later than the job's ``catchup`` window (the scheduler was down, or the tick waited for a
   free slot too long): ``late``. A backlog is never replayed: the next tick runs the job.
4. Otherwise the job runs. Ticks between the job's last recorded tick and this one that no
   scheduler fired (all were down) are recorded ``missed``: this run covers them (one run
   for any number of missed ticks), or, when this tick is ``late`` too, the next one does.

Whether a run may start is not decided here: the job's lease in the state store is the last
word (a tick that finds another run of the job holding it is recorded ``overlap``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from syncer.schedule.cron import MORE_COUNTED, CronSchedule

#: Missed ticks recorded one row each, per tick that finds them; the rest are counted.
MISSED_ROWS = 1000
RUN = "run"


@dataclass(frozen=True)
class Decision:
    """A tick's fate: ``outcome`` is ``run`` or the skip recorded, with ``reason``."""

    outcome: str
    reason: str
    #: Ticks before this one that no scheduler fired (recorded ``missed``).
    missed: list[datetime] = field(default_factory=list)
    #: Missed ticks beyond :data:`MISSED_ROWS`, counted in the reason only (up to
    #: :data:`~syncer.schedule.cron.MORE_COUNTED`).
    missed_more: int = 0

    @property
    def runs(self) -> bool:
        return self.outcome == RUN

    def missed_reason(self, tick: datetime) -> str:
        """Why the missed ticks were not run, naming the tick that covers them."""
        least = "at least " if self.missed_more >= MORE_COUNTED else ""
        more = f" ({least}{self.missed_more} more not listed)" if self.missed_more else ""
        if self.runs:
            return f"no scheduler was running; the run of tick {_iso(tick)} covers it{more}"
        return (
            f"no scheduler was running, and tick {_iso(tick)} was skipped ({self.outcome}); "
            f"the next tick runs the job{more}"
        )


def decide(
    cron: CronSchedule,
    catchup: timedelta,
    tick: datetime,
    now: datetime,
    last_recorded: datetime | None,
    *,
    stopping: bool = False,
) -> Decision:
    """What to do with ``tick`` of a job on ``cron`` at ``now``, the job's latest recorded tick
    being ``last_recorded`` (None: the job has never ticked)."""
    missed: list[datetime] = []
    more = 0
    # In UTC: two datetimes of one zone compare by wall clock, blind to ``fold``.
    if last_recorded is not None and last_recorded.astimezone(UTC) < tick.astimezone(UTC):
        missed, more = cron.between(last_recorded, tick, MISSED_ROWS)
    if stopping:
        reason = "the scheduler was stopping; the next tick runs the job"
        return Decision("stopping", reason, missed, more)
    if cron.is_dst_repeat(tick):
        local = tick.astimezone(cron.zone).strftime("%H:%M")
        reason = (
            f"{local} came twice in {cron.timezone} (clocks went back); the job ran at the "
            "first occurrence"
        )
        return Decision("dst_repeat", reason, missed, more)
    late = now.astimezone(UTC) - tick.astimezone(UTC)
    if late > catchup:
        reason = (
            f"started {_span(late)} after its time, past the catchup window of "
            f"{_span(catchup)}; the next tick runs the job"
        )
        return Decision("late", reason, missed, more)
    return Decision(RUN, "on time" if not missed else "catching up", missed, more)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _span(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
