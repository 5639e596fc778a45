"""The catalog lifecycle behind ``GET /1/catalog/status``.

Partium: a catalog starts ``clean``; writes move it to ``processing``, then ``data_to_import``;
an import (``importing``) brings it back to ``clean``. The import trigger is not in our sources,
so imports either never run (the default) or start by themselves (knob ``import_seconds``).

The state is durable (``store.meta``), so a restarted emulator reports what it reported before.
Timestamps are wall-clock; ``clock`` can be replaced in tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from syncer.emulators.base import iso, utcnow
from syncer.emulators.store import CatalogStore

META_KEY = "partium.lifecycle"


@dataclass(slots=True)
class LifecycleState:
    """What is persisted: the pending changes and the last finished import."""

    #: When the latest write not yet imported happened (None: nothing pending).
    last_write: str | None = None
    #: When the first write since the last import happened.
    pending_since: str | None = None
    #: Image changes since the last import.
    changes: int = 0
    last_import: dict[str, Any] | None = None


class CatalogLifecycle:
    """Derives the catalog status from the time of the latest write."""

    def __init__(self, store: CatalogStore, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.clock = clock

    def _load(self) -> LifecycleState:
        return LifecycleState(**self.store.meta.get(META_KEY, {}))

    def _save(self, state: LifecycleState) -> None:
        self.store.set_meta(META_KEY, asdict(state))

    def record_write(self, changes: int) -> None:
        """Note that ``changes`` images were written just now (nothing when 0)."""
        if changes <= 0:
            return
        state = self._load()
        now = iso(self.clock())
        state.pending_since = state.pending_since or now
        state.last_write = now
        state.changes += changes
        self._save(state)

    def mark_imported(self, finished: datetime) -> None:
        """Record a successful import that ended at ``finished`` (seeded catalogs start clean)."""
        stamp = iso(finished)
        state = LifecycleState(last_import=_import(stamp, stamp, stamp))
        self._save(state)

    def status(self, processing_seconds: float, import_seconds: float) -> dict[str, Any]:
        """The ``GET /1/catalog/status`` body."""
        state = self._load()
        if state.last_write is None:
            return _status("clean", None, state, pending=False)
        ready = datetime.fromisoformat(state.last_write) + timedelta(seconds=processing_seconds)
        now = self.clock()
        progress = {"changed_images": state.changes, "since": state.pending_since}
        if now < ready:
            return _status("processing", progress, state, pending=True)
        if import_seconds <= 0:
            return _status("data_to_import", progress, state, pending=True)
        done = ready + timedelta(seconds=import_seconds)
        if now < done:
            return _status(
                "importing", {**progress, "started_at": iso(ready)}, state, pending=False
            )
        state = LifecycleState(last_import=_import(iso(ready), iso(ready), iso(done)))
        self._save(state)
        return _status("clean", None, state, pending=False)


def _import(created: str, started: str, finished: str) -> dict[str, Any]:
    return {
        "state": "success",
        "created_at": created,
        "started_at": started,
        "finished_at": finished,
    }


def _status(
    name: str, details: dict[str, Any] | None, state: LifecycleState, pending: bool
) -> dict[str, Any]:
    return {
        "status": name,
        "details": details,
        "last_import": state.last_import,
        "pending_import": pending,
    }
