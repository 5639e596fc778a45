"""Live progress of a run: what was listed and fetched, and each target's done and planned ops.

The engine reports through :class:`RunProgress`; the CLI shows it with rich on a terminal (on
stderr, so reports on stdout stay clean), and nothing is shown when stderr is not a terminal.
rich is imported only then (:func:`stderr_progress`): a run in a pipeline or under cron does
not pay for it at start-up.
"""

from __future__ import annotations

import contextlib
import os
import sys
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from rich.console import Console
    from rich.progress import TaskID


class RunProgress(Protocol):
    def listed(self, count: int) -> None: ...

    def fetched(self, count: int) -> None: ...

    def planned(self, target: str, count: int) -> None: ...

    def finished(self, target: str, ok: bool) -> None: ...


class NoProgress:
    """Progress that goes nowhere (tests, the library, non-terminals)."""

    def listed(self, count: int) -> None:
        pass

    def fetched(self, count: int) -> None:
        pass

    def planned(self, target: str, count: int) -> None:
        pass

    def finished(self, target: str, ok: bool) -> None:
        pass


def stderr_progress() -> AbstractContextManager[RunProgress]:
    """The progress a command shows: rich bars when stderr is a terminal (or rich is told to
    act as one: ``FORCE_TERMINAL``), else :class:`NoProgress`, without importing rich."""
    if sys.stderr.isatty() or os.environ.get("FORCE_TERMINAL"):
        return TerminalProgress()
    return contextlib.nullcontext(NoProgress())


class TerminalProgress:
    """rich progress bars: ``listing`` and ``fetching`` counters and one bar per target whose
    total grows as the listing plans more."""

    def __init__(self, console: Console | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.console = console or Console(stderr=True)
        self._bars = Progress(
            TextColumn("{task.description:>22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
            disable=not self.console.is_terminal,
        )
        self._tasks: dict[str, TaskID] = {}
        self._failed: dict[str, int] = {}

    def __enter__(self) -> TerminalProgress:
        self._bars.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._bars.stop()

    def _task(self, name: str, total: float | None = None) -> TaskID:
        if name not in self._tasks:
            self._tasks[name] = self._bars.add_task(name, total=total, failed="")
        return self._tasks[name]

    def listed(self, count: int) -> None:
        self._bars.advance(self._task("listed"), count)

    def fetched(self, count: int) -> None:
        self._bars.advance(self._task("fetched"), count)

    def planned(self, target: str, count: int) -> None:
        task = self._task(target, total=0)
        total = self._bars.tasks[self._tasks[target]].total or 0
        self._bars.update(task, total=total + count)

    def finished(self, target: str, ok: bool) -> None:
        task = self._task(target, total=0)
        if not ok:
            self._failed[target] = self._failed.get(target, 0) + 1
            self._bars.update(task, failed=f"{self._failed[target]} failed")
        self._bars.advance(task, 1)
