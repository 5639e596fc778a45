"""The private admin API every emulator serves under ``/_emulator/``.

It is never part of a vendor's surface: it needs no vendor credentials, no fault ever hits it,
and its requests are not counted. Tests and benchmarks use it to read the whole catalog with
each image's sha256, to reset or reseed it, to change images the way a vendor user would (to
drive incremental syncs), to read request counters and to turn fault knobs at run time.

| route | does |
|---|---|
| ``GET /_emulator`` | vendor, faults, knobs, catalog size |
| ``GET /_emulator/catalog`` | owners and images (with sha256 and the vendor's own view) |
| ``GET /_emulator/images/{id}`` / ``.../bytes`` | one image / its stored bytes |
| ``POST /_emulator/images`` | add ``{owner?, filename?, data_base64?, format?, fields?}`` |
| ``PATCH /_emulator/images/{id}`` | edit ``{"fields"?, "data_base64"?, "regenerate"?}`` |
| ``DELETE /_emulator/images/{id}`` | delete as a vendor user would |
| ``POST /_emulator/owners`` | add an owner ``{"fields"?}`` |
| ``POST /_emulator/reset`` | empty the catalog, then ``{"seed"?, "owners"?, "seed_value"?}`` |
| ``GET``/``DELETE /_emulator/stats`` | request counters per route and status / zero them |
| ``GET``/``PATCH /_emulator/faults`` and ``/_emulator/knobs`` | read / change knobs |
"""

from __future__ import annotations

import base64
import binascii
import random
from collections import Counter
from dataclasses import asdict
from typing import Any, Protocol

from aiohttp import web

from syncer.emulators.faults import FaultInjector, with_changes
from syncer.emulators.images import generate, sniff_format
from syncer.emulators.shared import ADMIN_PREFIX, AdminError, Credentials, json_response
from syncer.emulators.store import CatalogStore, Owner, StoredImage


class AdminHost(Protocol):
    """What the admin API uses of an emulator (:class:`~syncer.emulators.base.VendorEmulator`)."""

    knobs: Any

    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def accepted_formats(self) -> tuple[str, ...]: ...

    @property
    def store(self) -> CatalogStore: ...

    @property
    def faults(self) -> FaultInjector: ...

    @property
    def requests(self) -> Counter[tuple[str, str, int]]: ...

    @property
    def injected(self) -> Counter[str]: ...

    def credentials(self) -> Credentials: ...

    def vendor_view(self, request: web.Request, image: StoredImage) -> Any: ...

    def admin_add(
        self, owner: Owner, filename: str, data: bytes, fields: dict[str, Any]
    ) -> StoredImage: ...

    def admin_edit(
        self, image: StoredImage, fields: dict[str, Any], data: bytes | None
    ) -> StoredImage: ...

    def admin_delete(self, image: StoredImage) -> None: ...

    def admin_add_owner(self, fields: dict[str, Any]) -> Owner: ...

    def seed(self, count: int, owners: int | None = None, seed_value: int = 0) -> None: ...


def add_admin_routes(app: web.Application, emulator: AdminHost) -> None:
    admin = AdminApi(emulator)
    p = ADMIN_PREFIX
    app.router.add_get(p, admin.info)
    app.router.add_get(p + "/catalog", admin.catalog)
    app.router.add_post(p + "/images", admin.add_image)
    app.router.add_get(p + "/images/{id}", admin.get_image)
    app.router.add_get(p + "/images/{id}/bytes", admin.get_bytes)
    app.router.add_patch(p + "/images/{id}", admin.edit_image)
    app.router.add_delete(p + "/images/{id}", admin.delete_image)
    app.router.add_post(p + "/owners", admin.add_owner)
    app.router.add_post(p + "/reset", admin.reset)
    app.router.add_get(p + "/stats", admin.stats)
    app.router.add_delete(p + "/stats", admin.clear_stats)
    app.router.add_get(p + "/faults", admin.get_faults)
    app.router.add_patch(p + "/faults", admin.set_faults)
    app.router.add_get(p + "/knobs", admin.get_knobs)
    app.router.add_patch(p + "/knobs", admin.set_knobs)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise AdminError(400, "malformed JSON body") from None
    if not isinstance(body, dict):
        raise AdminError(400, "the body must be a JSON object")
    return body


def _decode(body: dict[str, Any], formats: tuple[str, ...]) -> bytes | None:
    """Bytes from ``data_base64``, or freshly generated ones when ``regenerate``/no data."""
    if "data_base64" in body:
        try:
            return base64.b64decode(body["data_base64"], validate=True)
        except (binascii.Error, TypeError):
            raise AdminError(400, "data_base64 is not valid Base64") from None
    if body.get("regenerate") or "format" in body:
        fmt = body.get("format")
        chosen = (fmt,) if isinstance(fmt, str) else formats
        return generate(random.Random(), chosen).data
    return None


class AdminApi:
    def __init__(self, emulator: AdminHost) -> None:
        self.emulator = emulator
        self.store = emulator.store

    def view(self, request: web.Request, image: StoredImage) -> dict[str, Any]:
        data = asdict(image)
        data.pop("seq")
        data["vendor"] = self.emulator.vendor_view(request, image)
        return data

    def _image(self, request: web.Request) -> StoredImage:
        image = self.store.image(request.match_info["id"])
        if image is None:
            raise AdminError(404, f"no image {request.match_info['id']!r}")
        return image

    async def info(self, request: web.Request) -> web.Response:
        e = self.emulator
        return json_response(
            {
                "vendor": e.name,
                "title": e.title,
                "images": len(self.store),
                "owners": len(self.store.owners),
                "faults": e.faults.config.to_json(),
                "knobs": asdict(e.knobs),
                "credentials": dict(e.credentials().lines),
            }
        )

    async def catalog(self, request: web.Request) -> web.Response:
        owners = [{"id": o.id, "kind": o.kind, "fields": o.fields} for o in self.store.owners_of()]
        images = [self.view(request, image) for image in self.store.iter_images()]
        return json_response({"vendor": self.emulator.name, "owners": owners, "images": images})

    async def get_image(self, request: web.Request) -> web.Response:
        return json_response(self.view(request, self._image(request)))

    async def get_bytes(self, request: web.Request) -> web.Response:
        image = self._image(request)
        if not image.sha256:
            raise AdminError(404, f"image {image.id!r} has no bytes yet")
        return web.Response(body=self.store.data(image), content_type=image.mime)

    async def add_image(self, request: web.Request) -> web.Response:
        body = await _body(request)
        owners = self.store.owners_of()
        owner_id = body.get("owner") or (owners[0].id if owners else None)
        owner = self.store.owners.get(str(owner_id)) if owner_id is not None else None
        if owner is None:
            raise AdminError(404, f"no owner {owner_id!r}; add one with POST {ADMIN_PREFIX}/owners")
        data = _decode(body, self.emulator.accepted_formats)
        if data is None:
            data = generate(random.Random(), self.emulator.accepted_formats).data
        fmt = sniff_format(data) or "bin"
        filename = body.get("filename") or f"admin-{len(self.store) + 1}.{fmt}"
        image = self.emulator.admin_add(owner, filename, data, body.get("fields") or {})
        return json_response(self.view(request, image), status=201)

    async def edit_image(self, request: web.Request) -> web.Response:
        image = self._image(request)
        body = await _body(request)
        data = _decode(body, self.emulator.accepted_formats)
        edited = self.emulator.admin_edit(image, body.get("fields") or {}, data)
        return json_response(self.view(request, edited))

    async def delete_image(self, request: web.Request) -> web.Response:
        image = self._image(request)
        self.emulator.admin_delete(image)
        return json_response({"deleted": image.id})

    async def add_owner(self, request: web.Request) -> web.Response:
        owner = self.emulator.admin_add_owner((await _body(request)).get("fields") or {})
        return json_response(
            {"id": owner.id, "kind": owner.kind, "fields": owner.fields}, status=201
        )

    async def reset(self, request: web.Request) -> web.Response:
        body = await _body(request)
        self.store.clear()
        count = int(body.get("seed", 0))
        if count or body.get("owners"):
            self.emulator.seed(count, body.get("owners"), int(body.get("seed_value", 0)))
        return json_response({"images": len(self.store), "owners": len(self.store.owners)})

    async def stats(self, request: web.Request) -> web.Response:
        rows = [
            {"method": m, "route": r, "status": s, "count": n}
            for (m, r, s), n in sorted(self.emulator.requests.items())
        ]
        return json_response(
            {
                "requests": rows,
                "total": sum(self.emulator.requests.values()),
                "injected": dict(self.emulator.injected),
            }
        )

    async def clear_stats(self, request: web.Request) -> web.Response:
        self.emulator.requests.clear()
        self.emulator.injected.clear()
        return json_response({"cleared": True})

    async def get_faults(self, request: web.Request) -> web.Response:
        return json_response(self.emulator.faults.config.to_json())

    async def set_faults(self, request: web.Request) -> web.Response:
        try:
            config = self.emulator.faults.config.updated(await _body(request))
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        self.emulator.faults.configure(config)
        return json_response(config.to_json())

    async def get_knobs(self, request: web.Request) -> web.Response:
        return json_response(asdict(self.emulator.knobs))

    async def set_knobs(self, request: web.Request) -> web.Response:
        try:
            self.emulator.knobs = with_changes(self.emulator.knobs, await _body(request))
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        return json_response(asdict(self.emulator.knobs))
