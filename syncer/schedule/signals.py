"""Signals that reach ``syncer schedule`` before it watches for them.

Importing DBOS and launching it takes a second or more; a SIGTERM in that time (a container
stopped as it starts) would kill the process the default way. :func:`keep_early_signals`, the
CLI's first call, keeps them instead, and the scheduler acts on them once it watches (a stop
before the start drains at once). This module imports nothing heavy, so it can come first.
"""

from __future__ import annotations

import signal

#: The signals kept so far, in order.
EARLY: list[int] = []


def keep_early_signals() -> None:
    """From now on, keep SIGTERM, SIGINT and SIGHUP in :data:`EARLY` instead of dying of them."""
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda number, _frame: EARLY.append(number))
