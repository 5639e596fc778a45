"""The BeProduct calls the client is built from: one place for the HTTP connection, the
answer checks, the two-stage upload (upload, then processing polled to the end) and the
``header_number`` search behind ``find``.

Every call goes through :class:`~syncer.http.HttpClient` (retries, ``Retry-After``, adaptive
rate, one token refresh on 401, typed errors), authenticated with the OAuth2 refresh-token
grant (:mod:`.auth`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp
import anyio

from syncer.errors import (
    ConfigError,
    NotFoundError,
    ProtocolError,
    UnavailableError,
    ValidationError,
)
from syncer.http import HttpClient, Lane, Response, RetryPolicy
from syncer.paging import PageNumberPaginator, advancing
from syncer.records import Blob, ImageRecord
from syncer.vendors.beproduct.auth import beproduct_auth
from syncer.vendors.beproduct.bodies import upload_body
from syncer.vendors.beproduct.listing import ListingQuery
from syncer.vendors.beproduct.mapping import (
    matches_number,
    number_filter,
    upload_filename,
)
from syncer.vendors.beproduct.settings import VENDOR, BeProductSettings

#: Page size of the ``header_number`` search behind ``find`` (normally one match).
FIND_PAGE = 50


class BeProductApi:
    """BeProduct's API calls with their answers checked; the client builds on them."""

    def __init__(
        self,
        settings: BeProductSettings,
        session: aiohttp.ClientSession,
        *,
        lane: Lane | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        auth = beproduct_auth(
            settings.token_endpoint,
            settings.client_id,
            settings.client_secret,
            settings.refresh_token,
        )
        self.http = HttpClient(
            VENDOR,
            session,
            settings.api_url,
            auth=auth,
            lane=lane,
            retry=retry,
            timeout=settings.request_timeout,
            timeout_key="request_timeout",
            headers={"Accept": "application/json"},
        )

    async def upload(self, header_id: str, record: ImageRecord, blob: Blob) -> str:
        """Upload ``blob`` as a new version of a header; returns the upload id to poll.

        Retried like any idempotent call: a retry after an applied attempt adds the same bytes
        once more as a version, which changes nothing a reader sees.
        """
        filename = upload_filename(record, blob.mime)
        body = await self._json(
            "POST",
            f"Image/Header/{quote(header_id, safe='')}/Image/Upload",
            operation="upload",
            item=record.key,
            body=lambda: upload_body(blob.path, blob.size, filename),
        )
        upload_id = body.get("imageId") if isinstance(body, dict) else None
        if not isinstance(upload_id, str) or not upload_id:
            raise self._protocol("upload", record.key, f"no imageId in the answer: {body!r:.200}")
        return upload_id

    async def wait_for_upload(self, upload_id: str, *, item: str | None = None) -> None:
        """Poll the processing status of an upload until it finishes (also to resume polling
        an upload id a previous run persisted). A failed processing is a ValidationError with
        the vendor's reason; still unfinished after ``processing_timeout`` an UnavailableError.
        """
        deadline = anyio.current_time() + self.settings.processing_timeout
        path = f"Style/GetImageProcessingStatus/{quote(upload_id, safe='')}"
        while True:
            status = await self._json("GET", path, operation="processing status", item=item)
            finished, failed, message = self._status(status, item)
            if finished and failed:
                raise ValidationError(
                    f"processing of upload {upload_id} failed: {message or 'no reason given'}",
                    vendor=VENDOR,
                    operation="processing",
                    item=item,
                    body=status,
                )
            if finished:
                return
            if anyio.current_time() >= deadline:
                raise UnavailableError(
                    f"upload {upload_id} still processing after "
                    f"{self.settings.processing_timeout:g} s; poll it again later",
                    vendor=VENDOR,
                    operation="processing",
                    item=item,
                )
            await anyio.sleep(self.settings.poll_interval)

    async def _search_number(self, record: ImageRecord) -> list[dict[str, Any]]:
        """Live headers of folder ``record.owner`` whose ``header_number`` is exactly the key
        (every page: a server that ignored the filter would answer the whole folder)."""
        paginator = PageNumberPaginator(size=FIND_PAGE)
        found: list[dict[str, Any]] = []
        while not paginator.done:
            query = ListingQuery(folder_id=record.owner)
            body = await self._json(
                "POST",
                "Image/Headers",
                operation="find",
                item=record.key,
                params=query.params(paginator.page, paginator.size),
                json_body={"filters": [number_filter(record.key)], "colorwayFilters": None},
            )
            headers, total = self._result(body, "find")
            with advancing(vendor=VENDOR, operation="find"):
                paginator.advance([h["id"] for h in headers], total)
            found += [h for h in headers if matches_number(h, record.key, record.owner)]
        return found

    async def _digest(self, url: str, key: str) -> str:
        """The sha256 of the file at ``url`` (a header's original), streamed."""
        hasher = hashlib.sha256()
        async with self.http.stream(url, operation="find", item=key) as chunks:
            async for chunk in chunks:
                hasher.update(chunk)
        return hasher.hexdigest()

    async def _get_header(self, header_id: str, item: str | None) -> dict[str, Any]:
        body = await self._json(
            "GET", f"Image/Header/{quote(header_id, safe='')}", operation="read", item=item
        )
        return self._header(body, "read", item)

    async def _request(
        self, method: str, path: str, *, operation: str, item: str | None = None, **kwargs: Any
    ) -> Response:
        """:meth:`HttpClient.request`; a 404 for the company itself is a ConfigError (every
        call would fail alike), any other 404 the item's NotFoundError."""
        try:
            return await self.http.request(method, path, operation=operation, item=item, **kwargs)
        except NotFoundError as exc:
            message = exc.body.get("message") if isinstance(exc.body, dict) else None
            if isinstance(message, str) and message.lower().startswith("company"):
                raise ConfigError(f"beproduct: {message}; check beproduct.company_domain") from exc
            raise

    async def _json(
        self, method: str, path: str, *, operation: str, item: str | None = None, **kwargs: Any
    ) -> Any:
        response = await self._request(method, path, operation=operation, item=item, **kwargs)
        return self.http.parse_json(response, operation, item)

    def _result(self, body: Any, operation: str) -> tuple[list[dict[str, Any]], int]:
        """``{"result": [header...], "total": n}``, checked."""
        result = body.get("result") if isinstance(body, dict) else None
        total = body.get("total") if isinstance(body, dict) else None
        if (
            not isinstance(result, list)
            or not all(isinstance(h, dict) and isinstance(h.get("id"), str) for h in result)
            or not isinstance(total, int)
            or isinstance(total, bool)
        ):
            raise self._protocol(operation, None, f"not a header page: {body!r:.200}")
        return result, total

    def _header(self, body: Any, operation: str, item: str | None = None) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise self._protocol(operation, item, f"not a header: {body!r:.200}")
        return body

    def _id_of(self, header: Mapping[str, Any], operation: str) -> str:
        return str(self._header(dict(header), operation)["id"])

    def _status(self, body: Any, item: str | None) -> tuple[bool, bool, str]:
        """``{finished, errorOccured, message}`` (the vendor's spelling; the correct one too)."""
        if not isinstance(body, dict) or not isinstance(body.get("finished"), bool):
            raise self._protocol("processing status", item, f"not a status: {body!r:.200}")
        failed = body.get("errorOccured", body.get("errorOccurred", False))
        return body["finished"], bool(failed), str(body.get("message") or "")

    def _protocol(self, operation: str, item: str | None, message: str) -> ProtocolError:
        return ProtocolError(
            self.http.redact(message), vendor=VENDOR, operation=operation, item=item
        )
