"""Per-connection limits: concurrent requests, and a request rate that finds the vendor's limit.

The rate limiter spaces requests evenly (a token bucket with a burst of one). It starts at the
configured rate, or unlimited, and adapts without configuration: on a 429 it halves (at most once
per cut interval, so a burst of 429s from requests already in flight counts once) and pauses for
``Retry-After``; on success it climbs back, quickly up to the rate of the last 429, then slowly
beyond it to probe for more. A lane settles just under the vendor's real limit.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class AdaptiveRateLimiter:
    """Evenly spaced requests at ``rate`` per second (None: unlimited until the first 429)."""

    #: Share of the way back to the last 429's rate regained per success.
    RECOVERY = 0.05
    #: Below this share of the last 429's rate, recovery is quick; above it, a slow probe.
    NEAR_CEILING = 0.95

    def __init__(
        self,
        rate: float | None = None,
        *,
        min_rate: float = 0.2,
        max_rate: float | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        self.rate = rate
        self.min_rate = min_rate
        self.max_rate = max_rate
        self.ceiling: float | None = None  # the rate at which the last 429 came
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._paused_until = 0.0
        self._last_cut = -1e9
        self._recent: deque[float] = deque()

    async def acquire(self) -> None:
        """Wait for this request's turn."""
        now = self._clock()
        self._note(now)
        start = max(now, self._paused_until)
        if self.rate is not None:
            start = max(start, self._next)
            self._next = start + 1.0 / self.rate
        if start > now:
            await self._sleep(start - now)

    def throttled(self, retry_after: float | None = None) -> None:
        """A 429 came back: halve the rate (once per cut interval) and pause for Retry-After."""
        now = self._clock()
        if retry_after:
            self.pause(retry_after)
        current = self.rate if self.rate is not None else max(self._observed(now), self.min_rate)
        if now - self._last_cut < self._cut_interval(current):
            return
        self._last_cut = now
        self.ceiling = current
        self.rate = max(self.min_rate, current / 2)
        self._next = max(self._next, now)

    def pause(self, seconds: float) -> None:
        """Start no request for ``seconds`` (a maintenance window), the rate unchanged."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def succeeded(self) -> None:
        """A request went through: climb back toward, then past, the last 429's rate."""
        if self.rate is None:
            return
        if self.ceiling is not None and self.rate < self.ceiling * self.NEAR_CEILING:
            self.rate += (self.ceiling - self.rate) * self.RECOVERY
        else:
            self.rate += 0.1 / self.rate  # about +0.1 request/s per second of successes
        if self.max_rate is not None:
            self.rate = min(self.rate, self.max_rate)

    def current(self) -> float:
        """Requests/s now: the rate it spaces requests at, or (unlimited) the last second's."""
        return self.rate if self.rate is not None else self._observed(self._clock())

    def _cut_interval(self, rate: float) -> float:
        return max(1.0, 2.0 / rate)

    def _note(self, now: float) -> None:
        self._recent.append(now)
        while self._recent and self._recent[0] < now - 1.0:
            self._recent.popleft()

    def _observed(self, now: float) -> float:
        """Requests started in the last second: the rate that just drew a 429."""
        return float(sum(1 for t in self._recent if t >= now - 1.0))


class Lane:
    """One vendor connection's limits: at most ``concurrency`` API requests at once and at most
    ``downloads`` file downloads at once (so that reading bytes never starves the listing, nor
    the listing the downloads), all paced by one rate (the vendor's limit is per account).
    ``name`` labels the connection's requests in the metrics (:mod:`syncer.http.observe`):
    the job's target name, set by the engine; None means the vendor's name."""

    def __init__(
        self,
        concurrency: int = 8,
        rate: float | None = None,
        *,
        max_rate: float | None = None,
        downloads: int | None = None,
        name: str | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.limiter = anyio.CapacityLimiter(concurrency)
        self.downloads = anyio.CapacityLimiter(max(1, downloads or concurrency))
        self.rate = AdaptiveRateLimiter(rate, max_rate=max_rate)
        self.name = name

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self.limiter:
            await self.rate.acquire()
            yield
