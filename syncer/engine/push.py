"""Pushing journalled ops to one target (DESIGN §5, §7): the in-process executor's worker.

A :class:`Pusher` drains its target's bounded op stream. Each op takes a slot of the target's
concurrency before it leaves the stream, so a slow target slows the lister instead of filling
memory. ``sent`` is committed before every request; a ``sent`` create (its outcome lost in a
crash, or in a failure that left it unknown) is looked up with ``find`` and adopted before
anything is sent again. Where the vendor batches (``Capabilities.batch_size`` > 1, Partium), the
ops already waiting in the stream go out together, up to that size: creates and replaces as one
``create_batch``, deletes as one ``delete_batch``, each item settled on its own result.

A :class:`~syncer.engine.ops.Move` (a replace to another owner) goes alone: the new owner is
searched with ``find`` first (what an interrupted move created is adopted, never created twice),
then the item is created there, then the old one deleted under its old owner. The op is done,
and the link moved, only after both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream

from syncer.engine.fetch import Bytes
from syncer.engine.ops import Create, Delete, Move, Op, Replace, Update
from syncer.engine.outcomes import Outcomes
from syncer.engine.stopping import Stop
from syncer.engine.targets import Target
from syncer.errors import VendorError
from syncer.records import Blob, ImageRecord, ItemResult, TargetItem

#: Ops under way per request slot of the target (see :meth:`Pusher.run`).
PIPELINE = 2


class Pusher:
    """Applies one target's ops, settling each through its :class:`Outcomes`."""

    def __init__(
        self,
        target: Target,
        receive: MemoryObjectReceiveStream[Op],
        outcomes: Outcomes,
        bytes_: Bytes,
        stop: Stop | None = None,
    ) -> None:
        self.target = target
        self.client = target.client
        self.receive = receive
        self.outcomes = outcomes
        self.bytes = bytes_
        self.stop = stop or Stop()
        self.batch_size = max(1, int(target.capabilities.batch_size))

    async def run(self) -> None:
        """Drain the stream until the engine closes it or the run is stopped (see
        :mod:`syncer.engine.stopping`); a fatal error (not ``skippable``) ends the run."""
        # A semaphore, not a CapacityLimiter: the dispatcher takes the slot and the worker frees
        # it, so no more ops leave the stream than can run (backpressure to the lister). Each op
        # spends part of its time on its journal writes (``sent``, ``done``) and its bytes, so
        # ``PIPELINE`` times the target's concurrency are under way while the HTTP lane itself
        # keeps at most ``concurrency`` requests in flight: the vendor sees no more than its
        # limit, and the journal's waits overlap other ops' requests instead of idling the lane.
        slots = anyio.Semaphore(PIPELINE * max(1, self.target.config.concurrency))
        # A stop: no op leaves the stream (those left stay planned or sent in the journal); the
        # requests in flight get the grace, and one cut off stays sent (the next run finds it).
        with self.stop.after_grace():
            async with anyio.create_task_group() as group, self.receive:
                with self.stop.at_once():
                    async for first in self.receive:
                        for ops in by_request(self._waiting(first)):
                            await slots.acquire()
                            group.start_soon(self._apply_and_release, ops, slots)

    def _waiting(self, first: Op) -> list[Op]:
        """``first`` and the ops already waiting behind it, up to a batch."""
        ops = [first]
        while len(ops) < self.batch_size:
            try:
                ops.append(self.receive.receive_nowait())
            except (anyio.WouldBlock, anyio.EndOfStream):
                break
        return ops

    async def _apply_and_release(self, ops: list[Op], slots: anyio.Semaphore) -> None:
        try:
            if len(ops) == 1:
                await self._apply(ops[0])
            else:
                await self._apply_batch(ops)
        finally:
            slots.release()

    # -- one op ----------------------------------------------------------------------------------

    async def _apply(self, op: Op) -> None:
        try:
            item, uploaded = await self._perform(op)
        except VendorError as exc:
            await self.outcomes.failed(op, exc)
            return
        await self.outcomes.done(op, item, uploaded=uploaded)

    async def _perform(self, op: Op) -> tuple[TargetItem | None, int]:
        """Apply ``op``: the target's item (None for a delete) and the bytes sent."""
        if isinstance(op, Delete):
            await self.outcomes.sent([op])
            await self.client.delete(op.target_id, op.record)
            return None, 0
        if isinstance(op, Update):
            await self.outcomes.sent([op])
            return await self.client.update(op.target_id, op.record), 0
        if isinstance(op, Move):
            return await self._move(op)
        blob = await self.bytes.for_op(op)
        if isinstance(op, Create) and op.state == "sent":
            found = await self._adopt(op.record, blob)
            if found is not None:
                return found
        await self.outcomes.sent([op])
        if isinstance(op, Replace):
            return await self.client.replace(op.target_id, op.record, blob), blob.size
        return await self.client.create(op.record, blob), blob.size

    async def _adopt(self, record: ImageRecord, blob: Blob) -> tuple[TargetItem, int] | None:
        """The item an interrupted create (or move) left for ``record``, completed with its
        bytes if need be (and the bytes that sent); None when there is none."""
        found = await self.client.find(record, blob)
        if found is None:
            return None
        sent = 0
        if not found.complete:  # adopted without its bytes
            found, sent = await self.client.replace(found.id, record, blob), blob.size
        return replace(found, adopted=True), sent

    async def _move(self, op: Move) -> tuple[TargetItem, int]:
        """Create the record under its new owner (or adopt what an earlier attempt created
        there), then delete the old item under the old owner. A kill or a failure between the
        two leaves the op open or failed and the link on the old item: the next attempt finds
        the new item instead of creating it again, and deletes the old one (gone counts)."""
        blob = await self.bytes.for_op(op)
        await self.outcomes.sent([op])
        adopted = await self._adopt(op.record, blob)
        if adopted is None:
            adopted = await self.client.create(op.record, blob), blob.size
        item, sent = adopted
        if item.id == op.target_id:  # never delete what the link is to become
            raise VendorError(
                f"{self.target.name} answered the move of {op.key} with the old item {item.id}",
                vendor=self.client.vendor,
                operation="move",
                item=op.key,
            )
        await self.client.delete(op.target_id, op.old_record)
        return item, sent

    # -- a batch ---------------------------------------------------------------------------------

    async def _apply_batch(self, ops: list[Op]) -> None:
        """One batch request for ``ops`` (all creates/replaces, or all deletes)."""
        blobs: dict[int, Blob] = {}
        if all(isinstance(op, Delete) for op in ops):
            ready: list[Op] = list(ops)
            await self.outcomes.sent(ready)
            call = self.client.delete_batch([(_target_id(op), op.record) for op in ready])
        else:
            ready, blobs = await self._blobs(ops)
            if not ready:
                return
            await self.outcomes.sent(ready)
            call = self.client.create_batch([(op.record, blobs[op.id]) for op in ready])
        try:
            results: list[ItemResult] = await call
        except VendorError as exc:  # the whole request failed: every item with it
            for op in ready:
                await self.outcomes.failed(op, exc, stop=False)
            if not exc.skippable:
                raise
            return
        await self._settle_batch(ready, results, {op_id: b.size for op_id, b in blobs.items()})

    async def _settle_batch(
        self, ready: list[Op], results: list[ItemResult], sizes: dict[int, int]
    ) -> None:
        """Every item settled on its own result first (``sizes``: the bytes sent for each
        write), then a fatal one stops the run."""
        fatal: VendorError | None = None
        for op, result in zip(ready, results, strict=True):
            if isinstance(result.error, VendorError):
                await self.outcomes.failed(op, result.error, stop=False)
                fatal = fatal if result.error.skippable else result.error
            elif result.error is not None:
                raise result.error
            else:
                item = None if isinstance(op, Delete) else result.item
                await self.outcomes.done(op, item, uploaded=sizes.get(op.id, 0))
        if fatal is not None:
            raise fatal

    async def _blobs(self, ops: list[Op]) -> tuple[list[Op], dict[int, Blob]]:
        """The bytes of each op; an op whose bytes cannot be had fails alone."""
        ready: list[Op] = []
        blobs: dict[int, Blob] = {}
        for op in ops:
            try:
                blobs[op.id] = await self.bytes.for_op(op)
            except VendorError as exc:
                await self.outcomes.failed(op, exc)
                continue
            ready.append(op)
        return ready, blobs


def _target_id(op: Op) -> str:
    assert isinstance(op, Delete)
    return op.target_id


def by_request(ops: Sequence[Op]) -> list[list[Op]]:
    """``ops`` grouped by the request that carries them: creates and replaces not left ``sent``
    (a sent create is looked up first) in one batch, deletes in another, anything else alone
    (a move, an update)."""
    writes: list[Op] = [o for o in ops if isinstance(o, Create | Replace) and o.state != "sent"]
    deletes: list[Op] = [o for o in ops if isinstance(o, Delete)]
    grouped = {o.id for o in writes} | {o.id for o in deletes}
    alone = [[o] for o in ops if o.id not in grouped]
    return [group for group in (writes, deletes) if group] + alone
