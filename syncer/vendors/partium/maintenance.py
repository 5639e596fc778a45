"""Waiting out Partium's maintenance mode on the write paths.

In maintenance Partium refuses every write with ``503 {"detail": "Catalog manager is in
maintenance mode - ..."}`` and no ``Retry-After``, while reads keep working. The HTTP layer retries
a 503 with exponential backoff, which covers a few seconds; a real maintenance window can last
minutes. The gate adds a second, slower loop for maintenance answers only: it pauses every write
of this client (the lane, not the run: reads go on) for ``poll`` seconds and tries again, until
``max_wait`` seconds have passed since the first refusal, then lets the UnavailableError through
(transient: the engine keeps the item for a later attempt). Any other 503 is not retried here.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from syncer.errors import UnavailableError

T = TypeVar("T")
Clock = Callable[[], float]


def is_maintenance(error: UnavailableError) -> bool:
    """Whether a 503 is Partium's maintenance answer (its ``detail`` says so)."""
    body = error.body
    detail = body.get("detail") if isinstance(body, dict) else None
    return error.status == 503 and isinstance(detail, str) and "maintenance" in detail.lower()


class MaintenanceGate:
    """Holds writes back while the catalog is in maintenance; shared by all writes of a client."""

    def __init__(
        self,
        poll: float,
        max_wait: float,
        *,
        clock: Clock = time.monotonic,
        on_retry: Callable[[], None] | None = None,
    ) -> None:
        self.poll = poll
        self.max_wait = max_wait
        self._clock = clock
        self._on_retry = on_retry
        self._paused_until = 0.0
        #: Maintenance refusals seen, for reports and tests.
        self.refusals = 0

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """``call()``, tried again after each maintenance refusal until ``max_wait`` runs out."""
        started: float | None = None
        while True:
            pause = self._paused_until - self._clock()
            if pause > 0:
                await anyio.sleep(pause)
            try:
                return await call()
            except UnavailableError as exc:
                if not is_maintenance(exc):
                    raise
                now = self._clock()
                started = now if started is None else started
                self.refusals += 1
                if now + self.poll - started > self.max_wait:
                    raise
                self._paused_until = max(self._paused_until, now + self.poll)
                if self._on_retry is not None:
                    self._on_retry()
