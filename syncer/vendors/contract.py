"""What the engine knows about a vendor: the Source and Target contract and its Capabilities.

Nothing vendor-specific reaches the engine beyond this module. Each vendor package implements
both sides in ``client.py`` and declares its :class:`Capabilities`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from syncer.errors import VendorError
from syncer.records import Blob, Cursor, ImageRecord, ItemResult, Page, TargetItem


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a vendor can and cannot do, so that the planner turns constraints into plan entries."""

    vendor: str
    #: MIME types a target accepts; None means any image.
    accepted_mimes: frozenset[str] | None
    #: Largest file a target accepts, in bytes; None when undocumented.
    max_bytes: int | None
    #: Record fields an update can change without new bytes.
    updatable_fields: frozenset[str]
    #: Whether new bytes keep the target id (False: replace is create-then-delete, a new id).
    replace_keeps_id: bool
    #: Whether an update can move an item to another owner (Partium's upsert takes a new
    #: ``part_id``). Where it cannot, an owner change is a move: create under the new owner,
    #: then delete the old item.
    update_moves_owner: bool = False
    #: Items per batch request; 1 when the vendor has no batch endpoints.
    batch_size: int = 1
    #: Delete only hides or disables the item (it may still count as a duplicate).
    soft_delete: bool = False
    #: Whether the original bytes can be read back (Moov serves renditions only).
    originals_readable: bool = True
    #: The largest side of what can be read back when originals are not.
    max_read_pixels: int | None = None
    #: Display images an owner shows at most (Partium: five); the rest are hidden, not refused.
    #: Only a plan's warnings read it.
    display_limit: int | None = None


@runtime_checkable
class Source(Protocol):
    """A vendor as a source: pages of records from a cursor, and the bytes of each record."""

    vendor: str
    capabilities: Capabilities

    def pages(self, cursor: Cursor | None = None) -> AsyncIterator[Page]:
        """Pages from ``cursor`` (None: from the start) to the end of the listing.

        Each page carries the cursor that resumes after it; a cursor that repeats raises
        :class:`~syncer.errors.RepeatedCursorError`.
        """
        ...

    def open(self, record: ImageRecord) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """The bytes of ``record`` as a stream of chunks (never loaded whole)."""
        ...


@runtime_checkable
class IncrementalSource(Protocol):
    """A source that can list only what changed since a finished listing (a watermark).

    Such a listing cannot see deletions by absence, so the engine still runs a full listing
    and sweep every ``schedule.full_every``; tombstones it lists are acted on directly.
    """

    def next_sync_cursor(self, cursor: Cursor) -> Cursor:
        """From the last cursor of a finished listing, the cursor of the next incremental one."""
        ...


@runtime_checkable
class Target(Protocol):
    """A vendor as a target. Every method raises typed :class:`~syncer.errors.VendorError`."""

    vendor: str
    capabilities: Capabilities

    async def check(self) -> None:
        """Verify the credentials and that the vendor answers, with one cheap authenticated read,
        before a run does any work; raises AuthenticationError naming the setting to fix."""
        ...

    async def create(self, record: ImageRecord, blob: Blob) -> TargetItem:
        """Create the image under ``record.owner`` (already mapped to the target's owner)."""
        ...

    async def update(self, target_id: str, record: ImageRecord) -> TargetItem:
        """Change metadata only (the fields in ``capabilities.updatable_fields``)."""
        ...

    async def replace(self, target_id: str, record: ImageRecord, blob: Blob) -> TargetItem:
        """New bytes for an item; the returned id differs where ``replace_keeps_id`` is False."""
        ...

    async def delete(self, target_id: str, record: ImageRecord) -> None:
        """Delete (or disable) an item; one that is already gone counts as deleted."""
        ...

    async def find(self, record: ImageRecord, blob: Blob | None) -> TargetItem | None:
        """The item an interrupted run may have created for ``record``, or None.

        ``TargetItem.complete`` is False when the item lacks the record's bytes (an upload
        that never finished, other bytes); the engine then completes it with :meth:`replace`
        and marks the op done only after that."""
        ...

    async def create_batch(self, items: Sequence[tuple[ImageRecord, Blob]]) -> list[ItemResult]:
        """Create or replace several items; one result per item, in order."""
        ...

    async def delete_batch(self, items: Sequence[tuple[str, ImageRecord]]) -> list[ItemResult]:
        """Delete several items by target id; one result per item, in order."""
        ...


class OneByOneBatches:
    """Batch methods for vendors without batch endpoints: one request per item.

    A fatal error (not ``skippable``: credentials refused) ends the batch, nothing else will
    work either; every other vendor error becomes that item's result.
    """

    async def create(self, record: ImageRecord, blob: Blob) -> TargetItem:
        raise NotImplementedError

    async def delete(self, target_id: str, record: ImageRecord) -> None:
        raise NotImplementedError

    async def create_batch(self, items: Sequence[tuple[ImageRecord, Blob]]) -> list[ItemResult]:
        results = []
        for record, blob in items:
            try:
                results.append(ItemResult(record.key, item=await self.create(record, blob)))
            except VendorError as exc:
                if not exc.skippable:
                    raise
                results.append(ItemResult(record.key, error=exc))
        return results

    async def delete_batch(self, items: Sequence[tuple[str, ImageRecord]]) -> list[ItemResult]:
        results = []
        for target_id, record in items:
            try:
                await self.delete(target_id, record)
                results.append(ItemResult(record.key, item=TargetItem(target_id)))
            except VendorError as exc:
                if not exc.skippable:
                    raise
                results.append(ItemResult(record.key, error=exc))
        return results
