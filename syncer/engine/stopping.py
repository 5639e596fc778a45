"""Stopping a run cleanly on SIGTERM or SIGINT (DESIGN §5: the journal makes a stop resumable).

The first signal asks the run to stop: no new page is listed and no new op leaves its stream
(:meth:`Stop.at_once` scopes are cancelled), while requests already in flight get ``grace``
seconds to finish (:meth:`Stop.after_grace` scopes get that deadline). What finished is
committed, the run is recorded ``interrupted``, its lease released and its summary printed; the
exit code is ``128 + signal`` (130 for SIGINT, 143 for SIGTERM). A request cut off by the grace
stays ``sent`` in the journal and the next run looks it up with ``find`` before sending anything
again; an op never started stays ``planned``. A second signal exits at once.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import anyio

#: Seconds that requests in flight get to finish after the first signal (``--stop-grace``).
DEFAULT_GRACE = 5.0
#: The signals that stop a run.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stop:
    """A run's stop request: set once, by the first signal; scopes register to be stopped."""

    def __init__(self, grace: float = DEFAULT_GRACE) -> None:
        self.grace = grace
        #: The signal that asked the run to stop, or None.
        self.signum: int | None = None
        self.deadline = math.inf
        self._at_once: set[anyio.CancelScope] = set()
        self._graced: set[anyio.CancelScope] = set()

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum is not None else ""

    @property
    def exit_code(self) -> int:
        """The shell's convention for a process ended by a signal: ``128 + signal``."""
        return 128 + (self.signum or 0)

    def request(self, signum: int) -> None:
        """Stop: cancel what takes new work, give what is in flight ``grace`` seconds."""
        self.signum = signum
        self.deadline = anyio.current_time() + self.grace
        for scope in self._at_once:
            scope.cancel()
        for scope in self._graced:
            scope.deadline = min(scope.deadline, self.deadline)

    @contextmanager
    def at_once(self) -> Iterator[anyio.CancelScope]:
        """A scope for taking new work (listing, dispatching): cancelled by the stop."""
        with self._registered(self._at_once, anyio.CancelScope()) as scope:
            if self.requested:
                scope.cancel()
            yield scope

    @contextmanager
    def after_grace(self) -> Iterator[anyio.CancelScope]:
        """A scope for work in flight (pushes): cancelled ``grace`` seconds after the stop."""
        with self._registered(self._graced, anyio.CancelScope(deadline=self.deadline)) as scope:
            yield scope

    @staticmethod
    @contextmanager
    def _registered(
        scopes: set[anyio.CancelScope], scope: anyio.CancelScope
    ) -> Iterator[anyio.CancelScope]:
        scopes.add(scope)
        try:
            with scope:
                yield scope
        finally:
            scopes.discard(scope)


@asynccontextmanager
async def stop_on_signals(
    grace: float = DEFAULT_GRACE, say: Callable[[str], None] = print
) -> AsyncIterator[Stop]:
    """A :class:`Stop` that SIGTERM and SIGINT request while the block runs (``say`` tells the
    user); a second signal ends the process at once with ``128 + signal``. Off the main thread,
    where no signal is delivered, the stop is never requested."""
    stop = Stop(grace)
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    try:
        async with anyio.create_task_group() as group:
            with anyio.open_signal_receiver(*STOP_SIGNALS) as signals:
                group.start_soon(_receive, signals, stop, say)
                yield stop
                group.cancel_scope.cancel()
    except BaseExceptionGroup as errors:  # only the block can fail: give back its own error
        if len(errors.exceptions) == 1:
            raise errors.exceptions[0] from errors.exceptions[0].__cause__
        raise


async def _receive(signals: AsyncIterator[int], stop: Stop, say: Callable[[str], None]) -> None:
    async for signum in signals:
        name = signal.Signals(signum).name
        if not stop.requested:
            stop.request(signum)
            say(
                f"{name}: stopping; no new work starts, requests in flight get {stop.grace:g} s "
                "to finish (signal again to stop at once)"
            )
            continue
        say(f"{name} again: stopping at once; the next run finishes what was left open")
        if sys.stderr.isatty():
            sys.stderr.write("\x1b[?25h")  # the progress bars hid the cursor
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(128 + signum)
