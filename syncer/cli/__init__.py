"""The ``syncer`` command line. It parses arguments and delegates; it holds no logic of its own.

The group is in :mod:`syncer.cli.group`; each topic's commands are in a module of this package
(``emulate``; ``runs``: migrate, sync, retry, status, demo; ``plans``: plan, apply; ``show``;
``check``; ``history``: history, report; ``schedule``: schedule, healthcheck), which adds them
to the group when imported here. Each command imports what it runs only when it runs, so
``syncer --help`` stays fast.
"""

from syncer.cli import check, emulate, history, plans, runs, schedule, show
from syncer.cli.group import main

__all__ = ["check", "emulate", "history", "main", "plans", "runs", "schedule", "show"]
