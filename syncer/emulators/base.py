"""The base every vendor emulator builds on.

A vendor emulator is a :class:`VendorEmulator` subclass: it adds the vendor's routes, answers
errors in the vendor's shape, and knows how to seed and mutate its catalog "the way a user of the
vendor would". The base supplies the catalog store, the fault knobs, request counters and the
private admin API under ``/_emulator/`` (see :mod:`syncer.emulators.admin`).
"""

from __future__ import annotations

import json
import math
import random
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import anyio
from aiohttp import web

from syncer.emulators.admin import add_admin_routes
from syncer.emulators.faults import FaultConfig, FaultInjector, with_changes
from syncer.emulators.images import GeneratedImage, generate
from syncer.emulators.shared import ADMIN_PREFIX as ADMIN_PREFIX
from syncer.emulators.shared import AdminError as AdminError
from syncer.emulators.shared import Credentials as Credentials
from syncer.emulators.shared import json_response as json_response
from syncer.emulators.store import CatalogStore, Owner, StoredImage

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: The status the request counters record for a connection reset without an answer.
RESET = 0
#: Seeded catalogs are dated from here, one image a minute, so they are reproducible.
SEED_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class EmulatedError(Exception):
    """Raised by a vendor handler to answer with an error in the vendor's own shape.

    ``body`` replaces the vendor's standard error body when the vendor documents a special one for
    this case (Moov's 422 ``{"image": ...}``, say).
    """

    def __init__(
        self, status: int, message: str, *, body: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body
        self.headers = headers or {}


@dataclass(slots=True)
class NoKnobs:
    """Vendors without knobs of their own."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class VendorEmulator(ABC):
    """An aiohttp.web application faithful to one vendor's image API."""

    name: ClassVar[str]
    title: ClassVar[str]
    default_port: ClassVar[int]
    #: The job-file connection keys (TOML lines) of this emulator's fixed demo credentials, for
    #: job files written against it (tests, benchmarks): e.g. ``'api_key = "demo"\n'``.
    demo_connection: ClassVar[str]
    #: Image formats the vendor accepts, as named in :mod:`syncer.emulators.images`.
    accepted_formats: ClassVar[tuple[str, ...]] = ("png", "jpeg", "webp", "gif")
    default_owners: ClassVar[int] = 10
    knobs_type: ClassVar[type[Any]] = NoKnobs
    #: Set by :meth:`seed_pooled` while it seeds: how many distinct images to generate.
    _seed_distinct: int | None = None

    def __init__(
        self,
        store: CatalogStore | None = None,
        faults: FaultConfig | None = None,
        knobs: dict[str, Any] | None = None,
    ) -> None:
        self.store = store if store is not None else CatalogStore()
        self.faults = FaultInjector(faults or FaultConfig())
        self.knobs: Any = with_changes(self.knobs_type(), knobs or {})
        self.requests: Counter[tuple[str, str, int]] = Counter()
        self.injected: Counter[str] = Counter()

    # -- the application -----------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._observe], client_max_size=64 * 1024 * 1024)
        add_admin_routes(app, self)
        self.add_routes(app.router)
        app.on_cleanup.append(self._close)
        return app

    async def _close(self, _app: web.Application) -> None:
        self.store.close()

    @web.middleware
    async def _observe(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == ADMIN_PREFIX or request.path.startswith(ADMIN_PREFIX + "/"):
            try:
                return await handler(request)
            except AdminError as exc:
                return json_response({"error": exc.message}, status=exc.status)
        status = RESET
        try:
            response = await self._answer(request, handler)
            status = response.status
            return response
        finally:
            self.requests[(request.method, route_of(request), status)] += 1

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await self._inject(request)
        if response is None:
            try:
                response = await handler(request)
            except EmulatedError as exc:
                response = self._error(request, exc)
            except web.HTTPException as exc:
                if exc.status < 400:
                    raise
                refusal = EmulatedError(exc.status, exc.reason, headers=_kept_headers(exc))
                response = self._error(request, refusal)
            response = self._lose(request, response)
        if response.status != RESET:
            self.decorate(request, response)
        return response

    async def _inject(self, request: web.Request) -> web.StreamResponse | None:
        """The injected fault for this request, or None to let the vendor answer."""
        delay = self.faults.delay()
        if delay:
            await anyio.sleep(delay)
        if self.faults.reset():
            self.injected["reset"] += 1
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=RESET)  # never sent: the connection is gone
        retry_after = self.faults.retry_after()
        if retry_after is not None:
            self.injected["rate_limited"] += 1
            return self.rate_limited_response(request, retry_after)
        if self.faults.in_maintenance() and self.maintenance_applies(request):
            self.injected["maintenance"] += 1
            refusal = self.maintenance_error()
            left = self.faults.maintenance_left()
            if left is not None and "Retry-After" in refusal.headers:
                refusal.headers["Retry-After"] = str(max(1, math.ceil(left)))
            return self._error(request, refusal)
        status = self.faults.error_status()
        if status is not None:
            self.injected["error"] += 1
            return self._error(request, EmulatedError(status, "injected server error"))
        if self.faults.garbage():
            self.injected["garbage"] += 1
            return web.Response(text='{"truncated": [1, 2', content_type="application/json")
        return None

    def _lose(self, request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        """Drop the answer of an applied write (``lost_answer``): the change stays made."""
        if request.method in ("GET", "HEAD") or response.status >= 400:
            return response
        if not self.faults.lose_answer():
            return response
        self.injected["lost_answer"] += 1
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=RESET)  # never sent: the connection is gone

    def _error(self, request: web.Request, exc: EmulatedError) -> web.Response:
        if exc.body is not None:
            response = json_response(exc.body, status=exc.status)
        else:
            response = self.error_response(request, exc.status, exc.message)
        response.headers.update(exc.headers)
        return response

    # -- vendor hooks --------------------------------------------------------------------------

    @abstractmethod
    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Register the vendor's routes."""

    @abstractmethod
    def error_response(self, request: web.Request, status: int, message: str) -> web.Response:
        """An error answer in the vendor's own shape."""

    @abstractmethod
    def credentials(self) -> Credentials:
        """The credentials this emulator accepts, for ``syncer emulate`` to print."""

    def rate_limited_response(self, request: web.Request, retry_after: int) -> web.Response:
        response = self.error_response(request, 429, "rate limit exceeded, retry later")
        response.headers["Retry-After"] = str(retry_after)
        return response

    def maintenance_applies(self, request: web.Request) -> bool:
        """Whether a maintenance window refuses this request (default: every request)."""
        return True

    def maintenance_error(self) -> EmulatedError:
        return EmulatedError(
            503, "service under maintenance, retry later", headers={"Retry-After": "5"}
        )

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:  # noqa: B027
        """Add headers the vendor sends on every response (rate-limit headers, request ids)."""

    # -- seeding and admin mutations -----------------------------------------------------------

    @abstractmethod
    def seed_owner(self, index: int, rng: random.Random) -> Owner:
        """The ``index``-th seeded owner (not yet stored)."""

    @abstractmethod
    def seed_image(
        self, owner: Owner, image: GeneratedImage, index: int, rng: random.Random, when: datetime
    ) -> StoredImage:
        """A stored image made from a generated one, for seeding (bytes already in the store)."""

    @abstractmethod
    def admin_add(
        self, owner: Owner, filename: str, data: bytes, fields: dict[str, Any]
    ) -> StoredImage:
        """Add an image as a user of the vendor's own UI would."""

    @abstractmethod
    def admin_edit(
        self, image: StoredImage, fields: dict[str, Any], data: bytes | None
    ) -> StoredImage:
        """Change an image's metadata and/or bytes as a vendor user would; returns the result
        (which may have a new id where the vendor cannot change bytes in place)."""

    @abstractmethod
    def admin_delete(self, image: StoredImage) -> None:
        """Delete an image as a vendor user would (soft where the vendor deletes softly)."""

    def admin_add_owner(self, fields: dict[str, Any]) -> Owner:
        """Add an owner; by default the next seeded owner with ``fields`` merged in."""
        index = len(self.store.owners)
        owner = self.seed_owner(index, random.Random(f"{self.name}-owner-{index}"))
        owner.fields.update(fields)
        return self.store.put_owner(owner)

    def vendor_view(self, request: web.Request, image: StoredImage) -> Any:
        """The image as the vendor's API shows it (for the admin catalog)."""
        return None

    def seed(self, count: int, owners: int | None = None, seed_value: int = 0) -> None:
        """Add ``count`` deterministic images spread over ``owners`` new owners."""
        rng = random.Random(seed_value)
        made = [
            self.store.put_owner(self.seed_owner(i, rng))
            for i in range(owners or self.default_owners)
        ]
        distinct = self._seed_distinct
        pool: list[GeneratedImage] = []
        for index in range(count):
            owner = made[index % len(made)]
            if distinct is None:
                generated = generate(rng, self.accepted_formats, large=is_large(index, seed_value))
                self.store.put_blob(generated.data)
            elif index < distinct:
                generated = generate(rng, self.accepted_formats)
                self.store.put_blob(generated.data)
                pool.append(generated)
            else:
                generated = pool[index % distinct]
            when = SEED_EPOCH + (index + 1) * _MINUTE
            self.store.put_image(self.seed_image(owner, generated, index, rng, when))

    def seed_pooled(
        self, count: int, distinct: int, owners: int | None = None, seed_value: int = 0
    ) -> None:
        """:meth:`seed`, generating only ``distinct`` images (for benchmarks of big catalogs).

        Image ``index`` gets the bytes of generated image ``index % distinct``: every image is
        still its own item (own id, metadata, file name and timestamps, made by the vendor's
        ``seed_image``), only the bytes repeat, so a million images seed in a minute or two
        instead of hours. The pool holds small images only (none of several MB). Meant for
        vendors that accept repeated bytes (not Moov within one account).
        """
        if distinct < 1:
            raise ValueError(f"distinct must be at least 1, got {distinct}")
        self._seed_distinct = distinct
        try:
            self.seed(count, owners, seed_value)  # a vendor's own seed() still applies
        finally:
            self._seed_distinct = None

    # -- helpers for vendor handlers -----------------------------------------------------------

    def new_image(
        self,
        *,
        id: str,
        owner: str,
        filename: str,
        data: bytes,
        mime: str,
        fields: dict[str, Any],
        when: datetime | None = None,
    ) -> StoredImage:
        """A StoredImage for ``data`` (stored as a blob), not yet saved to the catalog."""
        stamp = iso(when or utcnow())
        digest = self.store.put_blob(data)
        return StoredImage(
            id=id,
            owner=owner,
            filename=filename,
            mime=mime,
            size=len(data),
            sha256=digest,
            created_at=stamp,
            updated_at=stamp,
            fields=fields,
        )


_MINUTE = SEED_EPOCH.replace(minute=1) - SEED_EPOCH


def is_large(index: int, seed_value: int) -> bool:
    """A few seeded images are several MB: one in every hundred, at a seed-dependent offset."""
    return index % 100 == (seed_value % 97 + 3) % 100


def _kept_headers(exc: web.HTTPException) -> dict[str, str]:
    """Headers of aiohttp's own error worth keeping in the vendor's answer (``Allow`` on a 405)."""
    return {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")}


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` and milliseconds."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def route_of(request: web.Request) -> str:
    """The route template that matched (``/accounts/{accountID}/images``), for the counters."""
    info = request.match_info
    resource = info.route.resource if info is not None and info.route is not None else None
    return resource.canonical if resource is not None else "<unmatched>"


async def read_json(request: web.Request) -> Any:
    """The request's JSON body; malformed JSON raises a 400 in the vendor's shape."""
    raw = await request.read()
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EmulatedError(400, f"malformed JSON body: {exc}") from None
