"""The sweep: after a complete listing, deletes for what the source no longer has.

Items the source listed as deleted (tombstones) are deleted after any listing; when the listing
saw everything within this run (full, not resumed, not shifted), so are the items it did not
show, told by :class:`~syncer.engine.listing.ListedKeys` (no per-item write while listing). The
candidates are read in pages. An item with an op still open on a target waits for the next
sweep. Deletes are planned per target only for linked items, only when the target's deletes are
on, and not at all when they would trip its max-delete guard. The sweep returns what it decided;
the run journals and submits its ops.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from syncer.engine.listing import ListedKeys, Listing
from syncer.engine.mapping import map_record
from syncer.engine.ops import new_op
from syncer.engine.plan import PENDING, Action, delete_guard, plan_delete
from syncer.engine.records_json import record_from_json
from syncer.engine.summary import RunSummary
from syncer.engine.targets import Target
from syncer.records import ImageRecord
from syncer.state import ItemRow, NewOp, StateStore

log = logging.getLogger("syncer.engine")

#: Sweep candidates read at once.
SWEEP_PAGE = 1000


@dataclass
class Sweep:
    """What a sweep decided."""

    #: The deletes to journal, every target's.
    ops: list[NewOp] = field(default_factory=list)
    #: Keys gone at the source to mark gone (none when a guard tripped).
    gone: list[str] = field(default_factory=list)
    #: Targets whose max-delete guard stopped their deletes, with why.
    guard: dict[str, str] = field(default_factory=dict)
    #: The listing could show deletions by absence (it saw everything, and did not shift).
    by_absence: bool = False
    #: By absence, nothing waited and no guard tripped: the sweep was a full one.
    complete: bool = False


async def sweep(
    store: StateStore,
    job: str,
    targets: Sequence[Target],
    listing: Listing,
    *,
    listed: ListedKeys,
    shifted: bool,
    summary: RunSummary,
) -> Sweep:
    """Plan the deletes after ``listing`` ended (``listed``: its live keys)."""
    by_absence = listing.sees_everything and not shifted
    if listing.sees_everything and shifted:
        log.warning("the source changed while it was listed: no deletes by absence this run")
    gone = await _gone_items(store, job, listed if by_absence else None)
    waiting = await _still_open(store, job, targets, [item.key for item in gone], summary)
    gone = [item for item in gone if item.key not in waiting]
    result = Sweep(by_absence=by_absence)
    for target in targets:
        ops, tripped = await _deletes(store, job, target, gone, summary)
        result.ops += ops
        if tripped:
            result.guard[target.name] = tripped
    if not result.guard:
        result.gone = [item.key for item in gone]
    result.complete = by_absence and not waiting and not result.guard
    return result


async def _gone_items(store: StateStore, job: str, listed: ListedKeys | None) -> list[ItemRow]:
    """Live items gone at the source: tombstoned and, given ``listed``, not listed. Only the
    keys are paged through; the rows are read for the few that are gone."""
    gone: list[str] = []
    after = ""
    while True:
        keys = await store.sweep_keys(
            job, after=after, limit=SWEEP_PAGE, tombstones_only=listed is None
        )
        gone += [key for key in keys if listed is None or key not in listed]
        if len(keys) < SWEEP_PAGE:
            break
        after = keys[-1]
    rows = await store.items(job, gone)
    return [rows[key] for key in gone if key in rows]


async def _still_open(
    store: StateStore,
    job: str,
    targets: Sequence[Target],
    keys: list[str],
    summary: RunSummary,
) -> set[str]:
    """Those of ``keys`` (gone at the source) with an op still open on a target: a killed
    run's create, say, which this run re-applies. Deleting now would miss what it makes, so
    they wait for the next sweep (not marked gone, and this sweep is not a full one)."""
    if not keys:
        return set()
    busy = await store.open_keys(job, [t.name for t in targets], keys)
    for target, open_keys in busy.items():
        summary.count_skipped(target, f"gone at the source, but {PENDING}", len(open_keys))
    return set().union(*busy.values())


async def _deletes(
    store: StateStore,
    job: str,
    target: Target,
    gone: list[ItemRow],
    summary: RunSummary,
) -> tuple[list[NewOp], str | None]:
    """The deletes of ``gone`` on one target: only linked items, only when the target's
    deletes are on, and none at all when they would trip its max-delete guard (then why)."""
    links = await store.links(job, target.name, [item.key for item in gone])
    planned = [(item, plan_delete(item.key, links.get(item.key), target.policy)) for item in gone]
    deletes = [(item, p) for item, p in planned if p.action is Action.DELETE]
    if not deletes:
        return [], None
    policy = target.config.delete
    if not policy.enabled:
        summary.count_skipped(target.name, "deletes are off for this target", len(deletes))
        return [], None
    tripped = delete_guard(
        len(deletes),
        await store.count_links(job, target.name),
        max_count=policy.max_count,
        max_percent=policy.max_percent,
    )
    if tripped:
        return [], tripped
    ops = []
    for item, entry in deletes:
        summary.count_planned(entry)
        ops.append(new_op(entry, _mapped(item, target)))
    return ops, None


def _mapped(item: ItemRow, target: Target) -> ImageRecord:
    """The record last seen at the source, as the target holds it (to address the delete)."""
    return map_record(record_from_json(item.record), target.config.mapping)
