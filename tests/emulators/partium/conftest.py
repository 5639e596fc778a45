"""Fixtures for the Partium emulator tests: a seeded emulator served on loopback, an aiohttp
session that presents the API key, and a raw multipart builder (full control over each part)."""

from __future__ import annotations

import copy
import io
import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from PIL import Image

from syncer.emulators.images import render
from syncer.emulators.partium.emulator import PartiumEmulator
from syncer.emulators.server import serve
from syncer.emulators.store import CatalogStore

AUTH = {"Authorization": "Bearer demo"}
#: 25 images over 3 part types; seed value 90 puts its one large image at index 93, past the end.
SEEDED_IMAGES = 25
SEEDED_PARTS = 3
SEED_VALUE = 90
BOUNDARY = "partium-test-boundary"


def jpeg(seed: int = 0, size: tuple[int, int] = (32, 24)) -> bytes:
    """A small real JPEG, different for every seed."""
    return render(random.Random(seed), "jpeg", *size)


def png(seed: int = 0) -> bytes:
    return render(random.Random(seed), "png", 20, 20)


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (8, 8)).save(out, "GIF")
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class Part:
    """One multipart part: ``filename=None`` sends a plain form field."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None


def multipart(parts: list[Part], boundary: str = BOUNDARY) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body and its Content-Type, built byte by byte."""
    out = io.BytesIO()
    for part in parts:
        disposition = f'form-data; name="{part.name}"'
        if part.filename is not None:
            disposition += f'; filename="{part.filename}"'
        out.write(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode())
        if part.content_type:
            out.write(f"Content-Type: {part.content_type}\r\n".encode())
        out.write(b"\r\n" + part.data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def images_part(entries: Any) -> Part:
    """The ``images`` field as in the vendor's HTTP example (JSON with its Content-Type)."""
    return Part("images", json.dumps(entries).encode(), content_type="application/json")


def file_part(data: bytes, filename: str | None, content_type: str = "image/jpeg") -> Part:
    return Part("files", data, filename, content_type)


class Api:
    """The emulator's base URL and an authorised session, with shortcuts for the common calls."""

    def __init__(
        self, base: str, session: aiohttp.ClientSession, emulator: PartiumEmulator
    ) -> None:
        self.base = base
        self.session = session
        self.emulator = emulator

    async def upsert(self, parts: list[Part]) -> tuple[int, Any]:
        """Status and decoded JSON of a multipart upsert made of ``parts``."""
        body, content_type = multipart(parts)
        async with self.session.post(
            self.base + "/1/catalog/images", data=body, headers={"Content-Type": content_type}
        ) as response:
            return response.status, await response.json(content_type=None)

    async def call(
        self, method: str, path: str, body: Any = None, raw: bytes | None = None
    ) -> tuple[int, Any]:
        """Status and decoded JSON of one call (``raw`` sends bytes instead of ``body``)."""
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        async with self.session.request(method, self.base + path, data=data) as response:
            return response.status, await response.json(content_type=None)

    async def original(self, image_id: str) -> tuple[bytes, str]:
        """The bytes and Content-Type of ``GET /1/catalog/images/{image_id}/original``."""
        url = f"{self.base}/1/catalog/images/{image_id}/original"
        async with self.session.get(url) as response:
            assert response.status == 200
            return await response.read(), response.headers["Content-Type"]

    async def list_all(self, limit: int, **query: Any) -> list[dict[str, Any]]:
        """Every description, following the keyset cursor until ``more_data`` is false."""
        seen: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            body = {"paging": {"limit": limit, "last_object_id": cursor}, **query}
            status, page = await self.call("POST", "/1/catalog/images/list", body)
            assert status == 200, page
            seen += page["result"]
            if not page["more_data"]:
                return seen
            assert page["last_object_id"] != cursor, "cursor repeated"
            cursor = page["last_object_id"]


@pytest.fixture(scope="session")
def seeded_store() -> CatalogStore:
    """One seeded catalog per session (seeding renders images), copied into each test."""
    template = PartiumEmulator()
    template.seed(SEEDED_IMAGES, SEEDED_PARTS, SEED_VALUE)
    return template.store


@pytest.fixture
def emulator(seeded_store: CatalogStore) -> PartiumEmulator:
    """A fresh emulator holding a private copy of the seeded catalog."""
    store = CatalogStore()
    for owner in seeded_store.owners_of():
        store.put_owner(copy.deepcopy(owner))
    for image in seeded_store.iter_images():
        store.put_blob(seeded_store.data(image))
        store.put_image(copy.deepcopy(image))
    for key, value in seeded_store.meta.items():
        store.set_meta(key, copy.deepcopy(value))
    return PartiumEmulator(store)


@pytest.fixture
async def api(emulator: PartiumEmulator) -> AsyncIterator[Api]:
    async with (
        serve(emulator) as base,
        aiohttp.ClientSession(headers=AUTH) as session,
    ):
        yield Api(base, session, emulator)
