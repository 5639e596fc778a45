"""Settling ops: the journal's transitions, the run's counts and progress, in one place.

Every executor settles ops through :class:`Outcomes`, so the rules hold whoever pushes: ``sent``
is durable before a request leaves (:meth:`Outcomes.sent` returns only once it is committed);
``done`` stores the link in the same transaction; a failure is worded for the item, counted, and
journalled as its type says (:meth:`Outcomes.failed`). The journal may be the store itself or a
group-commit batch of it (:meth:`~syncer.state.StateStore.batched`): many pushers' transitions
then share one transaction, each still durable before its caller goes on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from syncer.engine.failures import item_failure
from syncer.engine.ops import Delete, Op
from syncer.engine.plan import pushed_json
from syncer.engine.progress import RunProgress
from syncer.engine.summary import RunSummary
from syncer.errors import VendorError
from syncer.records import TargetItem
from syncer.state import LinkRow, OpRow, PageCommit


class JournalWriter(Protocol):
    """The journal's writes (``StateStore`` and its group-commit ``JournalBatch``)."""

    async def commit_page(self, commit: PageCommit) -> list[OpRow]: ...

    async def mark_sent(self, *op_ids: int) -> None: ...

    async def mark_done(
        self, op_id: int, link: LinkRow | None = None, drop_link: bool = False
    ) -> None: ...

    async def mark_failed(self, op_id: int, error: str, retryable: bool) -> None: ...

    async def mark_skipped(self, op_id: int, reason: str) -> None: ...


#: Called when an op is settled (the spool may drop its bytes).
Release = Callable[[Op], Awaitable[None]]


class Outcomes:
    """One target's settling of ops for one run."""

    def __init__(
        self,
        job: str,
        target: str,
        journal: JournalWriter,
        summary: RunSummary,
        progress: RunProgress,
        release: Release,
    ) -> None:
        self.job = job
        self.target = target
        self.journal = journal
        self.summary = summary
        self.progress = progress
        self.release = release

    async def sent(self, ops: Sequence[Op]) -> None:
        """The ops' request (one, or one batch) is about to leave: durable when this returns."""
        await self.journal.mark_sent(*(op.id for op in ops))

    async def done(self, op: Op, item: TargetItem | None, *, uploaded: int = 0) -> None:
        """The op succeeded: done, with its link stored (or, for a delete, removed);
        ``uploaded``: the bytes its request sent (the blob pushed, as converted or shrunk)."""
        if isinstance(op, Delete):
            await self.journal.mark_done(op.id, drop_link=True)
        else:
            assert item is not None, f"{op.action} of {op.key} succeeded without an item"
            await self.journal.mark_done(op.id, link=self._link(op, item))
        self.summary.count_done(self.target, op.action, uploaded=uploaded, retried=op.attempts > 0)
        self.progress.finished(self.target, ok=True)
        await self.release(op)

    def _link(self, op: Op, item: TargetItem) -> LinkRow:
        record = op.record
        return LinkRow(
            job=self.job,
            target=self.target,
            key=op.key,
            target_id=item.id,
            sha256=record.sha256,
            meta_hash=op.payload.meta_hash,
            target_version=item.version,
            origin="adopted" if item.adopted else "created",
            basis=op.payload.basis,
            pushed_json=pushed_json(record),
        )

    async def failed(self, op: Op, exc: VendorError, *, stop: bool = True) -> None:
        """Settle an op that failed with ``exc``, as its type says (:mod:`syncer.errors`).

        A fatal error (not skippable: credentials refused) leaves the op retryable, its cause
        is not the item, and is raised again (``stop``), which stops the run. Any other fails
        this op alone: counted and journalled, retryable when ``transient``; its error names
        the target, the source key and the file name. A create whose outcome is unknown
        (``ambiguous``: it may have landed, its answer lost) stays ``sent``, as after a crash:
        whichever run comes next looks for it with ``find`` before sending it again."""
        error = item_failure(exc, self.target, op.key, op.record.filename)
        if not exc.skippable:
            await self.journal.mark_failed(op.id, error, retryable=True)
            await self.release(op)
            if stop:
                raise exc
            return
        self.progress.finished(self.target, ok=False)
        await self.release(op)
        retried = op.attempts > 0  # an earlier attempt had sent it
        if exc.ambiguous and op.action == "create":
            self.summary.count_failed(
                self.target,
                op.action,
                f"{error} (it may have landed: the next run looks for it)",
                retried=retried,
            )
            return
        self.summary.count_failed(self.target, op.action, error, retried=retried)
        await self.journal.mark_failed(op.id, error, retryable=exc.transient)
