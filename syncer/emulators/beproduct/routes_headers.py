"""Image folders, schemas and headers: list/search, get, create, update, delete."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from aiohttp import web

from syncer.emulators.base import EmulatedError, Handler, json_response, read_json
from syncer.emulators.beproduct.catalog import API_USER, HeaderCatalog
from syncer.emulators.beproduct.filters import parse_filters
from syncer.emulators.beproduct.routing import QueryArgs, api_path
from syncer.emulators.beproduct.schema import FIELDS, HEADER_NAME, HEADER_NUMBER, clean_values
from syncer.emulators.beproduct.views import folder_view, schema_view
from syncer.emulators.store import Owner, StoredImage

DEFAULT_PAGE_SIZE = 30


async def optional_json(request: web.Request) -> dict[str, Any]:
    """The JSON object body; an empty body or ``null`` is ``{}``, malformed JSON a 400."""
    if not (await request.read()).strip():
        return {}
    body = await read_json(request)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise EmulatedError(400, "The request body must be a JSON object.")
    return body


def field_updates(body: dict[str, Any]) -> dict[str, Any]:
    """``{"fields": [{"id", "value"}, ...]}`` as ``{id: value}``."""
    items = body.get("fields") or []
    if not isinstance(items, list):
        raise EmulatedError(400, "fields must be a list of {id, value}.")
    updates: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise EmulatedError(400, f"Invalid field {item!r}: an id is required.")
        updates[item["id"]] = item.get("value")
    return updates


def require_filled(values: dict[str, str], creating: bool) -> None:
    """Required fields may not be blank; on create header_name is needed and a blank (or
    missing) header_number means "number it for me"."""
    blank = {f.id for f in FIELDS if f.required and values.get(f.id) == ""}
    if creating:
        blank.discard(HEADER_NUMBER)
        if not values.get(HEADER_NAME):
            blank.add(HEADER_NAME)
    if blank:
        raise EmulatedError(400, f"Field '{sorted(blank)[0]}' is required.")


def canonical_id(raw: str) -> str | None:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


def live_header(catalog: HeaderCatalog, request: web.Request) -> StoredImage:
    """The live header named by the path's ``{id}``, else the vendor's "Image not found"."""
    header_id = canonical_id(request.match_info["id"])
    image = catalog.live(header_id) if header_id else None
    if image is None:
        raise EmulatedError(404, "Image not found")
    return image


class HeaderHost(Protocol):
    """What the header routes use of their emulator."""

    @property
    def catalog(self) -> HeaderCatalog: ...

    def now(self) -> datetime: ...

    def header_json(self, request: web.Request, image: StoredImage) -> dict[str, Any]: ...


class HeaderRoutes:
    """Handlers for the image library's folders and headers."""

    def __init__(self, emulator: HeaderHost) -> None:
        self.emulator = emulator
        self.catalog = emulator.catalog

    def register(self, router: web.UrlDispatcher, guard: Callable[[Handler], Handler]) -> None:
        router.add_get(api_path("Image/Folders"), guard(self.folders))
        router.add_get(api_path("Image/FolderSchema"), guard(self.folder_schema))
        router.add_get(api_path("Image/FolderSearchSchema"), guard(self.folder_search_schema))
        router.add_post(api_path("Image/Headers"), guard(self.list_headers))
        router.add_post(api_path("Image/Header/Create"), guard(self.create))
        router.add_get(api_path("Image/Header/Delete/{id}"), guard(self.delete))
        router.add_get(api_path("Image/Header/{id}"), guard(self.get))
        router.add_post(api_path("Image/Header/{id}/Update"), guard(self.update))

    # -- lookups -------------------------------------------------------------------------------

    def header(self, request: web.Request) -> StoredImage:
        return live_header(self.catalog, request)

    def folder(self, args: QueryArgs) -> Owner:
        folder_id = args.guid("folderId")
        if folder_id is None:
            raise EmulatedError(400, "folderId is required.")
        folder = self.catalog.folder(folder_id)
        if folder is None:
            raise EmulatedError(404, "Folder not found")
        return folder

    def answer(self, request: web.Request, image: StoredImage) -> web.Response:
        return json_response(self.emulator.header_json(request, image))

    # -- handlers ------------------------------------------------------------------------------

    async def folders(self, request: web.Request) -> web.Response:
        return json_response([folder_view(f) for f in self.catalog.folders()])

    async def folder_schema(self, request: web.Request) -> web.Response:
        self.folder(QueryArgs(request.rel_url.query))
        return json_response(schema_view(search=False))

    async def folder_search_schema(self, request: web.Request) -> web.Response:
        self.folder(QueryArgs(request.rel_url.query))
        return json_response(schema_view(search=True))

    async def list_headers(self, request: web.Request) -> web.Response:
        """``POST Image/Headers``: one page of the headers matching the filters, and the total."""
        args = QueryArgs(request.rel_url.query)
        folder_id = args.guid("folderId")
        size = args.integer("pageSize", DEFAULT_PAGE_SIZE, minimum=1)
        number = args.integer("pageNumber", 0, minimum=0)
        show_deleted = args.flag("showDeleted")
        predicates = parse_filters((await optional_json(request)).get("filters"))
        matches = self.catalog.select(folder_id, predicates, show_deleted)
        page = matches[number * size : (number + 1) * size]
        return json_response(
            {"result": [self.emulator.header_json(request, i) for i in page], "total": len(matches)}
        )

    async def get(self, request: web.Request) -> web.Response:
        return self.answer(request, self.header(request))

    async def create(self, request: web.Request) -> web.Response:
        args = QueryArgs(request.rel_url.query)
        folder = self.folder(args)
        args.flag("preserveVersion")  # accepted and validated; images have no version field
        values = clean_values(field_updates(await optional_json(request)))
        require_filled(values, creating=True)
        image = self.catalog.create(
            str(uuid.uuid4()), folder, values, API_USER, self.emulator.now()
        )
        return self.answer(request, image)

    async def update(self, request: web.Request) -> web.Response:
        image = self.header(request)
        values = clean_values(field_updates(await optional_json(request)))
        require_filled(values, creating=False)
        return self.answer(
            request, self.catalog.update(image, values, API_USER, self.emulator.now())
        )

    async def delete(self, request: web.Request) -> web.Response:
        """``GET Image/Header/Delete/{id}``: a soft delete, answered with ``true``."""
        self.catalog.delete(self.header(request), API_USER, self.emulator.now())
        return json_response(True)
