"""Helpers for the BeProduct emulator tests: a raw HTTP client and the official SDK's setup."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from beproduct.sdk import BeProduct

from syncer.emulators.images import generate

SEEDED = 12
FOLDERS = 3
#: A well-formed GUID no header, folder or upload has.
MISSING = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


@dataclass
class Reply:
    status: int
    headers: Any
    body: Any
    text: str


@dataclass
class Api:
    """A raw HTTP client for the emulator's vendor surface, with an issued bearer token."""

    base: str
    session: aiohttp.ClientSession
    token: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base}{path}"

    async def call(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> Reply:
        headers = dict(kwargs.pop("headers", {}))
        if auth and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        async with self.session.request(
            method, self.url(path), headers=headers, **kwargs
        ) as response:
            raw = await response.read()
            text = raw.decode("utf-8", errors="replace")
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            return Reply(response.status, response.headers, body, text)

    async def get(self, path: str, **kwargs: Any) -> Reply:
        return await self.call("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Reply:
        return await self.call("POST", path, **kwargs)

    async def page(
        self, page_number: int = 0, page_size: int = 30, filters: Any = None, query: str = ""
    ) -> Reply:
        path = (
            f"/api/demo/Image/Headers?folderId=&pageSize={page_size}"
            f"&pageNumber={page_number}{query}"
        )
        return await self.post(path, json={"filters": filters or [], "colorwayFilters": None})

    async def upload(
        self, header_id: str, data: bytes, filename: str = "new.png", suffix: str = ""
    ) -> Reply:
        form = aiohttp.FormData()
        form.add_field("file", data, filename=filename, content_type="application/octet-stream")
        return await self.post(
            f"/api/demo/Image/Header/{header_id}/Image/Upload{suffix}", data=form
        )


async def fetch_token(session: aiohttp.ClientSession, base: str) -> str:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": "demo",
        "client_id": "demo",
        "client_secret": "demo",
    }
    async with session.post(f"{base}/ids/connect/token", data=form) as response:
        assert response.status == 200
        token: str = (await response.json())["access_token"]
        return token


def sdk_client(base: str, cls: type[BeProduct] = BeProduct, **overrides: Any) -> BeProduct:
    options: dict[str, Any] = {
        "client_id": "demo",
        "client_secret": "demo",
        "refresh_token": "demo",
        "company_domain": "demo",
        "token_endpoint": f"{base}/ids/connect/token",
        "public_api_url": base,
    }
    options.update(overrides)
    return cls(**options)


def image_bytes(seed: int = 1, fmt: str = "png") -> bytes:
    return generate(random.Random(seed), (fmt,)).data


def assert_vendor_error(reply: Reply, status: int, text: str) -> None:
    """``reply`` is BeProduct's JSON error ``{"error": true, "message"}`` with ``text`` in it."""
    assert reply.status == status
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.body["error"] is True
    assert text in reply.body["message"]
