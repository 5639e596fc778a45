"""Running the Spiffy client against the emulator, with hooks to misbehave in ways the fault
knobs cannot (a write applied and then the connection lost, an answer without a body)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from syncer.emulators.images import MIME
from syncer.emulators.server import serve
from syncer.emulators.spiffy.emulator import SpiffyEmulator
from syncer.http import RetryPolicy, open_session
from syncer.records import Blob
from syncer.vendors.spiffy.client import SpiffyClient
from syncer.vendors.spiffy.settings import SpiffySettings

FAST = RetryPolicy(attempts=5, base=0.01, cap=0.05)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: A hook sees each vendor request and the real handler; it returns the answer to send.
Hook = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]


class HookedEmulator(SpiffyEmulator):
    """The Spiffy emulator with one test hook in front of the vendor routes."""

    hook: Hook | None = None

    def app(self) -> web.Application:
        app = super().app()

        @web.middleware
        async def hooked(request: web.Request, handler: Handler) -> web.StreamResponse:
            if self.hook is None or request.path.startswith("/_emulator"):
                return await handler(request)
            return await self.hook(request, handler)

        app.middlewares.append(hooked)
        return app


@dataclass
class Rig:
    emulator: HookedEmulator
    url: str
    session: aiohttp.ClientSession
    client: SpiffyClient
    directory: Path
    made: list[Blob] = field(default_factory=list)

    def connect(self, **settings: Any) -> SpiffyClient:
        return connect(self.url, self.session, **settings)

    def blob(self, data: bytes, fmt: str = "png") -> Blob:
        digest = hashlib.sha256(data).hexdigest()
        path = self.directory / digest
        path.write_bytes(data)
        return Blob(path=path, sha256=digest, size=len(data), mime=MIME[fmt])

    def posts(self) -> int:
        return self._count("POST")

    def writes(self) -> int:
        return sum(self._count(method) for method in ("POST", "PUT", "DELETE"))

    def _count(self, method: str) -> int:
        return sum(n for (m, route, _), n in self.emulator.requests.items() if m == method)

    def images_of(self, owner_id: str) -> list[dict[str, Any]]:
        """The owner's images as Spiffy shows them, in position order, with their sha256."""
        images = self.emulator.catalog.images_of(owner_id)
        return [
            {
                "id": image.id,
                "position": image.fields["position"],
                "alt": image.fields["alt"],
                "filename": image.filename,
                "sha256": image.sha256,
            }
            for image in images
        ]


@asynccontextmanager
async def rig(emulator: HookedEmulator, directory: Path, **settings: Any) -> AsyncIterator[Rig]:
    async with serve(emulator) as url, open_session() as session:
        yield Rig(emulator, url, session, connect(url, session, **settings), directory)


def connect(url: str, session: aiohttp.ClientSession, **settings: Any) -> SpiffyClient:
    """A client for the emulator at ``url`` (Basic ``demo``/``demo`` unless told otherwise)."""
    base: dict[str, Any] = {"base_url": url, "api_key": "demo", "password": "demo"}
    base.update(settings)
    return SpiffyClient(SpiffySettings(**base), session, retry=FAST)


def is_create(request: web.Request) -> bool:
    return request.method == "POST" and request.path.endswith("/images.json")


def json_answer(body: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(body), status=status, content_type="application/json")
