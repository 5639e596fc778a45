"""Choosing the listing, and the lister: pages read ahead and handed on in groups.

:func:`choose_listing` says where a run's listing starts (a saved unfinished listing is resumed;
a sync whose source keeps a watermark lists only what changed while a full sweep is recent;
else everything). :func:`list_groups` reads pages ahead of the consumer and hands it the
pages already waiting together as one :class:`Group` (up to ``GROUP_ITEMS`` records): a slow
consumer means larger groups, so fewer transactions, not more time. :class:`ListedKeys`
remembers, in 8 bytes a key, what a run listed, so the sweep knows what was not seen without a
write per listed item.
"""

from __future__ import annotations

import bisect
from array import array
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from syncer.engine.summary import Mode
from syncer.records import Cursor, ImageRecord, Page
from syncer.state import CursorRow
from syncer.vendors.contract import IncrementalSource, Source

#: Pages requested ahead of the ones being planned.
PAGES_AHEAD = 16
#: Most records in one group (the pages already waiting go together).
GROUP_ITEMS = 500
#: Keys remembered as planned in this run (offset paging lists a key twice when the source
#: changes mid-listing). Ops not yet journalled are at most a few groups, far fewer: a key listed
#: again while its first ops may be open is always caught; one listed again later has its op.
RECENT_KEYS = 8192


@dataclass(frozen=True)
class Listing:
    """Where a run's listing starts, and so what its end allows (DESIGN §6, §9)."""

    cursor: Cursor | None
    #: From a watermark: only what changed, so no deletion can be seen by absence.
    incremental: bool = False
    #: Continues a listing that a stopped run left unfinished: its start was not seen here.
    resumed: bool = False

    @property
    def kind(self) -> str:
        if self.resumed:
            return "resumed"
        return "incremental" if self.incremental else "full"

    @property
    def sees_everything(self) -> bool:
        """A complete listing of this kind shows every live item within this run, so an item
        it did not show is gone (otherwise only tombstones are)."""
        return not self.incremental and not self.resumed


@dataclass(frozen=True)
class ListingChoice:
    """What the run asked for: its mode, ``sync --full``, ``--restart-listing``, and the
    job's ``schedule.full_every``."""

    mode: Mode
    full: bool = False
    restart: bool = False
    full_every_seconds: float = 86400.0


def choose_listing(
    saved: CursorRow | None, source: Source, choice: ListingChoice, now: datetime
) -> Listing:
    """Resume an unfinished listing; else, for a sync (or plan) whose source keeps a watermark
    and whose last full sweep is younger than ``full_every``, list what changed since; else
    (and always for ``restart``) list everything."""
    if saved is None or choice.restart:
        return Listing(None)
    if not saved.complete and choice.mode is not Mode.PLAN:
        return Listing(saved.cursor, incremental=saved.incremental, resumed=True)
    if choice.mode in (Mode.SYNC, Mode.PLAN) and _incremental_due(saved, source, choice, now):
        assert isinstance(source, IncrementalSource)
        return Listing(source.next_sync_cursor(saved.cursor), incremental=True)
    return Listing(None)


def _incremental_due(
    saved: CursorRow, source: Source, choice: ListingChoice, now: datetime
) -> bool:
    if choice.full or not saved.complete or saved.swept_at is None:
        return False
    if not isinstance(source, IncrementalSource):
        return False
    age = now - datetime.fromisoformat(saved.swept_at)
    return age.total_seconds() < choice.full_every_seconds


@dataclass(frozen=True, slots=True)
class Group:
    """Pages listed together: their records (a key listed twice: the last wins), and the
    cursor after the last page."""

    records: list[ImageRecord]
    cursor: Cursor
    done: bool
    shifted: bool


async def list_groups(
    source: Source, cursor: Cursor | None, take: Callable[[Group], Awaitable[None]]
) -> None:
    """Page through the listing from ``cursor`` to its end, handing ``take`` each group of the
    pages waiting when one is taken; a reader task keeps ``PAGES_AHEAD`` pages requested ahead
    (a slow ``take`` makes groups larger, so fewer commits, not more time)."""
    send, receive = anyio.create_memory_object_stream[Page](PAGES_AHEAD)
    async with anyio.create_task_group() as tasks, receive:
        tasks.start_soon(_read_pages, source, cursor, send)
        async for first in receive:
            pages = _waiting(first, receive)
            records = list({r.key: r for page in pages for r in page.records}.values())
            last = pages[-1]
            await take(Group(records, last.cursor, last.done, any(p.shifted for p in pages)))


async def _read_pages(
    source: Source, cursor: Cursor | None, send: MemoryObjectSendStream[Page]
) -> None:
    async with send:
        async for page in source.pages(cursor):
            await send.send(page)


def _waiting(first: Page, receive: MemoryObjectReceiveStream[Page]) -> list[Page]:
    """``first`` and the pages already waiting behind it, up to ``GROUP_ITEMS`` records."""
    pages, count = [first], len(first.records)
    while count < GROUP_ITEMS:
        try:
            page = receive.receive_nowait()
        except (anyio.WouldBlock, anyio.EndOfStream):
            break
        pages.append(page)
        count += len(page.records)
    return pages


class RecentKeys:
    """The last ``size`` keys planned in a run (offset paging lists a key twice when the
    source changes mid-listing; DESIGN §4: dedupe by key)."""

    def __init__(self, size: int = RECENT_KEYS) -> None:
        self.size = size
        self._order: deque[str] = deque()
        self._keys: set[str] = set()

    def repeated(self, keys: list[str]) -> set[str]:
        """Which of ``keys`` were planned before; remembers the rest."""
        again = {key for key in keys if key in self._keys}
        for key in keys:
            if key not in self._keys:
                self._keys.add(key)
                self._order.append(key)
        while len(self._order) > self.size:
            self._keys.discard(self._order.popleft())
        return again


class ListedKeys:
    """The keys a run listed live, as 64-bit hashes (8 bytes a key: 8 MB for a million).

    Two keys with one hash would make an unlisted key look listed: the sweep then keeps that
    item one sweep longer, never deletes a listed one. Python's ``hash`` of a string is stable
    within a process, and a run's listing and sweep are one process. The hashes are kept in
    ``BUCKETS`` arrays by their low bits, sorted one by one on the first lookup, so sorting never
    holds more than a bucket's worth of Python integers at once (a million of them would be
    about 40 MB for a moment).
    """

    BUCKETS = 256

    def __init__(self) -> None:
        self._buckets = [array("q") for _ in range(self.BUCKETS)]
        self._sorted = True
        self._count = 0

    def add(self, keys: Iterable[str]) -> None:
        buckets, mask = self._buckets, self.BUCKETS - 1
        for key in keys:
            value = hash(key)
            buckets[value & mask].append(value)
            self._count += 1
        self._sorted = False

    def __len__(self) -> int:
        return self._count

    def __contains__(self, key: object) -> bool:
        if not self._sorted:  # one bucket's Python integers at a time
            self._buckets = [array("q", sorted(bucket)) for bucket in self._buckets]
            self._sorted = True
        value = hash(key)
        bucket = self._buckets[value & (self.BUCKETS - 1)]
        at = bisect.bisect_left(bucket, value)
        return at < len(bucket) and bucket[at] == value
