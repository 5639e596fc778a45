"""Image version uploads, processing status polls, and the file URLs that serve the bytes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

import anyio
from aiohttp import web

from syncer.emulators.base import EmulatedError, Handler, iso, json_response
from syncer.emulators.beproduct.catalog import HeaderCatalog, versions_of
from syncer.emulators.beproduct.knobs import COMPANY_DOMAIN, BeProductKnobs
from syncer.emulators.beproduct.routes_headers import canonical_id, live_header
from syncer.emulators.beproduct.routing import QueryArgs, api_path
from syncer.emulators.beproduct.uploads import (
    UploadProcessor,
    extension_for,
    identify,
    read_file_part,
)
from syncer.emulators.beproduct.views import FILES_PREFIX
from syncer.emulators.store import CatalogStore

#: Every route the vendor's clients poll processing status on (the Python SDK always uses Style).
STATUS_PREFIXES = ("Style", "Image", "Block")


class UploadHost(Protocol):
    """What the upload routes use of their emulator."""

    @property
    def catalog(self) -> HeaderCatalog: ...

    @property
    def knobs(self) -> BeProductKnobs: ...

    @property
    def store(self) -> CatalogStore: ...

    @property
    def uploads(self) -> UploadProcessor: ...

    def now(self) -> datetime: ...


class UploadRoutes:
    """Handlers for uploads, status polls and file downloads."""

    def __init__(self, emulator: UploadHost) -> None:
        self.emulator = emulator

    def register(self, router: web.UrlDispatcher, guard: Callable[[Handler], Handler]) -> None:
        router.add_post(api_path("Image/Header/{id}/Image/Upload"), guard(self.upload))
        router.add_post(
            api_path("Image/Header/{id}/Image/Upload/Position/{position}"), guard(self.upload)
        )
        for prefix in STATUS_PREFIXES:
            path = api_path(f"{prefix}/GetImageProcessingStatus/{{uploadId}}")
            router.add_get(path, guard(self.status))
        router.add_get(api_path("Image/GetImageProcessingStatus"), guard(self.status))
        files = FILES_PREFIX + "/{domain}/{kind:images|previews}/{header}/{version}/{filename}"
        router.add_get(files, self.file)

    async def upload(self, request: web.Request) -> web.Response:
        """``POST Image/Header/{id}/Image/Upload``: accept a new version, answer its upload id."""
        emulator = self.emulator
        header = live_header(emulator.catalog, request)
        part = await read_file_part(request, emulator.knobs.max_upload_bytes)
        assert part.data is not None
        mime = await anyio.to_thread.run_sync(identify, part.data)
        if mime is None:
            raise EmulatedError(400, "The uploaded file is not a supported image.")
        upload_id = str(uuid.uuid4())
        filename = part.filename or f"{upload_id}.{extension_for(mime)}"
        version = {
            "id": upload_id,
            "filename": filename,
            "mime": mime,
            "size": len(part.data),
            "sha256": emulator.store.put_blob(part.data),
            "uploadedAt": iso(emulator.now()),
            "position": request.match_info.get("position"),
        }
        emulator.uploads.begin(upload_id, header.id, version, emulator.knobs)
        return json_response({"imageId": upload_id})

    async def status(self, request: web.Request) -> web.Response:
        """``GET {Style|Image|Block}/GetImageProcessingStatus/{id}`` or ``...?imageId=``."""
        raw = request.match_info.get("uploadId") or QueryArgs(request.rel_url.query).text("imageId")
        upload_id = canonical_id(raw)
        emulator = self.emulator
        body = None
        if upload_id is not None:
            body = emulator.uploads.status(
                upload_id, emulator.knobs.processing_polls, emulator.now()
            )
        if body is None:
            raise EmulatedError(404, "Upload not found")
        return json_response(body)

    async def file(self, request: web.Request) -> web.Response:
        """The bytes of one version (original or preview), as BeProduct's CDN serves them."""
        info = request.match_info
        image = self.emulator.store.image(info["header"])
        versions = versions_of(image) if image is not None else []
        version = next(
            (
                v
                for v in versions
                if v["id"] == info["version"] and v["filename"] == info["filename"]
            ),
            None,
        )
        if info["domain"].lower() != COMPANY_DOMAIN or version is None:
            raise EmulatedError(404, "File not found")
        return web.Response(
            body=self.emulator.store.blobs.get(version["sha256"]), content_type=version["mime"]
        )
