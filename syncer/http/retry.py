"""When to try a request again, and how long to wait first."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded attempts; ``Retry-After`` wins when given.

    ``attempts`` counts every try, the first included. A server's ``Retry-After`` is honoured (up
    to ``max_retry_after`` seconds) and lengthened by a random share, never shortened: clients
    told the same instant do not all come back at once, and retries do not fall in step with a
    periodic outage (a maintenance window every second, answered ``Retry-After: 5``).
    """

    attempts: int = 6
    base: float = 0.25
    cap: float = 20.0
    max_retry_after: float = 120.0
    #: A Retry-After wait grows by up to this share of itself, and at most ``max_spread`` s.
    spread: float = 0.25
    max_spread: float = 2.0

    def bounded(self, retry_after: float | None) -> float | None:
        """A server's ``Retry-After``, at most ``max_retry_after`` (None stays None)."""
        return None if retry_after is None else min(retry_after, self.max_retry_after)

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before try number ``attempt + 1`` (``attempt`` starts at 1)."""
        wait = self.bounded(retry_after)
        if wait is not None:
            return wait + rng.uniform(0.0, min(self.max_spread, wait * self.spread))
        return rng.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None when absent or garbage."""
    if value is None:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
