"""The state of one ``POST Image/Headers`` listing, and its JSON cursor. Pure, no I/O.

A listing is a query (folder, ``ModifiedAt`` watermark filter, tombstones or not) paged by
0-based ``pageNumber`` with a :class:`~syncer.paging.PageNumberPaginator`: it ends when
``total`` headers were seen, or on an empty page (``total`` overstates after deletes). The cursor
keeps the query with the paginator, so a resumed listing asks exactly what the first one asked,
plus the latest ``modifiedAt`` seen (``watermark``), from which the next incremental listing
starts (:meth:`ListingState.next_sync`).

Cursor format (``vendor`` and ``version`` guard against resuming something else)::

    {"vendor": "beproduct", "version": 1, "folder_id": "…guid…" | null,
     "since": "2026-01-01T00:05:00.000Z" | null, "show_deleted": false,
     "watermark": "2026-01-01T00:23:00.000Z" | null,
     "paging": {"scheme": "page_number", "size": 100, "page": 3, ...}}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from syncer.errors import ConfigError
from syncer.paging import PageNumberPaginator
from syncer.records import Cursor
from syncer.vendors.beproduct.mapping import later, modified_since_filter

CURSOR_VERSION = 1


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
    """A query, where its paging is, and the latest ``modifiedAt`` seen so far."""

    query: ListingQuery
    paginator: PageNumberPaginator
    watermark: str | None = None

    @classmethod
    def start(cls, query: ListingQuery, page_size: int) -> ListingState:
        return cls(query, PageNumberPaginator(size=page_size, page=0), watermark=query.since)

    def advance(self, keys: Sequence[str], total: int, stamps: Sequence[str | None]) -> None:
        """Record one answered page (raises ``RepeatedCursor`` for a page seen twice)."""
        self.paginator.advance(keys, total)
        for stamp in stamps:
            self.watermark = later(self.watermark, stamp)

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
    def from_cursor(cls, cursor: Cursor, expected_folder: str | None) -> ListingState:
        """Resume from :meth:`to_cursor`. A cursor of another vendor or version, or of another
        folder than the settings name, is a ConfigError: resuming it would list the wrong set."""
        paging = cursor.get("paging")
        if (
            cursor.get("vendor") != "beproduct"
            or cursor.get("version") != CURSOR_VERSION
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
        return cls(query, paginator, watermark=cursor.get("watermark"))

    def next_sync(self) -> ListingState:
        """A fresh listing of what changed since this one's watermark (an incremental sync).
        It cannot see deletions: run a full listing now and then (DESIGN §6)."""
        query = ListingQuery(self.query.folder_id, self.watermark, self.query.show_deleted)
        return ListingState.start(query, self.paginator.size)
