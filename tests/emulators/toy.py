"""A minimal vendor built on the emulator base, to test the base without any real vendor."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from aiohttp import web

from syncer.emulators.base import (
    Credentials,
    EmulatedError,
    VendorEmulator,
    iso,
    json_response,
    read_json,
    utcnow,
)
from syncer.emulators.images import MIME, GeneratedImage, sniff_format
from syncer.emulators.store import Owner, StoredImage


class ToyEmulator(VendorEmulator):
    name = "toy"
    title = "Toy"
    default_port = 0
    accepted_formats = ("png", "jpeg")
    default_owners = 2
    #: Bodies of the creates the toy applied, so a test can see a write whose answer was lost.
    created: list[Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.created = []

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/items", self.list_items)
        router.add_get("/items/{id}", self.get_item)
        router.add_post("/items", self.create_item)

    def error_response(self, request: web.Request, status: int, message: str) -> web.Response:
        return json_response({"problem": message}, status=status)

    def credentials(self) -> Credentials:
        return Credentials((("token", "toy"),))

    def maintenance_applies(self, request: web.Request) -> bool:
        return request.method != "GET"

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Toy"] = "1"

    def seed_owner(self, index: int, rng: random.Random) -> Owner:
        return Owner(id=f"o{index}", kind="box", fields={"name": f"Box {index}"})

    def seed_image(
        self, owner: Owner, image: GeneratedImage, index: int, rng: random.Random, when: datetime
    ) -> StoredImage:
        return self.new_image(
            id=f"i{index}",
            owner=owner.id,
            filename=f"{index}.{image.extension}",
            data=image.data,
            mime=image.mime,
            fields={"alt": ""},
            when=when,
        )

    def admin_add(
        self, owner: Owner, filename: str, data: bytes, fields: dict[str, Any]
    ) -> StoredImage:
        fmt = sniff_format(data) or "png"
        image = self.new_image(
            id=f"i{self.store.next_seq()}",
            owner=owner.id,
            filename=filename,
            data=data,
            mime=MIME[fmt],
            fields=dict(fields),
        )
        return self.store.put_image(image)

    def admin_edit(
        self, image: StoredImage, fields: dict[str, Any], data: bytes | None
    ) -> StoredImage:
        image.fields.update(fields)
        if data is not None:
            image.sha256 = self.store.put_blob(data)
            image.size = len(data)
        image.updated_at = iso(utcnow())
        return self.store.put_image(image)

    def admin_delete(self, image: StoredImage) -> None:
        self.store.remove_image(image.id)

    async def list_items(self, request: web.Request) -> web.Response:
        return json_response([i.id for i in self.store.iter_images()])

    async def get_item(self, request: web.Request) -> web.Response:
        image = self.store.image(request.match_info["id"])
        if image is None:
            raise EmulatedError(404, "Item not found")
        return json_response({"id": image.id, "sha256": image.sha256})

    async def create_item(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        self.created.append(body)
        return json_response(body, status=201)
