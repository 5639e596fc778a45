"""What a run did: a typed tally that every stage adds to, and the summary the CLI prints.

Stages never write counter keys by hand: they call :class:`RunSummary`'s methods (``count_*``)
with a target, an action or a reason, and the labels the reports show (``shop.create``,
``shop: unchanged``) are made here only. The summary is what a run reports; nothing reads it to
decide what to do next (the listing and the sweep return their outcomes to the run instead).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from syncer.engine.plan import Action, Planned

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime, timedelta

    from syncer.plans.model import Document, Entry


class Draft(Protocol):
    """A plan being made (``syncer.engine.drafting.PlanDraft``), as the summary carries it."""

    def entries(self) -> Iterator[Entry]: ...

    def document(
        self, *, mode: str, listing: str, created: datetime, expires: timedelta = ...
    ) -> Document: ...

    def close(self) -> None: ...


#: Most errors a run keeps (its summary says how many there were; the journal keeps them all).
MAX_ERRORS = 1000


class Mode(StrEnum):
    MIGRATE = "migrate"
    SYNC = "sync"
    PLAN = "plan"
    #: Only re-attempt failed operations (``syncer retry``): no listing, no sweep.
    RETRY = "retry"
    #: Carry out a saved plan's ops (``syncer apply``): no listing, no planning.
    APPLY = "apply"


def action_label(target: str, action: str) -> str:
    """The label of a target's action in reports and in the stored counts: ``shop.create``."""
    return f"{target}.{action}"


def skip_label(target: str | None, reason: str) -> str:
    """The label of a skip: ``shop: unchanged``, or the bare reason for every target."""
    return reason if target is None else f"{target}: {reason}"


@dataclass
class RunSummary:
    """What a run did, per target and action; the CLI prints it and the store keeps it."""

    run_id: int | None = None
    #: Which listing the run made: ``full``, ``incremental`` (from a watermark) or ``resumed``
    #: (a listing a stopped run left unfinished); empty for ``retry``.
    listing: str = ""
    listed: int = 0
    downloaded: int = 0
    planned: Counter[str] = field(default_factory=Counter)
    done: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    #: Bytes each target was sent by the creates, replaces and moves done: the blob pushed
    #: (converted or shrunk), by target; an item adopted as it was sends nothing.
    uploaded: Counter[str] = field(default_factory=Counter)
    #: Ops settled (done or failed) that an earlier attempt had sent already, by target.
    retried: Counter[str] = field(default_factory=Counter)
    #: Ops an earlier run left open (or failed, for ``retry``) that this run took up.
    resumed: int = 0
    #: Targets whose max-delete guard stopped their deletes, with why.
    guard: dict[str, str] = field(default_factory=dict)
    #: The source changed under the listing (``Page.shifted``): no deletes by absence.
    shifted: bool = False
    errors: list[str] = field(default_factory=list)
    #: ``syncer plan``: the plan's entries as they are made (``draft.document()``).
    draft: Draft | None = None
    #: The signal that stopped the run (``SIGTERM``, ``SIGINT``), or empty.
    interrupted_by: str = ""
    #: Terminal failures ``retry`` left as they are (sending them again would fail again).
    not_retried: int = 0
    #: What the targets get from a source that cannot serve its originals, or empty.
    source_note: str = ""
    #: Each target's vendor, by target name (the reports name them).
    vendors: dict[str, str] = field(default_factory=dict)
    #: Targets whose replace makes a new item (``replace_keeps_id`` False): the report says
    #: so when the run replaces there.
    new_id_targets: list[str] = field(default_factory=list)

    # -- counting ----------------------------------------------------------------------------

    def count_planned(self, entry: Planned) -> None:
        """One planner entry: a planned action, or a skip with its reason."""
        if entry.action is Action.SKIP:
            self.count_skipped(entry.target, entry.reason)
        else:
            self.planned[action_label(entry.target, entry.action.value)] += 1

    def count_journalled(self, target: str, action: str) -> None:
        """An op this run journalled from a saved plan (``syncer apply``): planned by it."""
        self.planned[action_label(target, action)] += 1

    def count_skipped(self, target: str | None, reason: str, count: int = 1) -> None:
        if count:
            self.skipped[skip_label(target, reason)] += count

    def count_done(
        self, target: str, action: str, *, uploaded: int = 0, retried: bool = False
    ) -> None:
        """One op done: ``uploaded`` bytes sent for it, ``retried`` when an earlier attempt
        had sent it."""
        self.done[action_label(target, action)] += 1
        if uploaded:
            self.uploaded[target] += uploaded
        if retried:
            self.retried[target] += 1

    def count_failed(self, target: str, action: str, error: str, *, retried: bool = False) -> None:
        self.failed[action_label(target, action)] += 1
        if retried:
            self.retried[target] += 1
        self.add_error(error)

    @property
    def uploaded_bytes(self) -> int:
        """Bytes sent to every target."""
        return sum(self.uploaded.values())

    def add_error(self, error: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)

    def planned_of(self, target: str, action: str) -> int:
        return self.planned[action_label(target, action)]

    def plan_entries(self) -> list[Entry]:
        """``syncer plan``: its entries (every change and every skip but the unchanged)."""
        return [] if self.draft is None else list(self.draft.entries())

    # -- the outcome -------------------------------------------------------------------------

    @property
    def status(self) -> str:
        if self.interrupted_by:
            return "interrupted"
        if self.guard:
            return "stopped"
        failed = sum(self.failed.values()) or self.errors or self.not_retried
        return "partial" if failed else "succeeded"

    def to_json(self) -> dict[str, Any]:
        return {
            "listing": self.listing,
            "listed": self.listed,
            "downloaded": self.downloaded,
            "planned": dict(self.planned),
            "done": dict(self.done),
            "failed": dict(self.failed),
            "skipped": dict(self.skipped),
            "uploaded": dict(self.uploaded),
            "uploaded_bytes": self.uploaded_bytes,
            "retried": dict(self.retried),
            "resumed": self.resumed,
            "guard": self.guard,
            "shifted": self.shifted,
            "errors": self.errors[:20],
            "interrupted_by": self.interrupted_by,
            "not_retried": self.not_retried,
            "source_note": self.source_note,
            "vendors": dict(self.vendors),
        }
