"""Pushing journalled ops to one target (DESIGN §5, §7).

A :class:`Pusher` drains its target's bounded op stream. Each op takes a slot of the target's
concurrency before it leaves the stream, so a slow target slows the lister instead of filling
memory. ``sent`` is committed before every request; a ``sent`` create (its outcome lost in a
crash, or in a failure that left it unknown) is looked up with ``find`` and adopted before
anything is sent again. Where the vendor
batches (``Capabilities.batch_size`` > 1, Partium), the ops already waiting in the stream go out
together, up to that size: creates and replaces as one ``create_batch``, deletes as one
``delete_batch``, each item settled on its own result.

A replace that moves an item to another owner (``payload["move_from"]``: the metadata last
pushed, old owner included) goes alone: the new owner is searched with ``find`` first (what an
interrupted move created is adopted, never created twice), then the item is created there, then
the old one deleted under its old owner. The op is done, and the link moved, only after both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from syncer.engine.failures import item_failure
from syncer.engine.plan import pushed_json
from syncer.engine.progress import RunProgress
from syncer.engine.records_json import record_from_json
from syncer.engine.stopping import Stop
from syncer.errors import VendorError
from syncer.records import Blob, ImageRecord, ItemResult, TargetItem
from syncer.state import LinkRow, OpRow, StateStore
from syncer.state.rows import Origin

#: The bytes to push for an op: from the spool, converted or shrunk as planned.
BlobSource = Callable[[OpRow, ImageRecord], Awaitable[Blob]]


@dataclass
class TargetLane:
    """One target of the job: its config, policy, client and op stream."""

    name: str
    config: Any
    policy: Any
    client: Any
    send: MemoryObjectSendStream[OpRow]
    receive: MemoryObjectReceiveStream[OpRow]


class Pusher:
    """Applies one target's ops and keeps the journal, the links and the run's counts."""

    def __init__(
        self,
        lane: TargetLane,
        *,
        job: str,
        store: StateStore,
        summary: Any,
        progress: RunProgress,
        blob_for: BlobSource,
        stop: Stop | None = None,
    ) -> None:
        self.lane = lane
        self.job = job
        self.store = store
        self.summary = summary
        self.progress = progress
        self.blob_for = blob_for
        self.stop = stop or Stop()
        self.batch_size = max(1, int(lane.client.capabilities.batch_size))

    async def run(self) -> None:
        """Drain the stream until the engine closes it or the run is stopped (see
        :mod:`syncer.engine.stopping`); a fatal error (not ``skippable``) ends the run."""
        # A semaphore, not a CapacityLimiter: the dispatcher takes the slot and the worker frees
        # it, so no more ops leave the stream than can run (backpressure to the lister).
        slots = anyio.Semaphore(max(1, self.lane.config.concurrency))
        # A stop: no op leaves the stream (those left stay planned or sent in the journal); the
        # requests in flight get the grace, and one cut off stays sent (the next run finds it).
        with self.stop.after_grace():
            async with anyio.create_task_group() as group, self.lane.receive:
                with self.stop.at_once():
                    async for first in self.lane.receive:
                        for ops in _by_request(self._waiting(first)):
                            await slots.acquire()
                            group.start_soon(self._apply_and_release, ops, slots)

    def _waiting(self, first: OpRow) -> list[OpRow]:
        """``first`` and the ops already waiting behind it, up to a batch."""
        ops = [first]
        while len(ops) < self.batch_size:
            try:
                ops.append(self.lane.receive.receive_nowait())
            except (anyio.WouldBlock, anyio.EndOfStream):
                break
        return ops

    async def _apply_and_release(self, ops: list[OpRow], slots: anyio.Semaphore) -> None:
        try:
            if len(ops) == 1:
                await self._apply(ops[0])
            else:
                await self._apply_batch(ops)
        finally:
            slots.release()

    # -- one op ----------------------------------------------------------------------------------

    async def _apply(self, op: OpRow) -> None:
        try:
            item = await self._perform(op)
        except VendorError as exc:
            await self._failed(op, exc)
            return
        await self._done(op, item)

    async def _perform(self, op: OpRow) -> TargetItem | None:
        record = record_from_json(op.payload["record"])
        client = self.lane.client
        if op.action == "delete":
            await self.store.mark_sent(op.id)
            await client.delete(op.target_id, record)
            return None
        if op.action == "update":
            await self.store.mark_sent(op.id)
            item: TargetItem = await client.update(op.target_id, record)
            return item
        if _moves(op):
            return await self._move(op, record)
        blob = await self.blob_for(op, record)
        if op.state == "sent" and op.action == "create":
            found = await self._adopt(record, blob)
            if found is not None:
                return found
        await self.store.mark_sent(op.id)
        if op.action == "create":
            item = await client.create(record, blob)
        else:
            item = await client.replace(op.target_id, record, blob)
        return item

    async def _adopt(self, record: ImageRecord, blob: Blob) -> TargetItem | None:
        """The item an interrupted create (or move) left for ``record``, completed with its
        bytes if need be; None when there is none."""
        client = self.lane.client
        found: TargetItem | None = await client.find(record, blob)
        if found is not None and not found.complete:  # adopted without its bytes
            found = await client.replace(found.id, record, blob)
        if found is None:
            return None
        return replace(found, extra={**found.extra, "adopted": True})

    async def _move(self, op: OpRow, record: ImageRecord) -> TargetItem:
        """Create ``record`` under its new owner (or adopt what an earlier attempt created
        there), then delete the old item under the old owner. A kill or a failure between the
        two leaves the op open or failed and the link on the old item: the next attempt finds
        the new item instead of creating it again, and deletes the old one (gone counts)."""
        client = self.lane.client
        blob = await self.blob_for(op, record)
        await self.store.mark_sent(op.id)
        item = await self._adopt(record, blob)
        if item is None:
            item = await client.create(record, blob)
        if item.id == op.target_id:  # never delete what the link is to become
            raise VendorError(
                f"{self.lane.name} answered the move of {op.key} with the old item {item.id}",
                vendor=client.vendor,
                operation="move",
                item=op.key,
            )
        await client.delete(op.target_id, _old_record(record, op.payload["move_from"]))
        return item

    # -- a batch ---------------------------------------------------------------------------------

    async def _apply_batch(self, ops: list[OpRow]) -> None:
        """One batch request for ``ops`` (all creates/replaces, or all deletes)."""
        records = {op.id: record_from_json(op.payload["record"]) for op in ops}
        if ops[0].action == "delete":
            ready = ops
            await self.store.mark_sent(*(op.id for op in ready))
            call = self.lane.client.delete_batch([(op.target_id, records[op.id]) for op in ready])
        else:
            ready, blobs = await self._blobs(ops, records)
            if not ready:
                return
            await self.store.mark_sent(*(op.id for op in ready))
            call = self.lane.client.create_batch([(records[op.id], blobs[op.id]) for op in ready])
        try:
            results: list[ItemResult] = await call
        except VendorError as exc:  # the whole request failed: every item with it
            for op in ready:
                await self._failed(op, exc, stop=False)
            if not exc.skippable:
                raise
            return
        fatal: VendorError | None = None
        for op, result in zip(ready, results, strict=True):
            if isinstance(result.error, VendorError):
                await self._failed(op, result.error, stop=False)
                fatal = fatal if result.error.skippable else result.error
            elif result.error is not None:
                raise result.error
            else:
                await self._done(op, result.item if op.action != "delete" else None)
        if fatal is not None:  # every item settled first, then the run stops
            raise fatal

    async def _blobs(
        self, ops: list[OpRow], records: dict[int, ImageRecord]
    ) -> tuple[list[OpRow], dict[int, Blob]]:
        """The bytes of each op; an op whose bytes cannot be had fails alone."""
        ready: list[OpRow] = []
        blobs: dict[int, Blob] = {}
        for op in ops:
            try:
                blobs[op.id] = await self.blob_for(op, records[op.id])
            except VendorError as exc:
                await self._failed(op, exc)
                continue
            ready.append(op)
        return ready, blobs

    # -- outcomes --------------------------------------------------------------------------------

    async def _failed(self, op: OpRow, exc: VendorError, *, stop: bool = True) -> None:
        """Settle an op that failed with ``exc``, as its type says (:mod:`syncer.errors`).

        A fatal error (not skippable: credentials refused) leaves the op retryable, its cause
        is not the item, and is raised again (``stop``), which stops the run. Any other fails
        this op alone: counted and journalled, retryable when ``transient``; its error (stored,
        and in the run's output) names the target, the source key and the file name, whatever
        failed (the bytes, a conversion, the vendor). A create whose outcome is unknown
        (``ambiguous``: it may have landed, its answer lost) stays ``sent``, as after a crash:
        whichever run comes next (sync, migrate or retry) looks for it with ``find`` before
        sending it again. Marked failed, a new plan or ``syncer retry`` would create it a
        second time."""
        record = op.payload.get("record") or {}
        error = item_failure(exc, self.lane.name, op.key, record.get("filename"))
        if not exc.skippable:
            await self.store.mark_failed(op.id, error, retryable=True)
            if stop:
                raise exc
            return
        self.summary.failed[f"{self.lane.name}.{op.action}"] += 1
        self.progress.finished(self.lane.name, ok=False)
        if exc.ambiguous and op.action == "create":
            self.summary.errors.append(f"{error} (it may have landed: the next run looks for it)")
            return
        self.summary.errors.append(error)
        await self.store.mark_failed(op.id, error, retryable=exc.transient)

    async def _done(self, op: OpRow, item: TargetItem | None) -> None:
        if op.action == "delete":
            await self.store.mark_done(op.id, drop_link=True)
        else:
            assert item is not None
            record = record_from_json(op.payload["record"])
            origin: Origin = "adopted" if item.extra.get("adopted") else "created"
            link = LinkRow(
                job=self.job,
                target=self.lane.name,
                key=op.key,
                target_id=item.id,
                sha256=record.sha256,
                meta_hash=op.payload.get("meta_hash"),
                target_version=item.version,
                origin=origin,
                basis=op.payload.get("basis"),
                pushed_json=pushed_json(record),
            )
            await self.store.mark_done(op.id, link=link)
        self.summary.done[f"{self.lane.name}.{op.action}"] += 1
        self.progress.finished(self.lane.name, ok=True)


def _moves(op: OpRow) -> bool:
    """A replace that moves the item to another owner (create, then delete the old one)."""
    return op.action == "replace" and op.payload.get("move_from") is not None


def _old_record(record: ImageRecord, previous: dict[str, Any]) -> ImageRecord:
    """``record`` as it was last pushed (``previous``: ``plan.metadata_of`` of it), to
    address the old item under its old owner."""
    return replace(
        record,
        owner=str(previous.get("owner") or ""),
        filename=str(previous.get("filename") or record.filename),
        alt=previous.get("alt"),
        title=previous.get("title"),
        position=previous.get("position"),
        roles=frozenset(previous.get("roles") or ()),
    )


def _by_request(ops: Sequence[OpRow]) -> list[list[OpRow]]:
    """``ops`` grouped by the request that carries them: creates and replaces not left ``sent``
    (a sent create is looked up first) in one batch, deletes in another, anything else alone
    (a move among them)."""
    writes = [
        o for o in ops if o.action in ("create", "replace") and o.state != "sent" and not _moves(o)
    ]
    deletes = [o for o in ops if o.action == "delete"]
    grouped = {o.id for o in writes} | {o.id for o in deletes}
    alone = [[o] for o in ops if o.id not in grouped]
    return [group for group in (writes, deletes) if group] + alone
