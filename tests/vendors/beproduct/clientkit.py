"""Helpers for the BeProduct client tests: the emulator with scripted misbehaviour, and a rig
that serves it and builds clients for it."""

from __future__ import annotations

import json
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from syncer.emulators.base import Handler
from syncer.emulators.beproduct.emulator import BeProductEmulator
from syncer.emulators.server import serve
from syncer.http import open_session
from syncer.records import ImageRecord, Page
from syncer.testing.conformance import FAST_RETRY, BlobMaker
from syncer.testing.harness.beproduct import BeProductHarness
from syncer.vendors.beproduct.client import BeProductClient

Action = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]


async def fail_before(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A 500 before the vendor saw the request (nothing applied)."""
    return web.json_response({"error": True, "message": "scripted failure"}, status=500)


async def consume_then_fail(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read the whole body (as a proxy would), then answer 500: nothing applied."""
    await request.read()
    return web.json_response({"error": True, "message": "scripted failure"}, status=500)


async def fail_after(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply the request, then answer 502: the client cannot know it was applied."""
    await handler(request)
    return web.json_response({"error": True, "message": "scripted bad gateway"}, status=502)


async def reset_after(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply the request, then drop the connection without an answer."""
    await handler(request)
    assert request.transport is not None
    request.transport.abort()
    return web.Response(status=500)


def overstate_total(by: int) -> Action:
    """Answer the real page with a ``total`` that overstates by ``by`` (rows deleted meanwhile)."""

    async def action(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        assert isinstance(response, web.Response)
        assert response.text is not None
        body = json.loads(response.text)
        body["total"] += by
        return web.json_response(body)

    return action


async def ignore_page_number(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Serve page 0 whatever page was asked (a server that ignores the cursor)."""
    return await handler(request.clone(rel_url=request.rel_url.update_query(pageNumber="0")))


def answer(body: Any) -> Action:
    async def action(request: web.Request, handler: Handler) -> web.StreamResponse:
        return web.json_response(body)

    return action


@dataclass
class Script:
    """Do ``action`` instead of answering normally, ``times`` times, for matching requests."""

    method: str
    path: str  # a regular expression searched in the lower-cased path
    action: Action
    times: int = 1

    def matches(self, request: web.Request) -> bool:
        return (
            self.times > 0
            and request.method == self.method
            and re.search(self.path, request.path.lower()) is not None
        )


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]


class ScriptedEmulator(BeProductEmulator):
    """The BeProduct emulator (OAuth only, no static token) with scripted misbehaviour."""

    def __init__(self) -> None:
        super().__init__(knobs={"static_token": ""})
        self.scripts: list[Script] = []
        self.seen: list[Seen] = []

    def script(self, method: str, path: str, action: Action, times: int = 1) -> None:
        self.scripts.append(Script(method, path, action, times))

    def app(self) -> web.Application:
        app = super().app()
        app.middlewares.insert(0, self._scripted)
        return app

    @web.middleware
    async def _scripted(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/_emulator"):
            self.seen.append(Seen(request.method, request.path, dict(request.headers)))
        for script in self.scripts:
            if script.matches(request):
                script.times -= 1
                return await script.action(request, handler)
        return await handler(request)

    def hits(self, method: str, path: str) -> int:
        """Requests seen (scripted ones included) with this method and a matching path."""
        return sum(1 for s in self.seen if s.method == method and re.search(path, s.path.lower()))


@dataclass
class Rig:
    """A served emulator, a session and blobs; :meth:`client` builds clients for it."""

    emulator: ScriptedEmulator
    url: str
    session: aiohttp.ClientSession
    blobs: BlobMaker
    harness: BeProductHarness = field(default_factory=BeProductHarness)

    def client(self, **settings: Any) -> BeProductClient:
        chosen = replace(self.harness.settings(self.url), **settings)
        return BeProductClient(chosen, self.session, retry=FAST_RETRY)

    async def catalog(self) -> list[dict[str, Any]]:
        async with self.session.get(f"{self.url}/_emulator/catalog") as response:
            images: list[dict[str, Any]] = (await response.json())["images"]
            return images

    async def live_numbered(self, number: str) -> list[dict[str, Any]]:
        """Live catalog entries whose ``header_number`` is ``number``."""
        return [
            v
            for v in await self.catalog()
            if not v["deleted"] and v["vendor"]["headerNumber"] == number
        ]

    def folder(self) -> str:
        return self.harness.target_owner(self.emulator)


@asynccontextmanager
async def open_rig(tmp_path: Path, seed: int = 0, owners: int = 3) -> AsyncIterator[Rig]:
    emulator = ScriptedEmulator()
    if seed:
        emulator.seed(seed, owners, seed_value=7)
    async with serve(emulator) as url, open_session() as session:
        yield Rig(emulator, url, session, BlobMaker(tmp_path, ("png", "jpeg"), random.Random(9)))


async def list_pages(client: BeProductClient, cursor: dict[str, Any] | None = None) -> list[Page]:
    return [page async for page in client.pages(cursor)]


def records_of(pages: list[Page]) -> list[ImageRecord]:
    return [record for page in pages for record in page.records]


def fields_of(view: dict[str, Any]) -> dict[str, str]:
    """A catalog entry's header fields as ``{id: value}``."""
    return {f["id"]: f["value"] for f in view["vendor"]["headerData"]["fields"]}
