"""A seam for watching requests (the scheduler's metrics), with no dependency of its own.

The HTTP layer knows nothing of Prometheus: :class:`~syncer.http.client.HttpClient` tells the
process's one :class:`HttpObserver`, when one is set (:func:`set_observer`), about each attempt
and each retry. With none set (``syncer sync``, the tests), a request pays one global lookup.

Events name the connection by its *label*: the job's target name when the client serves a
target (``Lane.name``, set by the engine), else the vendor. Never an item key. Calls come from
any thread (each scheduled run has its own event loop): an observer must be thread-safe and
quick.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class HttpObserver(Protocol):
    """What the HTTP layer reports."""

    def request(self, target: str, status: int | None, seconds: float, rate: float) -> None:
        """One attempt ended: its status (None: no answer), how long it took, and the
        connection's lane rate (requests/s) after it."""

    def retry(self, target: str, rate: float) -> None:
        """A failed attempt is about to be tried again (after its backoff); the lane's rate
        after the failure slowed it down."""


_observer: HttpObserver | None = None


def set_observer(observer: HttpObserver | None) -> HttpObserver | None:
    """Make ``observer`` the process's one (None: none); the one it replaces."""
    global _observer
    previous, _observer = _observer, observer
    return previous


def observer() -> HttpObserver | None:
    """The process's observer, or None."""
    return _observer


def start() -> float:
    """The moment an attempt starts, for :func:`ended`."""
    return time.monotonic()


def ended(target: str, status: int | None, started: float, rate: Callable[[], float]) -> None:
    """An attempt of ``target`` that began at ``started`` ended with ``status``."""
    if _observer is not None:
        _observer.request(target, status, time.monotonic() - started, rate())


def retried(target: str, rate: Callable[[], float]) -> None:
    """A request of ``target`` is about to be tried again."""
    if _observer is not None:
        _observer.retry(target, rate())
