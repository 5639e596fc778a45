"""The state of one ``POST Image/Headers`` listing, and its JSON cursor. Pure, no I/O.

A listing is a query (folder, ``ModifiedAt`` watermark filter, tombstones or not) paged by
0-based ``pageNumber`` with a :class:`~syncer.paging.PageNumberPaginator`: it ends when
``total`` headers were seen, or on an empty page (``total`` overstates after deletes). The cursor
keeps the query with the paginator, so a resumed listing asks exactly what the first one asked,
plus the ``watermark`` from which the next incremental listing starts
(:meth:`ListingState.next_sync`).

**The watermark is fixed when the listing starts**, not carried along as it pages: the vendor's
clock when the first page was answered (its HTTP ``Date``; or the latest ``modifiedAt`` of that
page, if later or if ``Date`` is missing), set back by ``overlap`` seconds, and never earlier
than the listing's own ``since``. It is stored from the first page on and never changes on
later pages or on a resume. The listing pages in creation order, so the latest ``modifiedAt``
*seen* is no bound at all: a header edited after its page was read, while a later page shows a
newer stamp, would fall below it and be missed. Every change made after the first page was
answered has a ``modifiedAt`` at or after that moment on the vendor's clock, so the next listing
(``ModifiedAt Gte`` the watermark) sees it:

* the vendor's own clock is used, never ours, so our clock's skew does not matter;
* ``overlap`` covers the vendor's remaining imprecision: ``Date`` has whole seconds, its web
  servers and the database stamping ``modifiedAt`` may disagree slightly, and a change may be
  stamped when its transaction began but committed after the page was read. It costs only
  re-listing the headers changed just before, which their version tokens spare downloading;
* a listing whose ``total`` dropped while it ran (``paginator.shifted``: a deletion moved a
  header into a page already read, so it may have been skipped) hands on its own ``since``
  instead, so the next listing asks again for everything this one should have shown.

Cursor format (``vendor`` and ``version`` guard against resuming something else)::

    {"vendor": "beproduct", "version": 2, "folder_id": "…guid…" | null,
     "since": "2026-01-01T00:05:00.000Z" | null, "show_deleted": false,
     "watermark": "2026-01-01T00:23:00.000Z" | null,
     "paging": {"scheme": "page_number", "size": 100, "page": 3, ...}}

A version-1 cursor (whose ``watermark`` was the latest stamp seen, unsafe) still resumes; its
watermark is taken to be its ``since``, where that listing started from, which is safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from syncer.errors import ConfigError
from syncer.paging import PageNumberPaginator
from syncer.records import Cursor
from syncer.vendors.beproduct.mapping import later, modified_since_filter, parse_stamp
from syncer.vendors.beproduct.settings import DEFAULT_OVERLAP

CURSOR_VERSION = 2
#: Cursor versions :meth:`ListingState.from_cursor` resumes.
READABLE_VERSIONS = (1, CURSOR_VERSION)


@dataclass(frozen=True, slots=True)
class ListingQuery:
    """What a listing asks for, whatever page it is on."""

    folder_id: str | None = None
    since: str | None = None
    show_deleted: bool = False

    def params(self, page: int, size: int) -> dict[str, str]:
        """Query parameters of one page (``folderId`` empty = every folder, as the SDK sends)."""
        params = {"folderId": self.folder_id or "", "pageSize": str(size), "pageNumber": str(page)}
        if self.show_deleted:
            params["showDeleted"] = "true"
        return params

    def body(self) -> dict[str, Any]:
        filters = [modified_since_filter(self.since)] if self.since else []
        return {"filters": filters, "colorwayFilters": None}


@dataclass(slots=True)
class ListingState:
    """A query, where its paging is, and the watermark the next listing starts from."""

    query: ListingQuery
    paginator: PageNumberPaginator
    #: Where the next incremental listing starts; fixed by the first answered page.
    watermark: str | None = None
    #: Seconds the watermark is set back from the vendor's clock (not kept in the cursor).
    overlap: float = DEFAULT_OVERLAP

    @classmethod
    def start(
        cls, query: ListingQuery, page_size: int, overlap: float = DEFAULT_OVERLAP
    ) -> ListingState:
        paginator = PageNumberPaginator(size=page_size, page=0)
        return cls(query, paginator, watermark=query.since, overlap=overlap)

    def advance(
        self,
        keys: Sequence[str],
        total: int,
        stamps: Sequence[str | None],
        answered_at: datetime | None = None,
    ) -> None:
        """Record one answered page (raises ``RepeatedCursor`` for a page seen twice);
        ``answered_at`` is the vendor's clock when it answered (its ``Date``). The first
        page fixes the watermark."""
        first = self.paginator.page == 0
        self.paginator.advance(keys, total)
        if first:
            self.watermark = starting_watermark(self.query.since, answered_at, stamps, self.overlap)

    def to_cursor(self) -> Cursor:
        return {
            "vendor": "beproduct",
            "version": CURSOR_VERSION,
            "folder_id": self.query.folder_id,
            "since": self.query.since,
            "show_deleted": self.query.show_deleted,
            "watermark": self.watermark,
            "paging": self.paginator.to_json(),
        }

    @classmethod
    def from_cursor(
        cls, cursor: Cursor, expected_folder: str | None, overlap: float = DEFAULT_OVERLAP
    ) -> ListingState:
        """Resume from :meth:`to_cursor`. A cursor of another vendor or version, or of another
        folder than the settings name, is a ConfigError: resuming it would list the wrong set.
        A version-1 cursor's watermark (the latest stamp seen) is replaced by its ``since``."""
        paging = cursor.get("paging")
        version = cursor.get("version")
        if (
            cursor.get("vendor") != "beproduct"
            or version not in READABLE_VERSIONS
            or not isinstance(paging, dict)
        ):
            raise ConfigError(
                f"not a BeProduct listing cursor (version {CURSOR_VERSION}): {cursor!r:.200}; "
                "run again with --restart-listing to list from the start"
            )
        folder = cursor.get("folder_id")
        if (folder or None) != (expected_folder or None):
            raise ConfigError(
                f"the saved cursor lists folder {folder!r} but beproduct.folder_id is "
                f"{expected_folder!r}; keep the folder, or run again with --restart-listing "
                "to list from the start"
            )
        query = ListingQuery(folder, cursor.get("since"), bool(cursor.get("show_deleted")))
        paginator = PageNumberPaginator.from_json(paging)
        watermark = cursor.get("watermark") if version == CURSOR_VERSION else query.since
        return cls(query, paginator, watermark=watermark, overlap=overlap)

    def next_sync(self) -> ListingState:
        """A fresh listing of what changed since this one started (an incremental sync); from
        this one's own ``since`` if it shifted. It cannot see deletions: run a full listing now
        and then (DESIGN §6)."""
        since = self.query.since if self.paginator.shifted else self.watermark
        query = ListingQuery(self.query.folder_id, since, self.query.show_deleted)
        return ListingState.start(query, self.paginator.size, self.overlap)


def starting_watermark(
    since: str | None,
    answered_at: datetime | None,
    stamps: Sequence[str | None],
    overlap: float,
) -> str | None:
    """The watermark of a listing whose first page was answered at ``answered_at`` with
    ``stamps``: the later of the two, less ``overlap`` s, never before ``since``; ``since``
    itself when neither is known."""
    moments = [parse_stamp(s) for s in stamps if s]
    if answered_at is not None:
        moments.append(answered_at)
    if not moments:
        return since
    return later(since, stamp_of(max(moments) - timedelta(seconds=overlap)))


def vendor_time(date_header: str | None) -> datetime | None:
    """An HTTP ``Date`` header as an aware instant; None when absent or unreadable."""
    if not date_header:
        return None
    try:
        moment = parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def stamp_of(moment: datetime) -> str:
    """A ``modifiedAt``-style stamp: UTC, milliseconds, ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
