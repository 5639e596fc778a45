"""The values the state store hands out and takes in: frozen, JSON-able dataclasses.

The engine never sees a database row or a session, only these. Timestamps are ISO 8601
strings in UTC (``2025-01-31T12:00:00+00:00``) so every row can go straight into a JSON
report. Callers must not put secrets in any field: the store keeps what it is given.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from syncer.records import Cursor

#: What a run is doing or how it ended.
#: ``stopped``: a guard (the max-delete guard) stopped the run before it finished its work.
#: ``refused``: an apply refused its plan (stale, applied already...) before journalling it.
RunStatus = Literal[
    "running", "succeeded", "partial", "stopped", "failed", "interrupted", "cancelled", "refused"
]
RUN_STATUSES: frozenset[str] = frozenset(get_args(RunStatus))
#: The statuses a run may finish with.
FINAL_STATUSES: frozenset[str] = RUN_STATUSES - {"running"}

Action = Literal["create", "update", "replace", "delete"]
ACTIONS: frozenset[str] = frozenset(get_args(Action))

OpState = Literal["planned", "sent", "done", "failed_retryable", "failed_terminal", "skipped"]
OP_STATES: tuple[str, ...] = get_args(OpState)

Origin = Literal["created", "adopted"]
ORIGINS: frozenset[str] = frozenset(get_args(Origin))


@dataclass(frozen=True, slots=True)
class RunRow:
    """One run of a job; ``counts`` is whatever summary the engine finished it with."""

    id: int
    job: str
    mode: str
    status: str
    started_at: str
    finished_at: str | None
    counts: dict[str, Any]
    heartbeat_at: str


@dataclass(frozen=True, slots=True)
class CursorRow:
    """Where a source listing resumes, whether the listing it belongs to finished and was
    incremental, and when the source was last swept in full."""

    job: str
    source: str
    cursor: dict[str, Any]
    complete: bool
    run_id: int | None
    updated_at: str
    #: The listing started from a watermark (an incremental sync), not from the beginning.
    incremental: bool = False
    #: When a complete full listing was last swept for deletes (None: never, or the last full
    #: listing ended without its sweep, so the next sync is full).
    swept_at: str | None = None


@dataclass(frozen=True, slots=True)
class ItemRow:
    """What syncer last saw of one source item; ``record`` is the canonical record as JSON.

    ``last_seen_run``, ``gone`` and ``tombstone`` are kept by the store: ``commit_page`` sets
    them (an item it writes is live), ``mark_gone`` and a page's tombstones change them.
    """

    job: str
    key: str
    owner: str | None
    version: str | None
    sha256: str | None
    size: int | None
    mime: str | None
    meta_hash: str | None
    record: dict[str, Any]
    last_seen_run: int | None = None
    gone: bool = False
    tombstone: bool = False


@dataclass(frozen=True, slots=True)
class ItemState:
    """What a listing needs of a stored item to fingerprint it and to tell whether it changed:
    its version token and bytes, and ``digest`` (the ``meta_hash`` it was stored with: the
    engine's digest of the listed record). Read without the record itself, so cheap.

    ``gone`` and ``tombstone`` say the item is not live: a listing that shows it live again
    must rewrite it (revive it) even when its digest is unchanged, since unchanged items are
    not written at all."""

    key: str
    version: str | None
    sha256: str | None
    size: int | None
    mime: str | None
    digest: str | None
    #: A sweep marked it gone from the source.
    gone: bool = False
    #: The source listed it as deleted; the next sweep deletes it.
    tombstone: bool = False


@dataclass(frozen=True, slots=True)
class ListingState:
    """What the state knows of a listed page's keys (:meth:`StateStore.listing_state`)."""

    #: The known items among the keys, by key.
    items: dict[str, ItemState]
    #: For each target asked about, the links among the keys, by source key.
    links: dict[str, dict[str, LinkRow]]
    #: For each target asked about, the keys with an op still open (planned or sent) there.
    pending: dict[str, set[str]]


@dataclass(frozen=True, slots=True)
class LinkRow:
    """A source item's counterpart on one target, and what was last pushed there.

    Only linked items (``origin`` created or adopted) may ever be updated or deleted.
    """

    job: str
    target: str
    key: str
    target_id: str
    sha256: str | None
    meta_hash: str | None
    target_version: str | None
    origin: Origin
    #: What the target item was last brought in step with: a digest of the source record and of
    #: the job's settings for the target (``plan.plan_basis``). A listing that yields the same
    #: basis again needs no planning: the item is unchanged on this target.
    basis: str | None = None
    #: The target-facing metadata last pushed (``plan.metadata_of``: owner, file name, alt...)
    #: as JSON text, so the planner knows what changed, the owner above all. None for links
    #: written before syncer kept it (the planner then knows only that ``meta_hash`` differs).
    pushed_json: str | None = None

    @property
    def pushed_meta(self) -> dict[str, Any] | None:
        """``pushed_json`` decoded (only links being planned need it)."""
        if self.pushed_json is None:
            return None
        value = json.loads(self.pushed_json)
        return value if isinstance(value, dict) else None


@dataclass(frozen=True, slots=True)
class NewOp:
    """A planned action for ``commit_page`` to journal."""

    target: str
    key: str
    action: Action
    target_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BasisUpdate:
    """A link found in step with the source under a new basis (``LinkRow.basis``)."""

    target: str
    key: str
    basis: str


@dataclass(frozen=True, slots=True)
class PageCommit:
    """What one transaction records for a listed group of pages (or part of one).

    Unchanged items are not in it: a sync writes nothing for them (the engine keeps the keys a
    run listed and filters the sweep's candidates with them). ``cursor`` None leaves the saved
    cursor as it is (and ignores ``complete`` and ``incremental``, which belong to it): ops
    journalled ahead of their page's cursor, or a sweep's deletes.
    """

    run_id: int
    job: str
    source: str
    #: New, changed or revived items only: upserted as seen by the run, live, not tombstoned.
    items: Sequence[ItemRow] = ()
    #: Journalled as ``planned``, returned with their ids in this order.
    ops: Sequence[NewOp] = ()
    #: Keys the source listed as deleted, flagged for the next sweep.
    tombstones: Sequence[str] = ()
    #: Links found in step under another basis.
    bases: Sequence[BasisUpdate] = ()
    cursor: Cursor | None = None
    complete: bool = False
    #: The listing started from a watermark (it cannot see deletions by absence).
    incremental: bool = False


@dataclass(frozen=True, slots=True)
class OpRow:
    """One journalled action: ``planned → sent → done | failed_* | skipped``."""

    id: int
    job: str
    run_id: int
    target: str
    key: str
    action: Action
    state: OpState
    target_id: str | None
    payload: dict[str, Any]
    attempts: int
    error: str | None
    updated_at: str


@dataclass(frozen=True, slots=True)
class BlobRow:
    """A spooled file, addressed by the sha256 of its bytes."""

    sha256: str
    size: int
    mime: str | None
    path: str
