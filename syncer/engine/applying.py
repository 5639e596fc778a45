"""``syncer apply PLAN``: carry out exactly the ops a saved plan holds, or refuse, saying why.

A plan is never planned again. Before anything is journalled, the plan is checked as a whole
(:func:`check_header`: the job it was made for, each part of the job's settings, its expiry) and
then item by item against the state (:meth:`PlanApply.stale_entries`): an item's link must be the
one the plan saw, no other run may have an op open on it, and the source record the state holds
must be the one the plan saw (a later run listed a new version). A stale plan is refused, naming
the file, the items and what changed, unless ``--skip-stale``: then the rest is applied and the
stale ones are reported. The delete guard is checked anew against today's catalog.

The fresh ops are journalled in ONE transaction with the plan's row in ``plans`` (its id is the
key): a plan applies once, and an apply killed at any instant either journalled nothing or
everything; run again, it resumes the open ops of the run that journalled them. Each op pushes
the bytes the plan hashed: the spool's, or downloaded again and checked against the plan's
sha256, and a conversion's result checked against the plan's too (``Payload.pushed_sha256``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from syncer.engine.entries import job_settings, link_digest
from syncer.engine.ops import Payload
from syncer.engine.plan import delete_guard
from syncer.engine.targets import Target
from syncer.errors import SyncerError
from syncer.jobs import Job
from syncer.plans.jsonfile import DocumentError
from syncer.plans.model import Document, Entry
from syncer.state import NewOp, StateStore
from syncer.state.rows import ACTIONS

#: Entries checked against the state at once.
CHECK_PAGE = 500
#: Stale items a refusal names (the rest are counted).
STALE_SHOWN = 20


class StalePlanError(SyncerError):
    """A plan that cannot be applied as it is: made for another job or other settings, expired,
    applied already, or its items changed since (exit code 6)."""

    exit_code: ClassVar[int] = 6


class PlanGuardError(StalePlanError):
    """A plan whose deletes would now trip a target's max-delete guard (exit code 4, as a run
    the guard stops)."""

    exit_code: ClassVar[int] = 4


@dataclass(frozen=True, slots=True)
class Stale:
    """An entry of the plan whose item changed since the plan, and what changed."""

    entry: Entry
    why: str

    def line(self) -> str:
        return f"{self.entry.target}: {self.entry.action} {self.entry.key!r}: {self.why}"


def check_header(
    document: Document, path: Path, job: Job, targets: Sequence[Target], now: datetime
) -> None:
    """Refuse a plan made for another job, under other settings, or past its expiry."""
    header = document.header
    if header.job != job.name:
        raise StalePlanError(
            f"{path} is a plan for job {header.job!r}, not {job.name!r}: apply it with that "
            "job's file (--job), or make a plan of this job"
        )
    now_settings = job_settings(job, targets)
    changed = sorted(
        part
        for part in set(header.settings) | set(now_settings)
        if header.settings.get(part) != now_settings.get(part)
    )
    if changed:
        raise StalePlanError(
            f"{path}: the job's settings changed since the plan ({', '.join(changed)}): "
            "make a new plan"
        )
    if header.expires_at and datetime.fromisoformat(header.expires_at) < now:
        raise StalePlanError(
            f"{path}: the plan expired at {header.expires_at} (made {header.created_at}): "
            "make a new plan"
        )


@dataclass
class PlanApply:
    """What an apply run carries out: the plan, and whether stale items are skipped."""

    document: Document
    path: Path
    skip_stale: bool = False
    #: The stale entries skipped (with ``skip_stale``).
    stale: list[Stale] = field(default_factory=list)
    #: Ops journalled (now, or by the killed apply this one resumes).
    journalled: int = 0
    resumed: bool = False

    @property
    def plan_id(self) -> str:
        return self.document.header.id

    async def journal(
        self, store: StateStore, job: Job, targets: Sequence[Target], run_id: int
    ) -> int:
        """Journal the plan's fresh ops under ``run_id`` (refusing a stale plan); the run whose
        open ops are the plan's: this one, or the killed apply's that this one resumes."""
        row = await store.plan_row(self.plan_id)
        if row is not None and row.state == "applied":
            failed = await store.count_failed(job.name)
            retry = f"; {failed} operation(s) of the job failed: `syncer retry`" if failed else ""
            raise StalePlanError(
                f"{self.path}: plan {self.plan_id} was applied already (run {row.run_id}, "
                f"{row.finished_at:%Y-%m-%d %H:%M:%S} UTC): make a new plan{retry}"
            )
        if row is not None:  # a killed apply: its ops are journalled, all of them
            self.resumed, self.journalled = True, row.ops
            return row.run_id
        fresh: list[NewOp] = []
        names = [target.name for target in targets]
        async for entry, why in self._checked(store, job.name):
            op = _new_op(entry, self.path, names)  # a damaged entry refuses the plan
            if why is None:
                fresh.append(op)
            else:
                self.stale.append(Stale(entry, why))
        if self.stale and not self.skip_stale:
            raise StalePlanError(self._refusal())
        await _check_guard(store, job, targets, fresh, self.path)
        await store.begin_plan(self.plan_id, job.name, run_id, fresh)
        self.journalled = len(fresh)
        return run_id

    def _refusal(self) -> str:
        shown = "; ".join(s.line() for s in self.stale[:STALE_SHOWN])
        more = len(self.stale) - STALE_SHOWN
        rest = f"; and {more} more" if more > 0 else ""
        return (
            f"{self.path}: {len(self.stale)} item(s) changed since the plan: {shown}{rest}. "
            "Make a new plan, or apply the rest with --skip-stale"
        )

    async def _checked(self, store: StateStore, job: str) -> Any:
        """Every entry with an op, and why it is stale (None: fresh), a page at a time."""
        for page in _pages(e for e in self.document.entries() if e.apply is not None):
            for entry, why in await _check_page(store, job, page):
                yield entry, why


def _pages(entries: Iterator[Entry]) -> Iterator[list[Entry]]:
    page: list[Entry] = []
    for entry in entries:
        page.append(entry)
        if len(page) >= CHECK_PAGE:
            yield page
            page = []
    if page:
        yield page


async def _check_page(
    store: StateStore, job: str, page: list[Entry]
) -> list[tuple[Entry, str | None]]:
    keys = sorted({e.key for e in page})
    targets = sorted({e.target for e in page})
    items = await store.items(job, keys)
    links = {t: await store.links(job, t, [e.key for e in page if e.target == t]) for t in targets}
    busy = await store.open_keys(job, targets, keys)
    checked = []
    for entry in page:
        expect = (entry.apply or {}).get("expect")
        if not isinstance(expect, Mapping):
            expect = {}  # what the plan saw is unknown: nothing matches it
        link = links[entry.target].get(entry.key)
        item = items.get(entry.key)
        why = None
        if entry.key in busy.get(entry.target, set()):
            why = "another run has an operation on it still open (let it finish: syncer sync)"
        elif link_digest(link) != expect.get("link"):
            why = _link_change(entry, link, expect.get("link"))
        elif (item.meta_hash if item else None) != expect.get("item"):
            why = _source_change(entry, item)
        checked.append((entry, why))
    return checked


def _link_change(entry: Entry, link: Any, expected: str | None) -> str:
    if link is None:
        return f"its item on {entry.target} is no longer linked (deleted since the plan)"
    if expected is None:
        return f"it was put on {entry.target} since the plan (as {link.target_id})"
    if entry.target_id and link.target_id != entry.target_id:
        return f"its item on {entry.target} is now {link.target_id}, not {entry.target_id}"
    return f"its item on {entry.target} was changed by a later run"


def _source_change(entry: Entry, item: Any) -> str:
    if item is None:
        return "the source item is no longer in the state"
    op = (entry.apply or {}).get("op")
    payload = op.get("payload") if isinstance(op, Mapping) else None
    planned = payload.get("record") if isinstance(payload, Mapping) else None
    old = planned.get("version") if isinstance(planned, Mapping) else None
    new = item.version
    if old != new and (old or new):
        return f"a later run listed a new version of it at the source ({old} → {new})"
    return "a later run listed it changed at the source"


def _new_op(entry: Entry, path: Path, targets: Sequence[str]) -> NewOp:
    """The journal entry the plan saved for ``entry``, with the bytes it must push; a damaged
    or edited entry (no op, an unknown action or target, a record that is not one) is refused
    naming it, before anything is journalled."""
    try:
        data = (entry.apply or {})["op"]
        payload = dict(data["payload"])
        action = data["action"]
        if action not in ACTIONS or entry.target not in targets:
            raise ValueError(f"no {action!r} on a target {entry.target!r} of this job")
        Payload.from_json(payload)  # the record must be one
        target_id = data.get("target_id")
        if action != "create" and not (isinstance(target_id, str) and target_id):
            raise ValueError(f"a {action} without a target id")
    except (KeyError, TypeError, ValueError) as exc:
        raise DocumentError(
            f"{path}: its entry for {entry.target} {entry.key!r} is damaged ({exc}); "
            "make a new plan"
        ) from None
    pushed = (entry.apply or {}).get("bytes")
    record = payload.get("record") or {}
    if pushed and pushed != record.get("sha256"):
        payload["pushed_sha256"] = pushed
    return NewOp(
        target=entry.target, key=entry.key, action=action, target_id=target_id, payload=payload
    )


async def _check_guard(
    store: StateStore, job: Job, targets: Sequence[Target], fresh: list[NewOp], path: Path
) -> None:
    """Refuse deletes that today's catalog puts over a target's max-delete guard."""
    for target in targets:
        deletes = sum(1 for op in fresh if op.target == target.name and op.action == "delete")
        if not deletes:
            continue
        policy = target.config.delete
        if not policy.enabled:
            raise PlanGuardError(
                f"{path}: the plan deletes {deletes} item(s) on {target.name}, whose deletes "
                "are now off"
            )
        tripped = delete_guard(
            deletes,
            await store.count_links(job.name, target.name),
            max_count=policy.max_count,
            max_percent=policy.max_percent,
        )
        if tripped:
            raise PlanGuardError(
                f"{path}: on {target.name}, {tripped} (the max-delete guard, checked against "
                "today's catalog): raise the limit in [targets.delete] or make a new plan"
            )


__all__ = ["PlanApply", "PlanGuardError", "Stale", "StalePlanError", "check_header"]
