"""BeProduct's image library ("image headers") as a syncer Source and Target.

The vendor's traps and how they are met:

* **Paging** (:meth:`BeProductClient.pages`): 0-based ``pageNumber`` + ``total``, ending on
  ``total`` *or* an empty page (the SDK loops forever when ``total`` overstates); the JSON cursor
  carries the query, the paginator and the watermark of the next listing: the vendor's
  clock (``Date``) when the first page was answered, less ``watermark_overlap`` (:mod:`.listing`).
* **Two-stage writes** (:meth:`BeProductClient.create`): create the header, upload the file
  (multipart body rebuilt and streamed from the spool on every attempt, :mod:`.bodies`),
  poll the processing status until ``finished``, read the header back. The upload id is in
  ``TargetItem.extra["upload_id"]``; :meth:`BeProductClient.wait_for_upload` resumes polling.
  A refused upload, or a failed processing, deletes the new header: no orphans.
* **Create is not idempotent**: it is sent with ``idempotent=False``; after an ambiguous failure
  the client waits, searches the folder for the source key in ``header_number`` (as
  :meth:`BeProductClient.find` does) and adopts what it finds before creating again.
* **Delete is a GET** and soft; an unknown or already deleted id counts as deleted.

The HTTP plumbing and the upload/poll calls live in :mod:`.api`, the settings in
:mod:`.settings` (re-exported here).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from urllib.parse import quote

from syncer.errors import NotFoundError, VendorError
from syncer.paging import advancing
from syncer.records import Blob, Cursor, ImageRecord, Page, TargetItem
from syncer.vendors.adopt import create_or_adopt
from syncer.vendors.beproduct.api import BeProductApi
from syncer.vendors.beproduct.listing import ListingQuery, ListingState, vendor_time
from syncer.vendors.beproduct.mapping import (
    MappingError,
    create_fields,
    current_upload_id,
    has_image,
    modified_at,
    origin_of,
    to_record,
    update_fields,
)
from syncer.vendors.beproduct.settings import (
    CAPABILITIES,
    DEFAULT_PAGE_SIZE,
    VENDOR,
    BeProductSettings,
)
from syncer.vendors.contract import OneByOneBatches

__all__ = ["CAPABILITIES", "DEFAULT_PAGE_SIZE", "BeProductClient", "BeProductSettings"]

log = logging.getLogger("syncer.vendors.beproduct")

#: At most this many same-numbered headers are downloaded to compare bytes in ``find``.
FIND_HASHED = 3


class BeProductClient(BeProductApi, OneByOneBatches):
    """BeProduct as a Source (headers of the image library) and a Target (see the module).

    Built with ``(BeProductSettings, aiohttp.ClientSession, *, lane=, retry=)``; ``http`` is
    its :class:`~syncer.http.HttpClient`.
    """

    vendor = VENDOR
    capabilities = CAPABILITIES

    def start_listing(self) -> ListingState:
        """The listing the settings ask for, before its first page."""
        s = self.settings
        query = ListingQuery(s.folder_id, s.modified_since, s.show_deleted)
        return ListingState.start(query, s.page_size, s.watermark_overlap)

    def resume_listing(self, cursor: Cursor) -> ListingState:
        """The listing a saved cursor continues (its watermark kept as it was saved)."""
        return ListingState.from_cursor(
            cursor, self.settings.folder_id, self.settings.watermark_overlap
        )

    def next_sync_cursor(self, cursor: Cursor) -> Cursor:
        """From the last cursor of a finished listing, the cursor of the next incremental one:
        every header modified at or after that listing's watermark (fixed when it started)."""
        return self.resume_listing(cursor).next_sync().to_cursor()

    async def pages(self, cursor: Cursor | None = None) -> AsyncIterator[Page]:
        """Pages of headers with an image (and tombstones with ``show_deleted``).

        Headers without a finished upload have no bytes and are left out (the paging still
        counts them); a later upload moves their ``modifiedAt``, so a watermark sees them then.
        """
        state = self.start_listing() if cursor is None else self.resume_listing(cursor)
        while not state.paginator.done:
            headers, total, answered_at = await self._list_page(state)
            keys, stamps = [h["id"] for h in headers], [modified_at(h) for h in headers]
            with advancing(vendor=VENDOR, operation="list"):
                state.advance(keys, total, stamps, answered_at)
            records = [self._record(h) for h in headers if has_image(h) or bool(h.get("isDeleted"))]
            yield Page(records, state.to_cursor(), state.paginator.done, state.paginator.shifted)

    @asynccontextmanager
    async def open(self, record: ImageRecord) -> AsyncIterator[AsyncIterator[bytes]]:
        """The original's bytes, streamed from ``preview.origin`` (no auth: a CDN URL)."""
        url = record.url or await self._origin(record.key)
        async with self.http.stream(url, operation="open", item=record.key) as chunks:
            yield chunks

    async def _list_page(
        self, state: ListingState
    ) -> tuple[list[dict[str, Any]], int, datetime | None]:
        """One page of headers, the total, and the vendor's clock when it answered."""
        paging = state.paginator.request()
        response = await self._request(
            "POST",
            "Image/Headers",
            operation="list",
            params=state.query.params(paging["page"], paging["size"]),
            json_body=state.query.body(),
        )
        headers, total = self._result(self.http.parse_json(response, "list", None), "list")
        return headers, total, vendor_time(response.headers.get("Date"))

    async def _origin(self, key: str) -> str:
        origin = origin_of(await self._get_header(key, key))
        if origin is None:
            raise NotFoundError("the header has no image yet", vendor=VENDOR, operation="open")
        return origin

    # -- Target --------------------------------------------------------------------------------

    async def check(self) -> None:
        """Credentials and reachability, with one cheap read (the image folders)."""
        await self._json("GET", "Image/Folders", operation="check credentials")

    async def create(self, record: ImageRecord, blob: Blob) -> TargetItem:
        """Create a header in folder ``record.owner``, upload ``blob``, wait for processing.

        A refused upload (not an image, too large) or a failed processing deletes the header
        just made and raises the ValidationError, so no empty header is left behind.
        """
        header_id = self._id_of(await self._create_header(record), "create")
        try:
            upload_id = await self._upload_and_wait(header_id, record, blob)
        except VendorError:
            await self._discard(header_id, record)
            raise
        return await self._read_back(header_id, record, blob, upload_id)

    async def update(self, target_id: str, record: ImageRecord) -> TargetItem:
        """Write ``title`` (``header_name``) and ``alt`` (``description``); see mapping."""
        header = await self._json(
            "POST",
            f"Image/Header/{quote(target_id, safe='')}/Update",
            operation="update",
            item=record.key,
            json_body={"fields": update_fields(record)},
        )
        return TargetItem(target_id, version=modified_at(self._header(header, "update")))

    async def replace(self, target_id: str, record: ImageRecord, blob: Blob) -> TargetItem:
        """New bytes as a new version of the same header (its id stays), metadata written
        first (a header is not edited while it processes). A failed processing raises
        ValidationError and leaves the previous version current."""
        await self.update(target_id, record)
        upload_id = await self._upload_and_wait(target_id, record, blob)
        return await self._read_back(target_id, record, blob, upload_id)

    async def delete(self, target_id: str, record: ImageRecord) -> None:
        """``GET Image/Header/Delete/{id}`` (a soft delete); gone already counts as deleted."""
        try:
            await self._request(
                "GET",
                f"Image/Header/Delete/{quote(target_id, safe='')}",
                operation="delete",
                item=record.key,
            )
        except NotFoundError:
            log.debug("beproduct header %s was already gone", target_id)

    async def find(self, record: ImageRecord, blob: Blob | None) -> TargetItem | None:
        """The live header in folder ``record.owner`` whose ``header_number`` is the source key.

        Several (an earlier run's duplicates): the one whose bytes match ``blob`` (up to
        three are downloaded to compare), else the oldest with an image. ``sha256`` is set
        only when the bytes were compared; a header whose upload never finished has none,
        and ``extra["has_image"]`` says so. Never creates anything.

        ``complete`` is False for a header without a finished upload or with other bytes: the
        engine uploads again (``replace``) before the op is done. It does not wait for an upload
        the killed run may have left processing: a header shows finished versions only, and that
        upload id was never journalled. Such an upload carries the same bytes, so if it finishes
        later it adds an identical version.
        """
        headers = await self._search_number(record)
        if not headers:
            return None
        headers.sort(key=lambda h: (not has_image(h), str(h.get("createdAt") or "")))
        chosen, digest = headers[0], None
        if blob is not None:
            for header in headers[:FIND_HASHED]:
                url = origin_of(header)
                if url is None:
                    break  # sorted: the rest have no image either
                found = await self._digest(url, record.key)
                if found == blob.sha256:
                    chosen, digest = header, found
                    break
                if header is chosen:
                    digest = found
        return TargetItem(
            self._id_of(chosen, "find"),
            version=modified_at(chosen),
            sha256=digest,
            extra={"has_image": has_image(chosen), "upload_id": current_upload_id(chosen)},
            # No finished upload, or other bytes: the pusher uploads again before done.
            complete=has_image(chosen)
            and (digest is None or blob is None or digest == blob.sha256),
        )

    async def _create_header(self, record: ImageRecord) -> dict[str, Any]:
        """``Image/Header/Create``; after an ambiguous failure, adopt the header the attempt
        may have made (searched by ``header_number``) before trying again."""

        async def create() -> dict[str, Any]:
            body = await self._json(
                "POST",
                "Image/Header/Create",
                operation="create",
                item=record.key,
                params={"folderId": record.owner, "preserveVersion": "false"},
                json_body={"fields": create_fields(record)},
                idempotent=False,
            )
            return self._header(body, "create", record.key)

        async def find() -> dict[str, Any] | None:
            found = await self._search_number(record)
            if not found:
                return None
            log.info("beproduct adopted header %s for %s", found[0]["id"], record.key)
            return found[0]

        return await create_or_adopt(create, http=self.http, find=find)

    async def _upload_and_wait(self, header_id: str, record: ImageRecord, blob: Blob) -> str:
        upload_id = await self.upload(header_id, record, blob)
        await self.wait_for_upload(upload_id, item=record.key)
        return upload_id

    async def _read_back(
        self, header_id: str, record: ImageRecord, blob: Blob, upload_id: str
    ) -> TargetItem:
        header = await self._get_header(header_id, record.key)
        extra = {"upload_id": upload_id, "url": origin_of(header)}
        return TargetItem(header_id, version=modified_at(header), sha256=blob.sha256, extra=extra)

    async def _discard(self, header_id: str, record: ImageRecord) -> None:
        """Delete a header this create made but could not finish (best effort)."""
        try:
            await self.delete(header_id, record)
        except VendorError as exc:
            log.warning("beproduct could not delete unfinished header %s: %s", header_id, exc)

    def _record(self, header: dict[str, Any]) -> ImageRecord:
        try:
            return to_record(header)
        except MappingError as exc:
            raise self._protocol("list", None, str(exc)) from None
