"""A faithful local emulator of BeProduct's image library API ("Image headers").

Served surface (see ``docs/emulators/beproduct.md``):

* ``POST /ids/connect/token``: the identity server's refresh-token grant;
* ``/api/{company_domain}/...``: folders, schemas, header search/get/create/update/delete,
  two-stage uploads with processing status, ``ratelimit/status``; paths match
  case-insensitively and need ``Authorization: Bearer <token>``;
* ``/files/{company_domain}/{images|previews}/...``: the bytes behind ``preview.origin`` URLs.
"""

from __future__ import annotations

import functools
import math
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any

from aiohttp import web

from syncer.emulators.base import (
    Credentials,
    EmulatedError,
    Handler,
    VendorEmulator,
    iso,
    json_response,
)
from syncer.emulators.beproduct import seeding
from syncer.emulators.beproduct.auth import TokenIssuer, bearer_token, token_endpoint
from syncer.emulators.beproduct.catalog import (
    FOLDER_KIND,
    UI_USER,
    HeaderCatalog,
    attach_version,
)
from syncer.emulators.beproduct.knobs import (
    CLIENT_ID,
    CLIENT_SECRET,
    COMPANY_DOMAIN,
    REFRESH_TOKEN,
    TOKEN_PATH,
    BeProductKnobs,
)
from syncer.emulators.beproduct.ratelimit import RateWindows
from syncer.emulators.beproduct.routes_headers import HeaderRoutes
from syncer.emulators.beproduct.routes_uploads import UploadRoutes
from syncer.emulators.beproduct.routing import api_path, ci_segments
from syncer.emulators.beproduct.schema import HEADER_NAME, HEADER_NUMBER, clean_values
from syncer.emulators.beproduct.uploads import UploadProcessor, extension_for, identify
from syncer.emulators.beproduct.views import files_base, header_view
from syncer.emulators.faults import FaultConfig
from syncer.emulators.images import GeneratedImage
from syncer.emulators.store import CatalogStore, Owner, StoredImage

_OAUTH_CODES = {
    400: "invalid_request",
    401: "invalid_client",
    429: "slow_down",
    503: "temporarily_unavailable",
}
_DENIED = "Authorization has been denied for this request."


class BeProductEmulator(VendorEmulator):
    """BeProduct's image headers, folders, uploads and identity server."""

    name = "beproduct"
    title = "BeProduct"
    default_port = 8101
    demo_connection = (
        'company_domain = "demo"\nclient_id = "demo"\nclient_secret = "demo"\n'
        'refresh_token = "demo"\n'
    )
    knobs_type = BeProductKnobs
    knobs: BeProductKnobs

    def __init__(
        self,
        store: CatalogStore | None = None,
        faults: FaultConfig | None = None,
        knobs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(store, faults, knobs)
        #: Wall-clock seconds; tests replace it to expire tokens or move rate windows.
        self.clock: Callable[[], float] = time.time
        self.catalog = HeaderCatalog(self.store)
        self.tokens = TokenIssuer(lambda: self.clock())
        self.windows = RateWindows(lambda: self.clock())
        self.uploads = UploadProcessor(self.store, self.catalog)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # -- routes --------------------------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/" + "/".join(ci_segments(TOKEN_PATH.strip("/").split("/"))), self.token)
        HeaderRoutes(self).register(router, self.guard)
        UploadRoutes(self).register(router, self.guard)
        router.add_get(api_path("ratelimit/status"), self.guard(self.ratelimit_status))

    def guard(self, handler: Handler) -> Handler:
        """Wrap an ``/api/{domain}/`` handler: bearer token, company domain, rate windows."""

        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            self.authorize(request)
            if request.match_info["domain"].lower() != COMPANY_DOMAIN:
                raise EmulatedError(404, f"Company '{request.match_info['domain']}' not found")
            self.windows.hit()
            self.enforce_windows()
            return await handler(request)

        return guarded

    def authorize(self, request: web.Request) -> None:
        token = bearer_token(request)
        static = self.knobs.static_token
        if token is None or not (self.tokens.accepts(token) or (static and token == static)):
            raise EmulatedError(401, _DENIED, headers={"WWW-Authenticate": "Bearer"})

    def limits(self) -> dict[str, int]:
        k = self.knobs
        return {
            "per_minute": k.ratelimit_per_minute,
            "per_hour": k.ratelimit_per_hour,
            "per_day": k.ratelimit_per_day,
        }

    def enforce_windows(self) -> None:
        if not self.knobs.enforce_ratelimit:
            return
        state = self.windows.exhausted(self.limits())
        if state is not None:
            wait = self.windows.seconds_until(state.reset_at)
            raise EmulatedError(
                429,
                "rate limit exceeded",
                headers={"Retry-After": str(wait)},
                body=throttle_body(wait, state.name, state.limit),
            )

    async def token(self, request: web.Request) -> web.Response:
        return await token_endpoint(request, self.tokens, self.knobs)

    async def ratelimit_status(self, request: web.Request) -> web.Response:
        return json_response({s.name: s.to_json() for s in self.windows.states(self.limits())})

    def header_json(self, request: web.Request, image: StoredImage) -> dict[str, Any]:
        return header_view(image, self.catalog.folder(image.owner), files_base(request))

    # -- vendor hooks --------------------------------------------------------------------------

    def error_response(self, request: web.Request, status: int, message: str) -> web.Response:
        """``{"error": true, "message"}``; the identity server answers OAuth2 errors instead."""
        if is_token_path(request):
            code = _OAUTH_CODES.get(status, "server_error")
            return json_response({"error": code}, status=status)
        return json_response({"error": True, "message": message}, status=status)

    def credentials(self) -> Credentials:
        lines = [
            ("company domain", COMPANY_DOMAIN),
            ("client id", CLIENT_ID),
            ("client secret", CLIENT_SECRET),
            ("refresh token", REFRESH_TOKEN),
            ("token endpoint", "{base_url}" + TOKEN_PATH),
            ("public api url", "{base_url}"),
        ]
        if self.knobs.static_token:
            lines.append(("static bearer token", self.knobs.static_token))
        return Credentials(tuple(lines))

    def rate_limited_response(self, request: web.Request, retry_after: int) -> web.Response:
        limit = max(1, math.ceil(self.faults.config.rate_limit))
        return json_response(
            throttle_body(retry_after, "per_second", limit),
            status=429,
            headers={"Retry-After": str(retry_after)},
        )

    def maintenance_applies(self, request: web.Request) -> bool:
        """Maintenance takes the API down; the identity server and file URLs stay up."""
        return request.path.lower().startswith("/api/")

    def maintenance_error(self) -> EmulatedError:
        return EmulatedError(
            503,
            "BeProduct is under maintenance. Please try again later.",
            headers={"Retry-After": "5"},
        )

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        """``X-RateLimit-*`` on every response (the minute window; exhausted on a 429), and
        ``Date`` from :attr:`clock`, the clock that stamps ``modifiedAt`` (aiohttp's own would
        disagree with the stamps whenever a test moves the clock)."""
        response.headers["Date"] = formatdate(self.clock(), usegmt=True)
        minute = self.windows.states(self.limits())[0]
        remaining, reset = minute.remaining, minute.reset_at
        if response.status == 429:
            wait = int(response.headers.get("Retry-After", "1"))
            remaining, reset = 0, math.ceil(self.clock()) + wait
        response.headers["X-RateLimit-Limit"] = str(minute.limit)
        response.headers["X-RateLimit-Remaining"] = str(remaining)
        response.headers["X-RateLimit-Reset"] = str(reset)

    def vendor_view(self, request: web.Request, image: StoredImage) -> Any:
        return self.header_json(request, image)

    # -- seeding -------------------------------------------------------------------------------

    def seed_owner(self, index: int, rng: random.Random) -> Owner:
        name = seeding.folder_name(index)
        return Owner(
            id=seeding.guid(rng),
            kind=FOLDER_KIND,
            fields={"name": name, "description": f"{name} image library", "active": True},
        )

    def seed_image(
        self, owner: Owner, image: GeneratedImage, index: int, rng: random.Random, when: datetime
    ) -> StoredImage:
        number = index + 1
        name = seeding.header_name(rng)
        values = clean_values(
            {
                HEADER_NUMBER: f"IMG-{number:06d}",
                HEADER_NAME: name,
                "description": f"{name} artwork, seeded #{number}",
                "status": rng.choice(("Active", "Active", "Active", "Inactive")),
                "image_type": rng.choice(("Print", "Graphic", "Photo", "Sketch", "Logo")),
                "keywords": seeding.keywords(rng),
            }
        )
        header = self.catalog.build(seeding.guid(rng), owner, values, UI_USER, when)
        filename = f"{seeding.slug(name)}-{number:06d}.{image.extension}"
        attach_version(
            header, self._version(seeding.guid(rng), filename, image.data, image.mime, when)
        )
        self.catalog.reserve_numbers(number)
        return header

    def _version(
        self, version_id: str, filename: str, data: bytes, mime: str, when: datetime
    ) -> dict[str, Any]:
        stamp = iso(when)
        return {
            "id": version_id,
            "filename": filename,
            "mime": mime,
            "size": len(data),
            "sha256": self.store.put_blob(data),
            "uploadedAt": stamp,
            "processedAt": stamp,
            "position": None,
        }

    # -- admin changes, made as a BeProduct UI user would ------------------------------------

    def admin_add(
        self, owner: Owner, filename: str, data: bytes, fields: dict[str, Any]
    ) -> StoredImage:
        values = clean_values(fields)
        values.setdefault(HEADER_NAME, filename.rsplit(".", 1)[0])
        now = self.now()
        header = self.catalog.create(str(uuid.uuid4()), owner, values, UI_USER, now)
        return self._admin_version(header, filename, data)

    def admin_edit(
        self, image: StoredImage, fields: dict[str, Any], data: bytes | None
    ) -> StoredImage:
        if fields or data is None:
            image = self.catalog.update(image, clean_values(fields), UI_USER, self.now())
        if data is not None:
            image = self._admin_version(image, image.filename, data)
        return image

    def admin_delete(self, image: StoredImage) -> None:
        if not image.deleted:
            self.catalog.delete(image, UI_USER, self.now())

    def _admin_version(self, header: StoredImage, filename: str, data: bytes) -> StoredImage:
        """A UI upload: processed at once (the admin API has no status to poll)."""
        now = self.now()
        mime = identify(data) or "application/octet-stream"
        version_id = str(uuid.uuid4())
        filename = filename or f"{version_id}.{extension_for(mime)}"
        version = self._version(version_id, filename, data, mime, now)
        return self.catalog.add_version(header, version, UI_USER, now)


def throttle_body(retry_after: int, window: str, limit: int) -> dict[str, Any]:
    """The 429 body the TypeScript SDK reads: ``{retryAfterSeconds, window, limit}``."""
    return {"retryAfterSeconds": retry_after, "window": window, "limit": limit}


def is_token_path(request: web.Request) -> bool:
    return request.path.lower().rstrip("/") == TOKEN_PATH
