"""Moov's Images API as a syncer Source and Target (an account image library).

- **Auth**: HTTP Basic with the API key (``moov.username`` / ``moov.password``), and
  ``X-Moov-Version`` (``moov.api_version``, at least v2026.10.00) on every request, so that a 409
  duplicate answers with the existing image's metadata.
- **Listing**: ``GET /accounts/{id}/images?skip=&count=`` with :class:`OffsetPaginator`, one
  account after another (``account_id`` then ``more_account_ids``). The cursor is
  ``{"account_id": ..., "paging": OffsetPaginator.to_json()}``. Moov lists in creation order and
  never removes an image (delete only disables), so offsets do not shift under a listing. Disabled
  images come out as tombstones (``deleted=True``) unless ``list_disabled`` is off.
- **Reading**: originals cannot be read. :meth:`MoovClient.open` streams the public rendition
  ``{link}?size=2048x0`` (long side 2048 px, aspect kept); records say
  ``extra["original_available"] = False``.
- **Writing**: create = multipart POST, where a 409 duplicate is *adopted* (the existing image is
  the result, its alt text aligned to the record) unless it is disabled (ConflictError: Moov cannot
  re-enable it). That also makes a create safe to send again after an ambiguous failure, so
  :meth:`MoovClient.create` re-sends itself and :meth:`MoovClient.find` (which has no
  side-effect-free way to look up bytes) returns None. replace = multipart PUT in place; the same
  bytes again (409 naming the same image) are a no-op. update = metadata PUT, always with
  ``altText``. delete = DELETE (disables; 404 counts as done).
- **Retries**: the caller's :class:`RetryPolicy` (its ``Retry-After`` waits are spread, so
  retries do not fall in step with a periodic maintenance window).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import aiohttp

from syncer.errors import (
    ConfigError,
    ConflictError,
    NotFoundError,
    ProtocolError,
    ValidationError,
)
from syncer.http import BasicAuth, HttpClient, Lane, Response, RetryPolicy
from syncer.paging import OffsetPaginator, advancing
from syncer.records import Blob, Cursor, ImageRecord, Page, TargetItem
from syncer.vendors.adopt import create_or_adopt
from syncer.vendors.contract import OneByOneBatches
from syncer.vendors.moov.bodies import MultipartImage
from syncer.vendors.moov.mapping import (
    VENDOR,
    alt_matches,
    check_metadata,
    duplicate_metadata,
    is_disabled,
    metadata_payload,
    public_link,
    rendition_url,
    to_item,
    to_record,
    upload_filename,
)
from syncer.vendors.moov.settings import (
    ACCEPTED_MIMES,
    AUTH_SETTING,
    CAPABILITIES,
    MAX_BYTES,
    MIN_API_VERSION,
    VERSION_HEADER,
    ImageLimitError,
    MoovSettings,
)

log = logging.getLogger("syncer.vendors.moov")
#: How the (undocumented) full-library refusal of an upload reads; a guess beyond the emulator.
_LIBRARY_FULL = re.compile(r"image limit|limit reached|too many images|maximum number", re.I)

__all__ = [
    "CAPABILITIES",
    "ImageLimitError",
    "MoovClient",
    "MoovSettings",
]


class MoovClient(OneByOneBatches):
    """Moov as a Source (one or more accounts) and a Target (``record.owner`` = account ID)."""

    vendor = VENDOR
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: MoovSettings,
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
            auth=BasicAuth(settings.username, settings.password, setting=AUTH_SETTING),
            lane=lane or Lane(settings.concurrency, settings.requests_per_second),
            retry=retry,
            timeout=settings.timeout,
            headers={VERSION_HEADER: settings.api_version},
        )

    # -- Source --------------------------------------------------------------------------------

    async def pages(self, cursor: Cursor | None = None) -> AsyncIterator[Page]:
        """Pages of every configured account in turn, from ``cursor`` (None: the start)."""
        position = self._resume(cursor)
        while position is not None:
            account, paginator = position
            listed = await self._list(account, paginator)
            with advancing(vendor=VENDOR, operation="list", item=account):
                paginator.advance([str(meta["imageID"]) for meta in listed])
            records = [
                to_record(meta, account)
                for meta in listed
                if self.settings.list_disabled or not is_disabled(meta)
            ]
            position = self._following(account, paginator)
            after = position or (account, paginator)
            yield Page(records, _cursor(*after), done=position is None)

    @asynccontextmanager
    async def open(self, record: ImageRecord) -> AsyncIterator[AsyncIterator[bytes]]:
        """The largest rendition of ``record`` (long side 2048 px), streamed: Moov never
        serves the original bytes."""
        url = rendition_url(self._link(record))
        async with self.http.stream(url, operation="read", item=record.key) as chunks:
            yield chunks

    def _resume(self, cursor: Cursor | None) -> tuple[str, OffsetPaginator] | None:
        accounts = self.settings.accounts
        if cursor is None:
            return accounts[0], self._paginator()
        account, paging = cursor.get("account_id"), cursor.get("paging")
        if account not in accounts or not isinstance(paging, dict):
            raise ConfigError(
                f"this Moov cursor is for account {account!r}, which is not among the "
                f"configured moov.account_id / moov.more_account_ids {list(accounts)}; keep it, "
                "or run again with --restart-listing to list from the start"
            )
        try:
            paginator = OffsetPaginator.from_json(paging)
        except TypeError as exc:
            raise ConfigError(
                f"a damaged Moov cursor: {exc}; run again with --restart-listing to list from "
                "the start"
            ) from None
        return self._following(str(account), paginator)

    def _following(
        self, account: str, paginator: OffsetPaginator
    ) -> tuple[str, OffsetPaginator] | None:
        """Where listing goes on: this account, the next one, or nowhere (done)."""
        if not paginator.done:
            return account, paginator
        accounts = self.settings.accounts
        index = accounts.index(account) + 1
        return (accounts[index], self._paginator()) if index < len(accounts) else None

    def _paginator(self) -> OffsetPaginator:
        return OffsetPaginator(count=self.settings.page_size)

    async def _list(self, account: str, paginator: OffsetPaginator) -> list[Mapping[str, Any]]:
        listed = await self.http.json(
            "GET",
            self._images_path(account),
            params=paginator.request(),
            operation="list",
            item=account,
        )
        if not isinstance(listed, list):
            raise self._protocol(f"the image list is a {type(listed).__name__}", "list", account)
        try:
            return [check_metadata(meta) for meta in listed]
        except ValueError as exc:
            raise self._protocol(str(exc), "list", account) from None

    def _link(self, record: ImageRecord) -> str:
        if record.url:
            return record.url
        public_id = record.extra.get("public_id")
        if not public_id:
            raise ValidationError(
                "the record has neither a url nor a Moov publicID to read it from",
                vendor=VENDOR,
                operation="read",
                item=record.key,
            )
        return public_link(self.settings.base_url, str(public_id))

    # -- Target --------------------------------------------------------------------------------

    async def check(self) -> None:
        """Credentials and reachability, with one cheap read (one image of ``account_id``).

        An unknown account still proves the key is accepted: targets write to the account
        each record's owner names, not to ``account_id``.
        """
        with contextlib.suppress(NotFoundError):
            await self.http.json(
                "GET",
                self._images_path(self.settings.account_id),
                params={"skip": 0, "count": 1},
                operation="check credentials",
            )

    async def create(self, record: ImageRecord, blob: Blob) -> TargetItem:
        """Upload ``blob`` into account ``record.owner``; a 409 duplicate is adopted.

        An ambiguous failure (the upload may have arrived) is sent again: if it had arrived,
        Moov answers 409 with that image, which is adopted, so nothing is duplicated.
        """
        self._check_blob(record, blob, "create")

        async def create() -> TargetItem:
            try:
                meta = await self._send_image(
                    "POST", self._images_path(record.owner), record, blob, "create", record.key
                )
            except ConflictError as conflict:
                return await self._adopt(conflict, record, blob)
            except ValidationError as refused:
                raise self._explain(refused, record) from None
            return to_item(meta, blob.sha256)

        return await create_or_adopt(create, http=self.http)  # a 409 is Moov's own look-up

    async def update(self, target_id: str, record: ImageRecord) -> TargetItem:
        """Set the alt text (Moov's only writable field); always sent, as the PUT replaces all."""
        return to_item(await self._put_metadata(target_id, record, "update"))

    async def replace(self, target_id: str, record: ImageRecord, blob: Blob) -> TargetItem:
        """New bytes and metadata in place (same ``imageID``); the image's own bytes again are
        a no-op (Moov's 409 names the same image)."""
        self._check_blob(record, blob, "replace")
        path = self._image_path(record.owner, target_id)
        try:
            meta = await self._send_image("PUT", path, record, blob, "replace", target_id)
        except ConflictError as conflict:
            existing = duplicate_metadata(conflict.body)
            if existing is None or existing["imageID"] != target_id:
                other = existing["imageID"] if existing else "another image"
                raise ConflictError(
                    f"these bytes already belong to {other} in account {record.owner}; "
                    "Moov refuses duplicate bytes",
                    vendor=VENDOR,
                    operation="replace",
                    item=target_id,
                    status=conflict.status,
                    body=conflict.body,
                ) from None
            return await self._align_alt(existing, record, blob.sha256, adopted=False)
        return to_item(meta, blob.sha256)

    async def delete(self, target_id: str, record: ImageRecord) -> None:
        """Disable the image (Moov's delete); one that is not there counts as deleted."""
        try:
            await self.http.request(
                "DELETE",
                self._image_path(record.owner, target_id),
                operation="delete",
                item=target_id,
                ok=(204, 200),
            )
        except NotFoundError:
            return

    async def find(self, record: ImageRecord, blob: Blob | None) -> TargetItem | None:
        """Always None: Moov has no side-effect-free lookup by content (metadata carries no
        hash, filename or size). :meth:`create` is idempotent instead: sending the same bytes
        again is answered with the image an interrupted run created, and adopted."""
        return None

    # -- helpers -------------------------------------------------------------------------------

    async def _send_image(
        self, method: str, path: str, record: ImageRecord, blob: Blob, operation: str, item: str
    ) -> Mapping[str, Any]:
        body = MultipartImage(blob, upload_filename(record, blob), metadata_payload(record))
        try:
            response = await self.http.request(
                method,
                path,
                operation=operation,
                item=item,
                body=body,
                ok=(201,) if method == "POST" else (200,),
                idempotent=method != "POST",
            )
        finally:
            body.close()
        return self._metadata(response, operation, item)

    async def _put_metadata(
        self, target_id: str, record: ImageRecord, operation: str
    ) -> Mapping[str, Any]:
        response = await self.http.request(
            "PUT",
            self._image_path(record.owner, target_id) + "/metadata",
            operation=operation,
            item=target_id,
            json_body=metadata_payload(record),
        )
        return self._metadata(response, operation, target_id)

    async def _adopt(self, conflict: ConflictError, record: ImageRecord, blob: Blob) -> TargetItem:
        existing = duplicate_metadata(conflict.body)
        if existing is None:
            raise ConflictError(
                "Moov refused the bytes as a duplicate without naming the existing image; "
                f"moov.api_version should be {MIN_API_VERSION} or later",
                vendor=VENDOR,
                operation="create",
                item=record.key,
                status=conflict.status,
                body=conflict.body,
            ) from None
        if is_disabled(existing):
            raise ConflictError(
                f"these bytes belong to image {existing['imageID']}, disabled (deleted) on "
                f"{existing['disabledOn']}; Moov cannot re-enable it and refuses the same bytes "
                "again: change the bytes (re-encode) to upload them anew",
                vendor=VENDOR,
                operation="create",
                item=record.key,
                status=conflict.status,
                body=dict(existing),
            )
        return await self._align_alt(existing, record, blob.sha256, adopted=True)

    async def _align_alt(
        self, meta: Mapping[str, Any], record: ImageRecord, sha256: str, *, adopted: bool
    ) -> TargetItem:
        """The item, after giving it the record's alt text where it has another one."""
        if not alt_matches(meta, record):
            meta = await self._put_metadata(str(meta["imageID"]), record, "update")
        return to_item(meta, sha256, adopted=adopted)

    def _explain(self, refused: ValidationError, record: ImageRecord) -> ValidationError:
        if refused.status != 400 or not _LIBRARY_FULL.search(refused.message):
            return refused
        return ImageLimitError(
            f"account {record.owner} cannot hold more images ({refused.message}); Moov caps an "
            "account's library (300 images to start) and disabled images still count: ask Moov "
            "to raise the limit",
            vendor=VENDOR,
            operation="create",
            item=record.key,
            status=refused.status,
            body=refused.body,
        )

    def _check_blob(self, record: ImageRecord, blob: Blob, operation: str) -> None:
        """Refuse what Moov would refuse, before sending it."""
        problem = None
        if blob.mime not in ACCEPTED_MIMES:
            problem = f"Moov accepts PNG, JPEG and WebP only, not {blob.mime}"
        elif blob.size > MAX_BYTES:
            problem = f"{blob.size} bytes is over Moov's 16 MB upload limit"
        if problem:
            raise ValidationError(problem, vendor=VENDOR, operation=operation, item=record.key)

    def _metadata(self, response: Response, operation: str, item: str) -> Mapping[str, Any]:
        try:
            return check_metadata(self.http.parse_json(response, operation, item))
        except ValueError as exc:
            raise self._protocol(str(exc), operation, item) from None

    def _protocol(self, message: str, operation: str, item: str | None) -> ProtocolError:
        return ProtocolError(message, vendor=VENDOR, operation=operation, item=item)

    def _images_path(self, account: str) -> str:
        return f"/accounts/{quote(account, safe='')}/images"

    def _image_path(self, account: str, image_id: str) -> str:
        return f"{self._images_path(account)}/{quote(image_id, safe='')}"


def _cursor(account: str, paginator: OffsetPaginator) -> Cursor:
    return {"account_id": account, "paging": paginator.to_json()}
