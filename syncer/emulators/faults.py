"""Fault knobs for the emulators: latency, 5xx errors, rate limits, connection resets, maintenance.

Every knob is off by default. Faults apply to the vendor surface only, never to ``/_emulator/``.
A seeded ``random.Random`` decides which requests fail, so a test run is reproducible.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

ERROR_STATUSES = (500, 502, 503)


@dataclass(slots=True)
class FaultConfig:
    """What an emulator does wrong on purpose. All rates are fractions of requests (0..1)."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = ERROR_STATUSES
    rate_limit: float = 0.0  # requests per second; 0 = unlimited
    reset_rate: float = 0.0
    #: Fraction of requests answered 200 with a truncated JSON body (a broken proxy, say).
    garbage_rate: float = 0.0
    #: Fraction of writes (not GET/HEAD) the vendor applies and then drops the connection
    #: before answering: the change is made, the client sees a reset.
    lost_answer: float = 0.0
    maintenance: bool = False
    #: Periodic maintenance windows: every ``maintenance_every`` s, for ``maintenance_for`` s.
    maintenance_every: float = 0.0
    maintenance_for: float = 0.0
    seed: int = 0

    def validate(self) -> None:
        for name in ("error_rate", "reset_rate", "garbage_rate", "lost_answer"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        for name in (
            "latency_ms",
            "jitter_ms",
            "rate_limit",
            "maintenance_every",
            "maintenance_for",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.jitter_ms > self.latency_ms:
            raise ValueError("jitter_ms must not exceed latency_ms")
        bad = [s for s in self.error_statuses if not 500 <= s <= 599]
        if bad or not self.error_statuses:
            raise ValueError(f"error_statuses must be 5xx codes, got {list(self.error_statuses)}")
        if self.maintenance_every and not 0 < self.maintenance_for < self.maintenance_every:
            raise ValueError("maintenance_for must be above 0 and below maintenance_every")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["error_statuses"] = list(self.error_statuses)
        return data

    def updated(self, changes: dict[str, Any]) -> FaultConfig:
        """A copy with ``changes`` applied; unknown keys and bad values raise ValueError."""
        config: FaultConfig = with_changes(self, changes)
        config.validate()
        return config


def with_changes(instance: Any, changes: dict[str, Any]) -> Any:
    """A copy of a dataclass with ``changes`` coerced to the types of its current values.

    Used for fault knobs and vendor knobs alike, whether they come from the command line
    (strings) or the admin API (JSON). Unknown keys and values that do not convert raise
    ValueError naming the knob.
    """
    known = {f.name: getattr(instance, f.name) for f in fields(instance)}
    unknown = sorted(set(changes) - set(known))
    if unknown:
        raise ValueError(f"unknown knob(s) {unknown}; known: {sorted(known)}")
    data = dict(known)
    for name, value in changes.items():
        data[name] = _coerce(name, value, known[name])
    return type(instance)(**data)


def _coerce(name: str, value: Any, current: Any) -> Any:
    try:
        if isinstance(current, bool):
            return _as_bool(value)
        if isinstance(current, tuple):
            items = value.split(",") if isinstance(value, str) else value
            return tuple(type(current[0])(item) if current else item for item in items)
        if current is None:
            return value
        return type(current)(value)
    except (TypeError, ValueError):
        kind = type(current).__name__
        raise ValueError(f"knob {name!r}: cannot use {value!r} as {kind}") from None


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(value)
    return bool(value)


@dataclass(slots=True)
class TokenBucket:
    """A strict requests-per-second limit: ``rate`` tokens a second, a burst of one second."""

    rate: float
    tokens: float = 0.0
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    @property
    def capacity(self) -> float:
        return max(1.0, self.rate)

    def take(self, now: float | None = None) -> float:
        """Take a token; 0.0 when allowed, else the seconds until one is available."""
        now = time.monotonic() if now is None else now
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate

    @property
    def remaining(self) -> int:
        return int(self.tokens)


class FaultInjector:
    """Decides, request by request, which fault (if any) to inject."""

    def __init__(self, config: FaultConfig) -> None:
        self.started = time.monotonic()
        self.configure(config)

    def configure(self, config: FaultConfig) -> None:
        config.validate()
        self.config = config
        self.rng = random.Random(config.seed)
        self.bucket = TokenBucket(config.rate_limit) if config.rate_limit > 0 else None

    def delay(self) -> float:
        """Seconds to wait before answering."""
        c = self.config
        if c.latency_ms <= 0:
            return 0.0
        return max(0.0, c.latency_ms + self.rng.uniform(-c.jitter_ms, c.jitter_ms)) / 1000.0

    def retry_after(self) -> int | None:
        """Whole seconds to announce in ``Retry-After`` when over the rate limit, else None."""
        if self.bucket is None:
            return None
        wait = self.bucket.take()
        return max(1, math.ceil(wait)) if wait > 0 else None

    def in_maintenance(self, now: float | None = None) -> bool:
        c = self.config
        if c.maintenance:
            return True
        if c.maintenance_every <= 0:
            return False
        elapsed = (time.monotonic() if now is None else now) - self.started
        return elapsed % c.maintenance_every < c.maintenance_for

    def maintenance_left(self, now: float | None = None) -> float | None:
        """Seconds until a periodic maintenance window closes (None when open-ended or off)."""
        c = self.config
        if c.maintenance or c.maintenance_every <= 0:
            return None
        elapsed = (time.monotonic() if now is None else now) - self.started
        return max(0.0, c.maintenance_for - elapsed % c.maintenance_every)

    def error_status(self) -> int | None:
        if self.config.error_rate > 0 and self.rng.random() < self.config.error_rate:
            return self.rng.choice(self.config.error_statuses)
        return None

    def reset(self) -> bool:
        return self.config.reset_rate > 0 and self.rng.random() < self.config.reset_rate

    def garbage(self) -> bool:
        return self.config.garbage_rate > 0 and self.rng.random() < self.config.garbage_rate

    def lose_answer(self) -> bool:
        """Whether to drop the connection after a write has been applied."""
        return self.config.lost_answer > 0 and self.rng.random() < self.config.lost_answer
