"""Fetching and fingerprinting: the bytes of a listed record, read once into the spool.

:class:`Bytes` reads a record's bytes when its version token cannot vouch for the stored hash
(:func:`vouched`), hands each op the bytes it pushes (converted or shrunk as planned), and keeps
the spool bounded: a blob stays only while an op of this run that needs it is open
(:meth:`Bytes.hold` when an op is journalled, :meth:`Bytes.release` when it settles). A blob
removed early is downloaded again if an op asks for it, so pruning never loses data.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import anyio

from syncer.engine.failures import item_failure
from syncer.engine.ops import Op
from syncer.engine.plan import needs_bytes
from syncer.engine.progress import RunProgress
from syncer.engine.summary import RunSummary
from syncer.errors import VendorError
from syncer.records import Blob, ImageRecord
from syncer.spool import Spool
from syncer.spool.errors import BlobRejectedError
from syncer.spool.thumbcache import ThumbCache
from syncer.state import ItemState
from syncer.vendors.contract import Source

log = logging.getLogger("syncer.engine")

#: Images decoded at once for conversions and shrinks (each can take hundreds of MB).
CONVERSIONS_AT_ONCE = 2


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A listed record whose bytes could not be read: skipped for every target, with why."""

    record: ImageRecord
    error: str


def vouched(record: ImageRecord, prior: ItemState | None) -> ImageRecord | None:
    """The record fingerprinted without its bytes (a tombstone, or the version token vouches
    for the stored hash), or None when the bytes must be read."""
    if record.deleted:
        return record
    if prior is None or needs_bytes(record, prior):
        return None
    return record.with_bytes(prior.sha256, record.size or prior.size, record.mime or prior.mime)


class Bytes:
    """The run's image bytes: downloads, conversions, and what the spool must keep."""

    def __init__(
        self, source: Source, spool: Spool, summary: RunSummary, progress: RunProgress
    ) -> None:
        self.source = source
        self.spool = spool
        self.summary = summary
        self.progress = progress
        self.converting = anyio.CapacityLimiter(CONVERSIONS_AT_ONCE)
        #: Open ops of this run that need each blob, by the source bytes' sha256.
        self._needed: Counter[str] = Counter()
        #: Conversion results made from each source blob in this run.
        self._derived: dict[str, set[str]] = {}
        #: Thumbnails of pushed images, kept after their bytes go (a later plan shows them).
        self.thumbs = ThumbCache(spool.directory / "thumbs")

    async def fingerprint(self, record: ImageRecord) -> ImageRecord | Unreadable:
        """``record`` with the sha256, size and type of its bytes, read into the spool; a
        failure of this item only (not a fatal one) makes it :class:`Unreadable`."""
        try:
            blob = await self.download(record)
        except VendorError as exc:
            if not exc.skippable:  # fatal (credentials refused): the run stops
                raise
            error = item_failure(exc, None, record.key, record.filename)
            self.summary.add_error(error)
            return Unreadable(record, error)
        return record.with_bytes(blob.sha256, blob.size, blob.mime)

    async def download(self, record: ImageRecord, *, expected: str | None = None) -> Blob:
        """Read ``record``'s bytes into the spool; ``expected``: the sha256 they must have
        (an op's bytes read again: other bytes are refused, never pushed in their place)."""
        async with self.source.open(record) as chunks:
            blob = await self.spool.write(
                chunks, expected_sha256=expected, mime_hint=record.mime, item=record.key
            )
        self.summary.downloaded += 1
        self.progress.fetched(1)
        return blob

    async def for_op(self, op: Op) -> Blob:
        """The bytes ``op`` pushes: from the spool (downloaded again if it was pruned),
        converted or shrunk as planned."""
        record, payload = op.record, op.payload
        blob = await self.spool.get(record.sha256) if record.sha256 else None
        if blob is None:
            blob = await self.download(record, expected=record.sha256)
        source = blob.sha256
        if payload.convert_to:  # imported here: Pillow loads with the first conversion only
            from syncer.spool import convert

            blob = await convert(blob, payload.convert_to, self.spool, limiter=self.converting)
        if payload.shrink_to:
            from syncer.spool import shrink

            blob = await shrink(blob, self.spool, payload.shrink_to, limiter=self.converting)
        if blob.sha256 != source:
            self._derived.setdefault(source, set()).add(blob.sha256)
        if payload.pushed_sha256 and blob.sha256 != payload.pushed_sha256:
            raise BlobRejectedError(
                f"the bytes made for it hash to {blob.sha256}, not {payload.pushed_sha256} as "
                "when the plan was made (another imaging library?): make a new plan",
                operation="convert",
                item=record.key,
            )
        return blob

    # -- keeping the spool bounded ---------------------------------------------------------

    def hold(self, ops: Iterable[Op]) -> None:
        """Journalled ops that will read their record's bytes: keep those blobs."""
        for op in ops:
            if op.needs_bytes and op.record.sha256:
                self._needed[op.record.sha256] += 1

    async def release(self, op: Op) -> None:
        """``op`` settled (done, failed or left for the next run): its bytes may go."""
        sha = op.record.sha256
        if not op.needs_bytes or not sha or self._needed[sha] <= 0:
            return
        self._needed[sha] -= 1
        if self._needed[sha] <= 0 and self.thumbs.wants():
            blob = await self.spool.get(sha)
            if blob is not None:
                await self.thumbs.remember(sha, blob.path)
        await self.drop_unneeded([sha])

    async def prune(self, keep: Iterable[str]) -> None:
        """Remove every blob but ``keep`` (the bytes of ops still open): what a killed run, or
        a record fingerprinted and then left unplanned, left behind."""
        report = await self.spool.prune(frozenset(keep) | {s for s, n in self._needed.items() if n})
        await anyio.to_thread.run_sync(self.thumbs.prune)
        if report.blobs:
            log.info(
                "spool: removed %d blobs (%d bytes) no open op needs", report.blobs, report.bytes
            )

    async def drop_unneeded(self, shas: Iterable[str | None]) -> None:
        """Remove the blobs among ``shas`` that no open op of this run needs (a record
        fingerprinted, then found unchanged or skipped everywhere, leaves nothing behind)."""
        for sha in shas:
            if not sha or self._needed[sha] > 0:
                continue
            self._needed.pop(sha, None)
            for derived in self._derived.pop(sha, set()):
                if self._needed[derived] <= 0:
                    await self.spool.discard(derived)
            await self.spool.discard(sha)
