"""The handlers of Partium's catalog routes (``/1/catalog/...``).

| route | handler |
|---|---|
| ``POST /1/catalog/images`` (multipart) | :meth:`CatalogRoutes.upsert` |
| ``DELETE /1/catalog/images`` (JSON array) | :meth:`CatalogRoutes.delete` |
| ``POST /1/catalog/images/list`` | :meth:`CatalogRoutes.list_images` |
| ``POST /1/catalog/images/select`` | :meth:`CatalogRoutes.select` |
| ``GET``/``POST /1/catalog/images/{image_id}`` (also ``/image/``) | :meth:`CatalogRoutes.get_one` |
| ``GET``/``POST .../{image_id}/original`` (also ``/image/``) | :meth:`CatalogRoutes.original` |
| ``GET /1/catalog`` (and ``/1/catalog/``) | :meth:`CatalogRoutes.catalog_info` |
| ``GET /1/catalog/status`` | :meth:`CatalogRoutes.catalog_status` |
"""

from __future__ import annotations

from itertools import islice
from typing import Protocol

import anyio
from aiohttp import web

from syncer.emulators.base import EmulatedError, Handler, json_response
from syncer.emulators.partium.bodies import (
    parse_id_array,
    parse_list_query,
    parse_select_query,
    read_json_body,
)
from syncer.emulators.partium.cursor import encode_cursor
from syncer.emulators.partium.descriptions import describe
from syncer.emulators.partium.errors import require_bearer
from syncer.emulators.partium.knobs import PartiumKnobs
from syncer.emulators.partium.lifecycle import CatalogLifecycle
from syncer.emulators.partium.upload import read_upsert_form
from syncer.emulators.partium.upsert import Candidate, UpsertResult, check_entries, check_files
from syncer.emulators.store import CatalogStore, StoredImage

IMAGES = "/1/catalog/images"
#: The seed's singular variant of the get-one and original paths.
IMAGE = "/1/catalog/image"
#: Routes that write: refused with 503 in maintenance (list and select are POST but read).
WRITE_ROUTES = frozenset({("POST", IMAGES), ("DELETE", IMAGES)})


class CatalogHost(Protocol):
    """What the catalog routes use of their emulator."""

    @property
    def store(self) -> CatalogStore: ...

    @property
    def knobs(self) -> PartiumKnobs: ...

    @property
    def lifecycle(self) -> CatalogLifecycle: ...

    def save_upload(self, candidate: Candidate, fmt: str) -> bool: ...


class CatalogRoutes:
    """Partium's image API over one emulator's store, knobs and lifecycle."""

    def __init__(self, emulator: CatalogHost) -> None:
        self.emulator = emulator
        self.store = emulator.store

    def register(self, router: web.UrlDispatcher) -> None:
        """Add every route, each behind the bearer-key check. List and select come before the
        ``{image_id}`` routes, so ids ``list``/``select`` are reachable by GET only."""
        routes: list[tuple[str, str, Handler]] = [
            ("POST", IMAGES + "/list", self.list_images),
            ("POST", IMAGES + "/select", self.select),
            ("POST", IMAGES, self.upsert),
            ("DELETE", IMAGES, self.delete),
            ("GET", "/1/catalog", self.catalog_info),
            ("GET", "/1/catalog/", self.catalog_info),
            ("GET", "/1/catalog/status", self.catalog_status),
        ]
        for prefix in (IMAGES, IMAGE):
            for method in ("GET", "POST"):
                routes.append((method, prefix + "/{image_id}", self.get_one))
                routes.append((method, prefix + "/{image_id}/original", self.original))
        for method, path, handler in routes:
            router.add_route(method, path, require_bearer(handler))

    # -- writes --------------------------------------------------------------------------------

    async def upsert(self, request: web.Request) -> web.Response:
        """Create or replace a batch of images; per-item failures land in ``errors``."""
        knobs = self.emulator.knobs
        form = await read_upsert_form(request, knobs.max_request_bytes)
        self._check_batch(len(form.entries))
        if len(form.files) > len(form.entries):
            raise EmulatedError(
                400, f"More files ({len(form.files)}) than image descriptions ({len(form.entries)})"
            )
        result = UpsertResult()
        candidates = check_entries(
            form.entries,
            form.files,
            part_exists=self._part_usable,
            max_file_bytes=knobs.max_file_bytes,
            errors=result.errors,
        )
        for candidate, fmt in await check_files(candidates, knobs.formats, result.errors):
            created = self.emulator.save_upload(candidate, fmt)
            (result.created if created else result.updated).append(candidate.image_id)
        self.emulator.lifecycle.record_write(len(result.created) + len(result.updated))
        return json_response(result.to_json())

    async def delete(self, request: web.Request) -> web.Response:
        """Hard-delete a batch of images; unknown ids land in ``errors``."""
        ids = list(dict.fromkeys(parse_id_array(await read_json_body(request))))
        self._check_batch(len(ids))
        deleted: list[str] = []
        errors: dict[str, str] = {}
        for image_id in ids:
            if self.store.remove_image(image_id) is None:
                errors[image_id] = "Image not found"
            else:
                deleted.append(image_id)
        self.emulator.lifecycle.record_write(len(deleted))
        return json_response({"deleted": deleted, "errors": errors})

    def _check_batch(self, size: int) -> None:
        limit = self.emulator.knobs.max_batch
        if limit and size > limit:
            raise EmulatedError(400, f"Too many images in one request: {size} (at most {limit})")

    def _part_usable(self, part_id: str) -> bool:
        return part_id in self.store.owners or self.emulator.knobs.auto_create_parts

    # -- reads ---------------------------------------------------------------------------------

    async def list_images(self, request: web.Request) -> web.Response:
        """One keyset page of image descriptions in insertion order."""
        knobs = self.emulator.knobs
        query = parse_list_query(
            await read_json_body(request), knobs.default_page_size, knobs.max_page_size
        )
        matching = (
            image
            for image in self.store.iter_images(query.after_seq)
            if query.part_ids is None or image.owner in query.part_ids
        )
        page = list(islice(matching, query.limit + 1))
        shown = page[: query.limit]
        return json_response(
            {
                "result": [describe(image, query.projection) for image in shown],
                "last_object_id": encode_cursor(shown[-1].seq) if shown else None,
                "more_data": len(page) > query.limit,
            }
        )

    async def select(self, request: web.Request) -> web.Response:
        """The descriptions of the given ids that exist, in catalog order (a bare array)."""
        query = parse_select_query(await read_json_body(request))
        found = [
            image for image in map(self.store.image, set(query.image_ids)) if image is not None
        ]
        found.sort(key=lambda image: image.seq)
        return json_response([describe(image, query.projection) for image in found])

    async def get_one(self, request: web.Request) -> web.Response:
        return json_response(describe(self._image(request)))

    async def original(self, request: web.Request) -> web.Response:
        """The exact bytes uploaded, with the stored Content-Type."""
        image = self._image(request)
        if self.store.data_dir is None:
            data = self.store.data(image)
        else:
            data = await anyio.to_thread.run_sync(self.store.data, image)
        return web.Response(body=data, content_type=image.mime)

    async def catalog_info(self, request: web.Request) -> web.Response:
        knobs = self.emulator.knobs
        return json_response(
            {"name": knobs.catalog_name, "available_languages": list(knobs.languages)}
        )

    async def catalog_status(self, request: web.Request) -> web.Response:
        knobs = self.emulator.knobs
        return json_response(
            self.emulator.lifecycle.status(knobs.processing_seconds, knobs.import_seconds)
        )

    def _image(self, request: web.Request) -> StoredImage:
        image = self.store.image(request.match_info["image_id"])
        if image is None:
            raise EmulatedError(404, "Image not found")
        return image
