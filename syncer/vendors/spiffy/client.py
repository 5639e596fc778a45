"""The Spiffy Stores client: a Source (owners, then each owner's images) and a Target (one image
per request; a content change is create-then-delete, so it yields a new id).

Spiffy's traps and how this client handles them:

- Images live under three owner kinds; the listing walks kinds, owners (``since_id``) and each
  owner's images (``page``) with a composite JSON cursor (:mod:`.listing`).
- ``PUT`` changes only ``alt`` and ``position`` (and must repeat the image id): new bytes are a
  *replace*, which creates the new image at the old one's position first and then deletes the
  old one, so the owner never goes without the image; a retried replace adopts the new image an
  interrupted one already made.
- Create is not idempotent: it is sent with ``idempotent=False``, and when its outcome is unknown
  the client looks for the image (:meth:`SpiffyClient.find`: the owner's images with the same
  file name whose downloaded bytes have the same sha256) before creating it again.
- ``DELETE`` of an image that is already gone (404) counts as done.
- Spiffy accepts PNG, GIF and JPEG only; other types are refused before any request.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from syncer.errors import NotFoundError, ProtocolError, ValidationError
from syncer.http import HttpClient, Lane, RetryPolicy
from syncer.records import Blob, ImageRecord, TargetItem
from syncer.vendors.adopt import create_or_adopt
from syncer.vendors.contract import OneByOneBatches
from syncer.vendors.spiffy import mapping
from syncer.vendors.spiffy.bodies import attachment_body
from syncer.vendors.spiffy.mapping import MappingError, OwnerRef
from syncer.vendors.spiffy.reads import SpiffyReads
from syncer.vendors.spiffy.settings import CAPABILITIES, VENDOR, SpiffySettings

__all__ = ["CAPABILITIES", "SpiffyClient", "SpiffySettings"]


class SpiffyClient(SpiffyReads, OneByOneBatches):
    """Spiffy Stores as a Source and a Target (no batch endpoints: batches go one by one).

    The Source half (``pages``, ``open``) lives in :class:`~.reads.SpiffyReads`.
    """

    vendor = VENDOR
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: SpiffySettings,
        session: aiohttp.ClientSession,
        *,
        lane: Lane | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.http = HttpClient(
            VENDOR,
            session,
            settings.base_url,
            auth=settings.auth(),
            lane=lane,
            retry=retry,
            timeout=settings.timeout,
            headers={"Accept": "application/json"},
        )

    # -- Target --------------------------------------------------------------------------------

    async def check(self) -> None:
        """Credentials and reachability, with one cheap read (the store)."""
        await self.http.json("GET", "/api/store.json", operation="check credentials")

    async def create(self, record: ImageRecord, blob: Blob) -> TargetItem:
        """Create the image under ``record.owner`` (``kind/id``) from the spooled bytes."""
        owner = self._owner(record, "create image")
        return await self._create(owner, record, blob, record.position)

    async def update(self, target_id: str, record: ImageRecord) -> TargetItem:
        """Change ``alt`` and ``position`` in place (all Spiffy can change; the id is kept)."""
        owner = self._owner(record, "update image")
        image_id = self._image_id(target_id, "update image")
        body = await self.http.json(
            "PUT",
            f"{owner.path}/images/{image_id}.json",
            operation="update image",
            item=target_id,
            json_body=mapping.update_payload(image_id, record),
        )
        return self._item(body, "update image", target_id)

    async def replace(self, target_id: str, record: ImageRecord, blob: Blob) -> TargetItem:
        """New bytes: create the new image where the old one is, then delete the old one.

        The answer has the NEW id. The owner's images are read first (for the old one's
        position); a new image that an earlier, interrupted replace already created (same file
        name and sha256) is adopted instead of created twice, so a replace can be retried. When
        the old image is already gone, nothing is deleted.
        """
        owner = self._owner(record, "replace image")
        self._image_id(target_id, "replace image")
        images = await self._all_images(owner)
        old = next((image for image in images if str(image.get("id")) == target_id), None)
        skip = frozenset({target_id})
        created = await self._match(images, record, blob.sha256, skip)
        if created is None:
            old_position = old.get("position") if old is not None else None
            position = (
                mapping.replacement_position(old_position, record.position)
                if isinstance(old_position, int)
                else record.position
            )
            created = await self._create(owner, record, blob, position, skip)
        if old is not None:
            await self._delete(owner, target_id)
        return created

    async def delete(self, target_id: str, record: ImageRecord) -> None:
        """Delete an image for good; one that is already gone counts as deleted."""
        await self._delete(self._owner(record, "delete image"), target_id)

    async def find(self, record: ImageRecord, blob: Blob | None) -> TargetItem | None:
        """The image an interrupted create left under ``record.owner``, or None; never writes.

        Candidates are the owner's images with the file name a create would store; each is
        downloaded and hashed until one has the bytes' sha256 (newest first). Without a sha256
        (no blob, none on the record) nothing can be proven the same: None.
        """
        wanted = blob.sha256 if blob is not None else record.sha256
        if wanted is None:
            return None
        return await self._find(self._owner(record, "find image"), record, wanted)

    async def _find(
        self, owner: OwnerRef, record: ImageRecord, sha256: str, skip: frozenset[str] = frozenset()
    ) -> TargetItem | None:
        """:meth:`find` under ``owner``; ``skip`` names images known not to be it (the image a
        replace is replacing has the same file name: no need to download it)."""
        try:
            images = await self._all_images(owner)
        except NotFoundError:
            return None
        return await self._match(images, record, sha256, skip)

    async def _match(
        self,
        images: list[dict[str, Any]],
        record: ImageRecord,
        sha256: str,
        skip: frozenset[str],
    ) -> TargetItem | None:
        """The newest of ``images`` with the record's stored file name and bytes of ``sha256``."""
        name = mapping.target_filename(record)
        candidates = [
            image
            for image in images
            if image.get("filename") == name
            and isinstance(image.get("src"), str)
            and str(image.get("id")) not in skip
        ]
        for image in sorted(candidates, key=lambda i: _int_or_zero(i.get("id")), reverse=True):
            if await self._sha256_of(str(image["src"]), record.key) == sha256:
                return self._item({"image": image}, "find image", record.key, sha256=sha256)
        return None

    async def _create(
        self,
        owner: OwnerRef,
        record: ImageRecord,
        blob: Blob,
        position: int | None,
        skip: frozenset[str] = frozenset(),
    ) -> TargetItem:
        """POST the image; on an ambiguous failure, adopt what ``find`` sees, else send again.

        When even the look-up fails, the create's own (ambiguous) error is raised: its outcome
        is still unknown, and whoever retries must look again first.
        """
        if blob.mime not in mapping.ACCEPTED_MIMES:
            raise ValidationError(
                f"{blob.mime} is not accepted (Spiffy takes PNG, GIF and JPEG only); "
                "convert it first",
                vendor=VENDOR,
                operation="create image",
                item=record.key,
            )
        return await create_or_adopt(
            lambda: self._post_image(owner, record, blob, position, skip),
            http=self.http,
            find=lambda: self._find(owner, record, blob.sha256, skip),
        )

    async def _post_image(
        self,
        owner: OwnerRef,
        record: ImageRecord,
        blob: Blob,
        position: int | None,
        skip: frozenset[str],
    ) -> TargetItem:
        head, tail = mapping.attachment_envelope(mapping.create_fields(record, position))
        length = len(head) + mapping.encoded_size(blob.size) + len(tail)
        response = await self.http.request(
            "POST",
            f"{owner.path}/images.json",
            operation="create image",
            item=record.key,
            body=lambda: attachment_body(blob.path, head, tail),
            headers={"Content-Type": "application/json", "Content-Length": str(length)},
            ok=(200, 201),
            idempotent=False,
        )
        try:
            body = self.http.parse_json(response, "create image", record.key)
        except ProtocolError:
            body = None  # a 2xx says it was created; the answer just cannot tell us its id
        if isinstance(body, dict) and isinstance(body.get("image"), dict):
            return self._item(body, "create image", record.key, sha256=blob.sha256)
        # Created without a usable answer (the KB shows none): look the new image up.
        found = await self._find(owner, record, blob.sha256, skip)
        if found is None:
            raise self._protocol(
                "created, but the answer names no image", "create image", record.key
            )
        return found

    async def _delete(self, owner: OwnerRef, target_id: str) -> None:
        image_id = self._image_id(target_id, "delete image")
        try:
            await self.http.request(
                "DELETE",
                f"{owner.path}/images/{image_id}.json",
                operation="delete image",
                item=target_id,
                ok=(200, 204),
            )
        except NotFoundError:
            return  # already gone (or its owner is): deleted either way

    # -- helpers -------------------------------------------------------------------------------

    def _item(self, body: Any, operation: str, item: str, sha256: str | None = None) -> TargetItem:
        image = body.get("image") if isinstance(body, dict) else None
        if not isinstance(image, dict):
            raise self._protocol("the answer has no 'image' object", operation, item)
        try:
            return mapping.to_target_item(image, sha256)
        except MappingError as exc:
            raise self._protocol(str(exc), operation, item) from None


def _int_or_zero(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
