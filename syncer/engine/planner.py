"""Page planning: pure, from the fingerprinted records of a page and what the state knows of
their keys to what one commit records (items, ops, bases) and what the run counts.

Every decision about a listed record is taken here, none in the run: which records are written
back to the state (new, changed, revived or tombstoned: an unchanged one costs no write), which
are unchanged on a target without being mapped (their link's basis holds), which have an op
still open (skipped, the open op goes first), and what every other target needs
(:func:`syncer.engine.plan.plan_item`). No I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from syncer.engine.fetch import Unreadable
from syncer.engine.mapping import map_record
from syncer.engine.ops import new_op
from syncer.engine.plan import UNCHANGED, Action, Planned, plan_basis, plan_item
from syncer.engine.records_json import record_digest, record_to_json
from syncer.engine.targets import Target
from syncer.records import ImageRecord
from syncer.state import BasisUpdate, ItemRow, ItemState, ListingState, NewOp

#: The reason of a skip for a record whose bytes could not be read.
UNREADABLE = "the source's bytes could not be read"


@dataclass
class PagePlan:
    """What planning a page (or one record of it) decided."""

    #: Every entry but the fast "unchanged" ones: actions and skips, for counts and reports.
    entries: list[Planned] = field(default_factory=list)
    #: The ops to journal (the entries that are actions), in entry order.
    ops: list[NewOp] = field(default_factory=list)
    #: The records to write back to the state: new, changed, revived or tombstoned.
    rows: list[ItemRow] = field(default_factory=list)
    #: Links found in step under another basis (a setting changed in a way that changes nothing).
    bases: list[BasisUpdate] = field(default_factory=list)
    #: Per target, the records found unchanged by their link's basis (counted, not listed).
    unchanged: dict[str, int] = field(default_factory=dict)
    #: Per target, the keys of those records (``syncer plan --unchanged`` lists them).
    unchanged_keys: dict[str, list[str]] = field(default_factory=dict)
    #: Per target, the records skipped because their bytes could not be read.
    unreadable: dict[str, int] = field(default_factory=dict)


def plan_page(
    job: str,
    records: Sequence[ImageRecord | Unreadable],
    state: ListingState,
    targets: Sequence[Target],
) -> PagePlan:
    """The plan of ``records`` (live and fingerprinted, or unreadable) for every target, against
    ``state`` (what the store knows of the page's keys)."""
    plan = PagePlan()
    live: list[tuple[ImageRecord, str]] = []
    for record in records:
        if isinstance(record, Unreadable):
            for target in targets:
                plan.unreadable[target.name] = plan.unreadable.get(target.name, 0) + 1
            continue
        digest = record_digest(record)
        live.append((record, digest))
        row = _row_to_write(job, record, digest, state.items.get(record.key))
        if row is not None:
            plan.rows.append(row)
    for target in targets:
        _plan_target(plan, target, live, state)
    return plan


def _plan_target(
    plan: PagePlan, target: Target, live: list[tuple[ImageRecord, str]], state: ListingState
) -> None:
    name = target.name
    linked, pending = state.links.get(name, {}), state.pending.get(name, set())
    unchanged: list[str] = []
    for record, digest in live:
        key = record.key
        link = linked.get(key)
        basis = plan_basis(digest, target.salt)
        if key in pending:
            entry = plan_item(record, link, target.policy, pending=True)
        elif link is not None and link.basis == basis:
            unchanged.append(key)
            continue
        else:
            entry = plan_item(map_record(record, target.config.mapping), link, target.policy)
        if entry.action is not Action.SKIP:
            entry = replace(entry, basis=basis)
            plan.ops.append(new_op(entry))
        elif entry.reason == UNCHANGED and link is not None:
            plan.bases.append(BasisUpdate(name, key, basis))
        plan.entries.append(entry)
    if unchanged:
        plan.unchanged[name] = plan.unchanged.get(name, 0) + len(unchanged)
        plan.unchanged_keys.setdefault(name, []).extend(unchanged)


def _row_to_write(
    job: str, record: ImageRecord, digest: str, prior: ItemState | None
) -> ItemRow | None:
    """The state row of a listed record when it must be written: new, changed (its digest),
    or coming back (gone or tombstoned before); None when the state holds it as listed."""
    if prior is not None and prior.digest == digest and not prior.gone and not prior.tombstone:
        return None
    return item_row(job, record, digest)


def item_row(job: str, record: ImageRecord, digest: str | None = None) -> ItemRow:
    """The state row of a listed, fingerprinted record; its ``meta_hash`` is the record's
    digest (``digest``, when the caller has it already)."""
    return ItemRow(
        job=job,
        key=record.key,
        owner=record.owner,
        version=record.version,
        sha256=record.sha256,
        size=record.size,
        mime=record.mime,
        meta_hash=digest or record_digest(record),
        record=record_to_json(record),
    )
