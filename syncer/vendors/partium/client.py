"""Partium's Catalog API (part images) as a syncer Source and Target.

* **Source**: ``POST /1/catalog/images/list`` with a keyset cursor (``paging.limit`` +
  ``last_object_id``, until ``more_data`` is false), optionally scoped to ``part_ids``; bytes
  streamed from ``GET /1/catalog/images/{id}/original``. Partium has no change token
  (``version`` is None): change detection hashes the bytes.
* **Target**: image ids are ours, derived from the source key (:func:`mapping.image_id_for`), so
  every write is an idempotent upsert and ``find`` is one GET. ``create_batch`` sends one
  multipart upsert per batch (per-item ``errors`` inside a 200 become ValidationError results);
  ``delete_batch`` one DELETE with a JSON array body ("not found" counts as deleted). ``create``,
  ``replace`` and ``delete`` are batches of one. ``update`` changes metadata only, but Partium
  takes no upsert without a file: it downloads the current ``/original`` to a spool file and
  upserts it again with the new ``part_id``/``info`` (a concurrent change of the bytes by
  someone else between the two requests would be overwritten with the bytes read).
* **Maintenance** (503 with a ``detail`` on writes) is transient: the HTTP layer's backoff first,
  then :class:`~syncer.vendors.partium.maintenance.MaintenanceGate` for long windows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from typing import Any

import aiohttp

from syncer.errors import (
    AuthenticationError,
    ConfigError,
    NotFoundError,
    ProtocolError,
    ValidationError,
    VendorError,
)
from syncer.http import BearerAuth, HttpClient, Lane, RetryPolicy
from syncer.paging import KeysetPaginator, advancing
from syncer.records import Blob, Cursor, ImageRecord, ItemResult, Page, TargetItem
from syncer.vendors.contract import Capabilities
from syncer.vendors.partium.answers import Sent, read_delete, read_list, read_upsert
from syncer.vendors.partium.bodies import UploadPart, upsert_body
from syncer.vendors.partium.maintenance import MaintenanceGate
from syncer.vendors.partium.mapping import (
    MappingError,
    image_id_for,
    image_path,
    matches,
    original_path,
    to_description,
    to_record,
)
from syncer.vendors.partium.settings import (
    AUTH_SETTING,
    CAPABILITIES,
    VENDOR,
    PartiumSettings,
)
from syncer.vendors.partium.spool import hash_original, spooled_original

IMAGES_PATH = "/1/catalog/images"
LIST_PATH = "/1/catalog/images/list"


@dataclass(frozen=True, slots=True)
class _Upload:
    """One image to upsert, at its place in the caller's batch."""

    index: int
    key: str
    part: UploadPart


class PartiumClient:
    """Partium as a Source (keyset listing, streamed originals) and a Target (batch upserts and
    deletes under ids derived from the source key)."""

    vendor: str = VENDOR
    capabilities: Capabilities = CAPABILITIES

    def __init__(
        self,
        settings: PartiumSettings,
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
            auth=BearerAuth(settings.api_key, setting=AUTH_SETTING),
            lane=lane,
            retry=retry,
            timeout=settings.timeout,
        )
        self.capabilities = replace(CAPABILITIES, batch_size=settings.batch_size)
        self.maintenance = MaintenanceGate(
            settings.maintenance_poll, settings.maintenance_wait, on_retry=self._count_retry
        )

    # -- Source ----------------------------------------------------------------------------------

    async def pages(self, cursor: Cursor | None = None) -> AsyncIterator[Page]:
        """Keyset pages from ``cursor`` to the end; each page's cursor resumes right after it
        (``{"part_ids", "paging": KeysetPaginator.to_json()}``); a finished cursor lists nothing."""
        paginator = self._paginator(cursor)
        while not paginator.done:
            answer = read_list(
                await self.http.json(
                    "POST", LIST_PATH, operation="list", json_body=self._list_body(paginator)
                )
            )
            with advancing(vendor=VENDOR, operation="list"):
                paginator.advance(answer.last_object_id, answer.more_data)
            records = [self._record(description) for description in answer.result]
            yield Page(records, self._cursor(paginator), paginator.done)

    def open(self, record: ImageRecord) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """The original bytes of ``record``, streamed in chunks. The URL is rebuilt from the key
        (never taken from ``record.url``), so the API key only goes to the configured base URL."""
        return self.http.stream(
            original_path(record.key), operation="open", item=record.key, authenticate=True
        )

    def _paginator(self, cursor: Cursor | None) -> KeysetPaginator:
        if cursor is None:
            return KeysetPaginator(limit=self.settings.page_size)
        if not isinstance(cursor, dict) or not isinstance(cursor.get("paging"), dict):
            raise ConfigError(
                f"not a Partium listing cursor: {cursor!r:.200}; run again with "
                "--restart-listing to list from the start"
            )
        scope = cursor.get("part_ids")
        wanted = None if self.settings.part_ids is None else list(self.settings.part_ids)
        if scope != wanted:
            raise ConfigError(
                f"the unfinished listing a stopped run left lists part_ids {scope!r}, the "
                f"settings {wanted!r}: resume with the same partium.part_ids, or run again "
                "with --restart-listing to list from the start"
            )
        paginator = KeysetPaginator.from_json(cursor["paging"])
        paginator.limit = self.settings.page_size
        return paginator

    def _cursor(self, paginator: KeysetPaginator) -> Cursor:
        part_ids = None if self.settings.part_ids is None else list(self.settings.part_ids)
        return {"part_ids": part_ids, "paging": paginator.to_json()}

    def _list_body(self, paginator: KeysetPaginator) -> dict[str, Any]:
        body: dict[str, Any] = {"paging": paginator.request()}
        if self.settings.part_ids is not None:
            body["query"] = {"part_ids": list(self.settings.part_ids)}
        return body

    def _record(self, description: Any) -> ImageRecord:
        try:
            return to_record(description, self.http.base_url)
        except MappingError as exc:
            raise ProtocolError(str(exc), vendor=VENDOR, operation="list", status=200) from None

    # -- Target: writes --------------------------------------------------------------------------

    def image_id(self, record: ImageRecord) -> str:
        """The image id this client writes ``record`` under (derived from its key)."""
        return image_id_for(record.key, self.settings.id_prefix)

    async def check(self) -> None:
        """Credentials and reachability, with one cheap read (the catalog status)."""
        await self.http.json("GET", "/1/catalog/status", operation="check credentials")

    async def create(self, record: ImageRecord, blob: Blob) -> TargetItem:
        """Upsert ``record`` under the id derived from its key (a batch of one)."""
        return _single(await self.create_batch([(record, blob)]))

    async def replace(self, target_id: str, record: ImageRecord, blob: Blob) -> TargetItem:
        """New bytes (and metadata) for ``target_id``; the id is kept."""
        return _single(await self._upsert([self._upload(0, target_id, record, blob)]))

    async def update(self, target_id: str, record: ImageRecord) -> TargetItem:
        """New ``part_id``/``info`` for ``target_id``, re-sending its current bytes (Partium
        takes no upsert without a file)."""
        async with spooled_original(
            self.http,
            target_id,
            operation="update",
            key=record.key,
            spool_dir=self.settings.spool_dir,
        ) as blob:
            return _single(await self._upsert([self._upload(0, target_id, record, blob)]))

    async def delete(self, target_id: str, record: ImageRecord) -> None:
        """Hard-delete ``target_id``; an image already gone counts as deleted."""
        _single(await self.delete_batch([(target_id, record)]))

    async def create_batch(self, items: Sequence[tuple[ImageRecord, Blob]]) -> list[ItemResult]:
        """One multipart upsert per ``batch_size`` items; one result per item, in order."""
        results: list[ItemResult | None] = [None] * len(items)
        uploads: list[_Upload] = []
        for index, (record, blob) in enumerate(items):
            try:
                uploads.append(self._upload(index, self.image_id(record), record, blob))
            except ValidationError as exc:
                results[index] = ItemResult(record.key, error=exc)
        for upload, result in zip(uploads, await self._upsert(uploads), strict=True):
            results[upload.index] = result
        return [result for result in results if result is not None]

    async def delete_batch(self, items: Sequence[tuple[str, ImageRecord]]) -> list[ItemResult]:
        """One DELETE (JSON array of ids) per ``batch_size`` items; one result per item."""
        sent = [Sent(record.key, target_id) for target_id, record in items]
        results: list[ItemResult] = []
        for start in range(0, len(sent), self.settings.batch_size):
            chunk = sent[start : start + self.settings.batch_size]
            results += await self._per_item(chunk, self._delete_chunk(chunk))
        return results

    def _upload(self, index: int, image_id: str, record: ImageRecord, blob: Blob) -> _Upload:
        try:
            description = to_description(record, image_id)
        except MappingError as exc:
            raise ValidationError(
                str(exc), vendor=VENDOR, operation="upsert", item=record.key
            ) from None
        return _Upload(index, record.key, UploadPart(description, blob))

    async def _upsert(self, uploads: Sequence[_Upload]) -> list[ItemResult]:
        results: list[ItemResult] = []
        for chunk in self._chunks(uploads):
            sent = [
                Sent(u.key, u.part.image_id, u.part.blob.sha256, u.part.description) for u in chunk
            ]
            results += await self._per_item(sent, self._upsert_chunk(chunk, sent))
        return results

    def _chunks(self, uploads: Sequence[_Upload]) -> list[list[_Upload]]:
        """Batches of at most ``batch_size`` items and ``batch_bytes`` bytes (one bigger item
        goes alone), never holding one id twice (Partium refuses every copy of a repeated id):
        a repeated id starts a new batch, so the later item wins, as one by one."""
        chunks: list[list[_Upload]] = []
        chunk: list[_Upload] = []
        size = 0
        for upload in uploads:
            full = len(chunk) >= self.settings.batch_size
            heavy = size + upload.part.blob.size > self.settings.batch_bytes
            repeated = any(u.part.image_id == upload.part.image_id for u in chunk)
            if chunk and (full or heavy or repeated):
                chunks.append(chunk)
                chunk, size = [], 0
            chunk.append(upload)
            size += upload.part.blob.size
        return [*chunks, chunk] if chunk else chunks

    async def _upsert_chunk(self, chunk: list[_Upload], sent: list[Sent]) -> list[ItemResult]:
        parts = [upload.part for upload in chunk]
        answer = await self._write(
            "POST",
            IMAGES_PATH,
            operation="upsert",
            item=chunk[0].key if len(chunk) == 1 else None,
            body=lambda: upsert_body(parts),
        )
        return read_upsert(sent, answer)

    async def _delete_chunk(self, chunk: list[Sent]) -> list[ItemResult]:
        ids = list(dict.fromkeys(item.image_id for item in chunk))
        answer = await self._write(
            "DELETE",
            IMAGES_PATH,
            operation="delete",
            item=chunk[0].key if len(chunk) == 1 else None,
            json_body=ids,
        )
        return read_delete(chunk, answer)

    async def _per_item(
        self, sent: Sequence[Sent], request: Awaitable[list[ItemResult]]
    ) -> list[ItemResult]:
        """The results of one batch request; a whole-request failure becomes every item's
        result, except refused credentials, which end the batch (nothing else would work)."""
        try:
            return await request
        except AuthenticationError:
            raise
        except VendorError as exc:
            return [ItemResult(item.key, error=exc) for item in sent]

    async def _write(self, method: str, path: str, **kwargs: Any) -> Any:
        """A write (upsert or delete): idempotent, since the ids are ours, so any failure is
        retried; maintenance refusals are waited out by the gate."""

        async def call() -> Any:
            return await self.http.json(method, path, idempotent=True, **kwargs)

        return await self.maintenance.run(call)

    def _count_retry(self) -> None:
        self.http.retries += 1

    # -- Target: find ---------------------------------------------------------------------------

    async def find(self, record: ImageRecord, blob: Blob | None) -> TargetItem | None:
        """The image an interrupted run created for ``record``, or None; never writes.

        Adopted only when it is exactly what a create would have written: same ``part_id``, same
        ``info`` tokens and, when ``blob`` is given, the same sha256 of ``/original`` (hashed
        while streaming). Anything else under that id answers None: the engine then creates,
        which is an upsert of the same id, so nothing is duplicated either way.
        """
        try:
            wanted = to_description(record, self.image_id(record))
        except MappingError:
            return None
        image_id = wanted["image_id"]
        try:
            stored = await self.http.json(
                "GET", image_path(image_id), operation="find", item=record.key
            )
        except NotFoundError:
            return None
        if not isinstance(stored, dict) or not matches(stored, wanted):
            return None
        sha256 = None
        if blob is not None:
            try:
                sha256 = await hash_original(self.http, image_id, operation="find", key=record.key)
            except NotFoundError:  # deleted meanwhile
                return None
            if sha256 != blob.sha256:
                return None
        return TargetItem(image_id, version=None, sha256=sha256, extra=dict(wanted))


def _single(results: list[ItemResult]) -> TargetItem:
    """The item of a batch of one, or its error raised."""
    (result,) = results
    if result.error is not None:
        raise result.error
    if result.item is None:
        raise AssertionError("an ItemResult holds an item or an error")
    return result.item
