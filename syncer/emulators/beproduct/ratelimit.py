"""BeProduct's rate-limit windows: counted per minute, hour and day, reported on every response.

The windows are fixed and aligned to the clock (a minute window resets on the minute).
``X-RateLimit-*`` headers report the minute window; ``GET ratelimit/status`` lists all three.
They only count and report unless the ``enforce_ratelimit`` knob is on; the base fault knob
``rate_limit`` (requests per second) is the usual way to provoke 429s.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from syncer.emulators.base import iso

WINDOWS: tuple[tuple[str, int], ...] = (("per_minute", 60), ("per_hour", 3600), ("per_day", 86400))


@dataclass(frozen=True, slots=True)
class WindowState:
    """One window's use at a moment."""

    name: str
    limit: int
    used: int
    reset_at: int  # unix seconds

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def to_json(self) -> dict[str, Any]:
        return {
            "limit": self.limit,
            "remaining": self.remaining,
            "used": self.used,
            "resetAt": iso(datetime.fromtimestamp(self.reset_at, UTC)),
        }


class RateWindows:
    """Request counts in fixed windows."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._counts: dict[str, tuple[int, int]] = {}  # window -> (window start, count)

    def hit(self) -> None:
        """Count one request in every window."""
        now = self.clock()
        for name, length in WINDOWS:
            start = _start(now, length)
            previous, count = self._counts.get(name, (start, 0))
            self._counts[name] = (start, count + 1 if previous == start else 1)

    def states(self, limits: dict[str, int]) -> list[WindowState]:
        now = self.clock()
        states = []
        for name, length in WINDOWS:
            start = _start(now, length)
            previous, count = self._counts.get(name, (start, 0))
            used = count if previous == start else 0
            states.append(WindowState(name, limits[name], used, start + length))
        return states

    def exhausted(self, limits: dict[str, int]) -> WindowState | None:
        """The first window whose limit the requests so far went over, if any."""
        return next((s for s in self.states(limits) if s.used > s.limit), None)

    def seconds_until(self, reset_at: int) -> int:
        return max(1, math.ceil(reset_at - self.clock()))


def _start(now: float, length: int) -> int:
    return int(now // length) * length
