"""Reading from Spiffy: the listing (a Source), one image, an owner's images, the bytes.

The listing walks owner kinds, owners (``since_id``) and each owner's images (``page``) with a
composite JSON cursor; :mod:`.listing` keeps that walk, this module makes its requests. The
target side (:mod:`.client`) shares the readers: ``find`` lists an owner's images and hashes
candidates, ``replace`` reads the old image's position.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from syncer.errors import NotFoundError, ProtocolError, ValidationError
from syncer.http import HttpClient
from syncer.paging import PageNumberPaginator, advancing
from syncer.records import Cursor, ImageRecord, Page
from syncer.vendors.spiffy import mapping
from syncer.vendors.spiffy.listing import Listing
from syncer.vendors.spiffy.mapping import MappingError, OwnerRef
from syncer.vendors.spiffy.settings import MAX_PAGE_LIMIT, VENDOR, SpiffySettings


class SpiffyReads:
    """The reading half of :class:`~syncer.vendors.spiffy.client.SpiffyClient`."""

    vendor = VENDOR
    settings: SpiffySettings
    http: HttpClient

    # -- Source --------------------------------------------------------------------------------

    async def pages(self, cursor: Cursor | None = None) -> AsyncIterator[Page]:
        """Pages of images from ``cursor`` (None: the start) to the end of the listing.

        A page is one request's worth of images; owners without images make no page. The last
        page says ``done`` (an empty one when the end shows only after a further request).
        """
        kinds, limit = self.settings.owner_kinds, self.settings.page_limit
        listing = (
            Listing.start(kinds, limit) if cursor is None else Listing.resume(cursor, kinds, limit)
        )
        if listing.finished:
            yield Page([], listing.to_cursor(), done=True)
            return
        while not listing.finished:
            records = await self._step(listing)
            if records or listing.finished:
                cursor = listing.to_cursor()
                yield Page(records, cursor, done=listing.finished, shifted=listing.shifted)

    async def _step(self, listing: Listing) -> list[ImageRecord]:
        """One request of the walk; the records it listed (none for a page of owners)."""
        assert listing.kind is not None
        if listing.needs_owners:
            ids = await self._owner_ids(listing.kind, listing.owners.request())
            with advancing(vendor=VENDOR, operation="list owners"):
                listing.owners_listed(ids)
            return []
        assert listing.owner is not None
        assert listing.images is not None
        owner = OwnerRef(listing.kind, str(listing.owner))
        try:
            images = await self._image_page(owner, listing.images)
        except NotFoundError:
            listing.owner_gone()  # deleted since its id was listed: nothing left to list
            return []
        records = [self._record(image, listing.kind, listing.owner) for image in images]
        count = await self._image_count(owner) if listing.wants_count(len(images)) else None
        with advancing(vendor=VENDOR, operation="list images"):
            repeated = listing.images_listed([record.key for record in records], count)
        return [record for record in records if record.key not in repeated]

    async def _image_count(self, owner: OwnerRef) -> int | None:
        """How many images ``owner`` has now (None: it is gone, which its next page tells)."""
        try:
            body = await self.http.json(
                "GET", f"{owner.path}/images/count.json", operation="count images", item=str(owner)
            )
        except NotFoundError:
            return None
        count = body.get("count") if isinstance(body, dict) else None
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise self._protocol(f"the image count of {owner} is not a count", "count images")
        return count

    @asynccontextmanager
    async def open(self, record: ImageRecord) -> AsyncIterator[AsyncIterator[bytes]]:
        """The image bytes from ``src`` (the CDN: no credentials sent), as chunks."""
        url = record.url or await self._src_of(record)
        async with self.http.stream(url, operation="download image", item=record.key) as chunks:
            yield chunks

    async def _owner_ids(self, kind: str, paging: dict[str, Any]) -> list[int]:
        params = {"limit": paging["limit"], "since_id": paging["since_id"], "fields": "id"}
        body = await self.http.json(
            "GET", f"/api/{kind}.json", operation="list owners", params=params
        )
        owners = body.get(kind) if isinstance(body, dict) else None
        if not isinstance(owners, list):
            raise self._protocol(f"the {kind} list has no {kind!r} array", "list owners")
        try:
            return [_int_id(owner) for owner in owners]
        except MappingError as exc:
            raise self._protocol(str(exc), "list owners") from None

    async def _image_page(
        self, owner: OwnerRef, paging: PageNumberPaginator
    ) -> list[dict[str, Any]]:
        request = paging.request()
        params = {"limit": request["size"], "page": request["page"]}
        body = await self.http.json(
            "GET",
            f"{owner.path}/images.json",
            operation="list images",
            item=str(owner),
            params=params,
        )
        images = body.get("images") if isinstance(body, dict) else None
        if not isinstance(images, list) or not all(isinstance(i, dict) for i in images):
            raise self._protocol(f"the images of {owner} are not an 'images' array", "list images")
        return images

    async def _all_images(self, owner: OwnerRef) -> list[dict[str, Any]]:
        """Every image of one owner, in position order."""
        paging = PageNumberPaginator(size=MAX_PAGE_LIMIT, page=1)
        images: list[dict[str, Any]] = []
        while not paging.done:
            page = await self._image_page(owner, paging)
            with advancing(vendor=VENDOR, operation="list images"):
                paging.advance([str(image.get("id")) for image in page])
            images.extend(page)
        return images

    async def _src_of(self, record: ImageRecord) -> str:
        image = await self._get_image(self._owner(record, "download image"), record.key)
        if image is None:
            raise NotFoundError(
                "the image is gone", vendor=VENDOR, operation="download image", item=record.key
            )
        src = image.get("src")
        if not isinstance(src, str):
            raise self._protocol("the image has no 'src'", "download image", record.key)
        return src

    def _record(self, image: dict[str, Any], kind: str, owner_id: int) -> ImageRecord:
        try:
            return mapping.to_record(image, kind, owner_id)
        except MappingError as exc:
            raise self._protocol(str(exc), "list images") from None

    # -- single images -----------------------------------------------------------------------------

    async def _get_image(self, owner: OwnerRef, target_id: str) -> dict[str, Any] | None:
        """One image's JSON, or None when Spiffy says 404."""
        image_id = self._image_id(target_id, "get image")
        try:
            body = await self.http.json(
                "GET", f"{owner.path}/images/{image_id}.json", operation="get image", item=target_id
            )
        except NotFoundError:
            return None
        image = body.get("image") if isinstance(body, dict) else None
        if not isinstance(image, dict):
            raise self._protocol("the answer has no 'image' object", "get image", target_id)
        return image

    async def _sha256_of(self, url: str, item: str) -> str | None:
        """The sha256 of the file at ``url``, streamed; None when it is gone (404)."""
        digest = hashlib.sha256()
        try:
            async with self.http.stream(url, operation="find image", item=item) as chunks:
                async for chunk in chunks:
                    digest.update(chunk)
        except NotFoundError:
            return None
        return digest.hexdigest()

    # -- helpers -------------------------------------------------------------------------------

    def _owner(self, record: ImageRecord, operation: str) -> OwnerRef:
        try:
            return mapping.parse_owner(record.owner)
        except MappingError as exc:
            raise ValidationError(
                str(exc), vendor=VENDOR, operation=operation, item=record.key
            ) from None

    def _image_id(self, target_id: str, operation: str) -> int:
        try:
            return mapping.image_id_of(target_id)
        except MappingError as exc:
            raise ValidationError(
                str(exc), vendor=VENDOR, operation=operation, item=target_id
            ) from None

    def _protocol(self, message: str, operation: str, item: str | None = None) -> ProtocolError:
        return ProtocolError(message, vendor=VENDOR, operation=operation, item=item)


def _int_id(owner: Any) -> int:
    value = owner.get("id") if isinstance(owner, dict) else None
    if not isinstance(value, int) or isinstance(value, bool):
        raise MappingError(f"an owner without an integer id: {owner!r}")
    return value
