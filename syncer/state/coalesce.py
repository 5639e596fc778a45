"""One batched transaction's writes, coalesced by kind: few statements for many requests.

A :class:`~syncer.state.batch.JournalBatch` transaction holds the writes of many callers, in
the order they were made (FIFO). Applied one by one they cost two or three statements each,
and at 0 ms of vendor latency each statement (a thread hop through the driver, SQLAlchemy's
execution) is the run's cost. Here they are cut into *segments* (:func:`segments`), and each
segment is applied as: every page commit at once (:func:`~syncer.state.listing.apply_pages`),
then every ``sent``, every ``done`` (with one upsert of their links and one delete of the
dropped ones), every ``failed`` and every ``skipped``, one UPDATE per kind.

Why that order is the FIFO one. Two requests in one transaction are concurrent: each caller
waits for its own, so none can depend on another's result; what can differ is only which
rows they touch. Transitions of distinct ops touch distinct op rows (a segment never holds
one op twice), and the links of distinct keys. Moving page commits ahead of transitions
made before them changes the outcome only when both touch the same row: the transition's
op was created by that commit (an id guessed, never one a caller was given), has the same
job, target and key as one of its new ops (the commit would supersede it if it failed), or
the same link as one of its bases. Those are checked once the statements have run (the moved
ops' keys are returned by the UPDATEs); on any, or on a request that cannot apply (an op not
in a state it may leave), :class:`Rejected` names the first such request, the transaction
is rolled back, and the batch applies the requests before it together, it alone, and the
ones after it together: FIFO exactly, and only a bad request raises, to its own caller.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from syncer.state import convert
from syncer.state.journal import (
    MAX_ERROR,
    RETRYABLE,
    SKIPPABLE,
    apply_done,
    apply_failed,
    apply_sent,
    apply_skipped,
)
from syncer.state.listing import apply_page, apply_pages, merges_after
from syncer.state.models import links, ops
from syncer.state.rows import LinkRow, OpRow, PageCommit
from syncer.state.sql import chunks, matching, upsert

#: An op's job, target and key, as the UPDATE that moved it returns them.
OpKey = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Page:
    commit: PageCommit


@dataclass(frozen=True, slots=True)
class Sent:
    op_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Done:
    op_id: int
    link: LinkRow | None
    drop_link: bool


@dataclass(frozen=True, slots=True)
class Failed:
    op_id: int
    error: str
    retryable: bool


@dataclass(frozen=True, slots=True)
class Skipped:
    op_id: int
    reason: str


#: One caller's write to the journal.
Write = Page | Sent | Done | Failed | Skipped
Transition = Sent | Done | Failed | Skipped


class Rejected(Exception):
    """The writes ``index`` to ``end`` (excluded) of a group cannot be applied with the
    others: roll back, apply those before them together, each of them alone, then the rest."""

    def __init__(self, index: int, end: int | None = None) -> None:
        self.index = index
        self.end = index + 1 if end is None else end
        super().__init__(f"writes {index} to {self.end - 1} of the group must be applied alone")


async def apply_one(conn: AsyncConnection, now: datetime, write: Write) -> Any:
    """``write`` as the store's own method does it (its result; its error raised)."""
    if isinstance(write, Page):
        return await apply_page(conn, now, write.commit)
    if isinstance(write, Sent):
        return await apply_sent(conn, now, write.op_ids)
    if isinstance(write, Done):
        return await apply_done(conn, now, write.op_id, write.link, write.drop_link)
    if isinstance(write, Failed):
        return await apply_failed(conn, now, write.op_id, write.error, write.retryable)
    return await apply_skipped(conn, now, write.op_id, write.reason)


async def apply_group(conn: AsyncConnection, now: datetime, writes: Sequence[Write]) -> list[Any]:
    """Every write of ``writes`` on ``conn``, segment by segment; each one's result. Raises
    :class:`Rejected` (for a group of several) naming the first write that must go alone."""
    results: list[Any] = []
    whole = conn.dialect.update_returning  # the keys of the moved ops come back from the UPDATE
    for start, end in segments(writes) if whole else ((i, i + 1) for i in range(len(writes))):
        try:
            if end - start == 1:
                results.append(await apply_one(conn, now, writes[start]))
            else:
                results.extend(await _apply_segment(conn, now, writes[start:end]))
        except Rejected as rejected:
            raise Rejected(start + rejected.index, start + rejected.end) from rejected
        except Exception as exc:  # not one of ours: which write failed is not known
            if len(writes) == 1:
                raise
            raise Rejected(start, end) from exc
    return results


def segments(writes: Sequence[Write]) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each run of writes that may be applied together: a segment never
    names one op twice, nor holds an item that an earlier commit in it tombstoned, nor a
    commit after a ``failed`` or ``skipped`` (which it may supersede: rare, and known to
    matter, so cut here rather than rolled back by :func:`_check_order`)."""
    start, seen, pages, settled = 0, set[int](), list[PageCommit](), False
    for index, write in enumerate(writes):
        ids = _ids(write)
        joins = seen.isdisjoint(ids) and not _alone(write) and not _alone(writes[start])
        if isinstance(write, Page):
            joins = joins and not settled and merges_after(pages, write.commit)
        if index > start and not joins:
            yield start, index
            start, seen, pages, settled = index, set(), [], False
        seen.update(ids)
        settled |= isinstance(write, Failed | Skipped)
        if isinstance(write, Page):
            pages.append(write.commit)
    if writes:
        yield start, len(writes)


def _ids(write: Write) -> tuple[int, ...]:
    if isinstance(write, Page):
        return ()
    return write.op_ids if isinstance(write, Sent) else (write.op_id,)


def _alone(write: Write) -> bool:
    """One op sent twice in one request: two attempts, one at a time (``apply_sent``)."""
    ids = _ids(write)
    return len(set(ids)) < len(ids)


async def _apply_segment(
    conn: AsyncConnection, now: datetime, writes: Sequence[Write]
) -> list[Any]:
    """One segment: its pages, then its transitions by kind; checked as the module says."""
    pages = [(i, w.commit) for i, w in enumerate(writes) if isinstance(w, Page)]
    opened = await apply_pages(conn, now, [commit for _, commit in pages]) if pages else []
    moved = await _move_all(conn, now, writes)
    _check_order(writes, dict(zip((i for i, _ in pages), opened, strict=True)), moved)
    await _write_links(conn, now, writes, moved)
    results: list[Any] = [None] * len(writes)
    for (index, _), rows in zip(pages, opened, strict=True):
        results[index] = rows
    return results


async def _move_all(
    conn: AsyncConnection, now: datetime, writes: Sequence[Write]
) -> dict[int, OpKey]:
    """One UPDATE per kind of transition; the moved ops' keys. :class:`Rejected` for the
    first transition whose op did not move (missing, or in a state it may not leave)."""
    by_kind: dict[type, dict[int, int]] = {}  # kind -> op id -> index of its write
    for index, write in enumerate(writes):
        for op_id in _ids(write):
            by_kind.setdefault(type(write), {})[op_id] = index
    moved: dict[int, OpKey] = {}
    sent, done = by_kind.get(Sent, {}), by_kind.get(Done, {})
    failed, skipped = by_kind.get(Failed, {}), by_kind.get(Skipped, {})
    attempt = {"state": "sent", "attempts": ops.c.attempts + 1}
    moved |= await move_each(conn, now, RETRYABLE, attempt, {i: {} for i in sent})
    moved |= await move_each(
        conn,
        now,
        RETRYABLE,
        {"state": "done", "error": None},
        {i: _done_values(writes[at]) for i, at in done.items()},
    )
    moved |= await move_each(
        conn, now, RETRYABLE, {}, {i: _failed_values(writes[at]) for i, at in failed.items()}
    )
    moved |= await move_each(
        conn,
        now,
        SKIPPABLE,
        {"state": "skipped"},
        {i: _skipped_values(writes[at]) for i, at in skipped.items()},
    )
    missed = [at for kind in by_kind.values() for i, at in kind.items() if i not in moved]
    if missed:
        raise Rejected(min(missed))
    return moved


def _done_values(write: Write) -> dict[str, Any]:
    assert isinstance(write, Done)
    return {} if write.link is None else {"target_id": write.link.target_id}


def _failed_values(write: Write) -> dict[str, Any]:
    assert isinstance(write, Failed)
    state = "failed_retryable" if write.retryable else "failed_terminal"
    return {"state": state, "error": write.error[:MAX_ERROR]}


def _skipped_values(write: Write) -> dict[str, Any]:
    assert isinstance(write, Skipped)
    return {"error": write.reason[:MAX_ERROR]}


async def move_each(
    conn: AsyncConnection,
    now: datetime,
    allowed: Sequence[str],
    common: dict[str, Any],
    each: dict[int, dict[str, Any]],
) -> dict[int, OpKey]:
    """Move the ops ``each`` names whose state is one of ``allowed``, in one UPDATE (per
    chunk): ``common`` values for all, and each op's own (a CASE on its id); the keys of
    those moved, by id. Needs a backend whose UPDATE returns rows."""
    moved: dict[int, OpKey] = {}
    for chunk in chunks(list(each)):
        values = {**common, "updated_at": now}
        for column in dict.fromkeys(c for i in chunk for c in each[i]):
            whens = {i: each[i][column] for i in chunk if column in each[i]}
            values[column] = sa.case(whens, value=ops.c.id, else_=ops.c[column])
        match = sa.and_(ops.c.id.in_(chunk), ops.c.state.in_(allowed))
        update = ops.update().where(match).values(**values)
        returning = update.returning(ops.c.id, ops.c.job, ops.c.target, ops.c.key)
        moved.update((row[0], (row[1], row[2], row[3])) for row in await conn.execute(returning))
    return moved


def _check_order(
    writes: Sequence[Write], opened: dict[int, list[OpRow]], moved: dict[int, OpKey]
) -> None:
    """:class:`Rejected` for the first transition whose place matters: made before a commit
    of the segment that created its op, plans its key on its target, or sets its link's
    basis; a ``done`` whose link is not its op's, or whose key another ``done`` has."""
    later_keys: set[OpKey] = set()
    later_ids: set[int] = set()
    rejected: list[int] = []
    for index in range(len(writes) - 1, -1, -1):
        write = writes[index]
        if isinstance(write, Page):
            commit = write.commit
            later_keys.update((commit.job, op.target, op.key) for op in commit.ops)
            later_keys.update((commit.job, b.target, b.key) for b in commit.bases)
            later_ids.update(row.id for row in opened[index])
            continue
        ids = _ids(write)
        if later_ids.intersection(ids) or any(moved[i] in later_keys for i in ids):
            rejected.append(index)
    linked: set[OpKey] = set()
    for index, write in enumerate(writes):
        if isinstance(write, Done):
            key = moved[write.op_id]
            link = write.link
            if key in linked or (link is not None and (link.job, link.target, link.key) != key):
                rejected.append(index)
            linked.add(key)
    if rejected:
        raise Rejected(min(rejected))


async def _write_links(
    conn: AsyncConnection, now: datetime, writes: Sequence[Write], moved: dict[int, OpKey]
) -> None:
    """The links of the segment's ``done`` writes: one upsert, one delete per job and target."""
    stored = [convert.link_values(w.link, now) for w in writes if isinstance(w, Done) and w.link]
    await upsert(conn, links, stored, ("job", "target", "key"))
    dropped: dict[tuple[str, str], list[str]] = {}
    for write in writes:
        if isinstance(write, Done) and write.drop_link:
            job, target, key = moved[write.op_id]
            dropped.setdefault((job, target), []).append(key)
    for (job, target), keys in dropped.items():
        for among in matching(conn.dialect.name, links.c.key, keys):
            match = sa.and_(links.c.job == job, links.c.target == target, among)
            await conn.execute(links.delete().where(match))
