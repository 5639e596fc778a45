"""The ``X-Ratelimit`` header Spiffy sends on every API response (it runs rack-ratelimit).

rack-ratelimit counts requests in fixed windows that end on multiples of the period, reports
``remaining = limit - count + 1`` and, once that reaches 0, answers 429 with ``Retry-After`` set to
the whole period and a plain-text message. While the base ``rate_limit`` fault is on, the header
describes the base token bucket instead, so a client sees the budget that actually refuses it.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from syncer.emulators.faults import TokenBucket

NAME = "API"


@dataclass(frozen=True, slots=True)
class RateState:
    """One reading of a budget, as the header shows it."""

    period: int
    limit: int
    remaining: int
    until: float  # epoch seconds

    def header(self) -> str:
        """The header value, byte for byte in rack-ratelimit's compact JSON."""
        body = {
            "name": NAME,
            "period": self.period,
            "limit": self.limit,
            "remaining": self.remaining,
            "until": xmlschema(self.until),
        }
        return json.dumps(body, separators=(",", ":"))


def xmlschema(epoch: float) -> str:
    """Ruby's ``Time#xmlschema`` in UTC: whole seconds and a ``Z``."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def refusal_text(wait: int) -> str:
    """rack-ratelimit's default 429 body."""
    return f"{NAME} rate limit exceeded. Please wait {wait} seconds then retry your request."


class FixedWindow:
    """rack-ratelimit's counter: one count per window ending at ``period * ceil(now / period)``."""

    def __init__(self) -> None:
        self.window_end = 0.0
        self.count = 0

    def hit(self, limit: int, period: int, now: float | None = None) -> RateState:
        """Count one request and return the budget after it (``remaining`` may reach 0 or less)."""
        now = time.time() if now is None else now
        period = max(1, period)
        end = float(period * math.ceil(now / period))
        if end != self.window_end:
            self.window_end, self.count = end, 0
        self.count += 1
        return RateState(period, limit, limit - self.count + 1, end)


def bucket_state(bucket: TokenBucket, now: float | None = None) -> RateState:
    """The base token bucket read as a window: ``capacity`` calls per ``capacity / rate`` s."""
    now = time.time() if now is None else now
    capacity = bucket.capacity
    period = max(1, round(capacity / bucket.rate))
    refill = max(0.0, capacity - bucket.tokens) / bucket.rate
    return RateState(period, int(capacity), bucket.remaining, float(math.ceil(now + refill)))
