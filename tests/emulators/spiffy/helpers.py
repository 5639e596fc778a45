"""A small raw-HTTP client for the Spiffy emulator tests (Spiffy has no official Python SDK)."""

from __future__ import annotations

import base64
import io
import json
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from PIL import Image

from syncer.emulators.images import render
from syncer.emulators.server import serve
from syncer.emulators.spiffy.emulator import SpiffyEmulator
from syncer.emulators.store import Owner

BASIC = "Basic " + base64.b64encode(b"demo:demo").decode()
BEARER = "Bearer demo"
KINDS = ("products", "standard_collections", "super_collections")
OWNER_KEY = {
    "products": "product_id",
    "standard_collections": "collection_id",
    "super_collections": "collection_id",
}
IMAGE_KEYS = {"id", "position", "alt", "filename", "extension", "digest", "src", "variation_ids"}
#: With this seed value the one large seeded image is index 53, beyond the fixtures.
FAST_SEED_VALUE = 50


def image_bytes(fmt: str = "png", seed: int = 1, size: tuple[int, int] = (32, 24)) -> bytes:
    """A small real image in ``fmt`` (png, jpeg, gif, webp)."""
    return render(random.Random(seed), fmt, *size)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def ruby_encode64(data: bytes) -> str:
    """Base64 as Ruby's ``Base64.encode64`` (the gem's ``attach_image``) writes it."""
    text = b64(data)
    return "".join(text[i : i + 60] + "\n" for i in range(0, len(text), 60))


def webp_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, "WEBP")
    return out.getvalue()


@dataclass
class Reply:
    status: int
    headers: CIMultiDictProxy[str]
    body: Any
    raw: bytes

    @property
    def ratelimit(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.headers["X-Ratelimit"])
        return parsed


class SpiffyApi:
    """Calls the emulator the way a Spiffy API client would, over real HTTP."""

    def __init__(self, session: aiohttp.ClientSession, base: str, emulator: SpiffyEmulator) -> None:
        self.session = session
        self.base = base
        self.emulator = emulator

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        params: dict[str, Any] | None = None,
        auth: str | None = BASIC,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = {"Accept": "application/json", **(headers or {})}
        if auth is not None:
            sent["Authorization"] = auth
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        url = path if path.startswith("http") else self.base + path
        async with self.session.request(
            method, url, data=data, params=params, headers=sent
        ) as response:
            content = await response.read()
            parsed: Any = content.decode(errors="replace")
            if response.content_type == "application/json":
                parsed = json.loads(content)
            return Reply(response.status, response.headers, parsed, content)

    async def get(self, path: str, **params: Any) -> Reply:
        return await self.call("GET", path, params=params or None)

    async def post(self, path: str, body: Any) -> Reply:
        return await self.call("POST", path, body)

    async def put(self, path: str, body: Any) -> Reply:
        return await self.call("PUT", path, body)

    async def delete(self, path: str) -> Reply:
        return await self.call("DELETE", path)

    async def admin(self, method: str, path: str, body: Any = None) -> Reply:
        return await self.call(method, "/_emulator" + path, body, auth=None)

    def owner(self, kind: str, index: int = 0) -> Owner:
        return self.emulator.catalog.owners(kind)[index]

    async def all_images(self, path: str, limit: int = 50) -> list[dict[str, Any]]:
        """Every image of an owner, page by page until a short page."""
        images: list[dict[str, Any]] = []
        page = 1
        while True:
            reply = await self.get(path, limit=limit, page=page)
            assert reply.status == 200, reply.body
            images.extend(reply.body["images"])
            if len(reply.body["images"]) < limit:
                return images
            page += 1


def seeded(
    count: int = 20, owners: int | None = None, seed_value: int = FAST_SEED_VALUE, **knobs: Any
) -> SpiffyEmulator:
    emulator = SpiffyEmulator(knobs=knobs)
    emulator.seed(count, owners, seed_value)
    return emulator


@asynccontextmanager
async def running(emulator: SpiffyEmulator) -> AsyncIterator[SpiffyApi]:
    async with serve(emulator) as base, aiohttp.ClientSession() as session:
        yield SpiffyApi(session, base, emulator)
