"""A faithful local emulator of Moov's Images API (account image library).

Routes (each also with a trailing ``/``), as the official ``moovio-sdk`` calls them:

| route | answers |
|---|---|
| ``GET /accounts/{accountID}/images?skip=&count=`` | 200 JSON array of ImageMetadata |
| ``POST /accounts/{accountID}/images`` | 201 ImageMetadata (multipart ``image`` [+ ``metadata``]) |
| ``GET /accounts/{accountID}/images/{imageID}`` | 200 ImageMetadata |
| ``PUT /accounts/{accountID}/images/{imageID}`` | 200 ImageMetadata (replace the bytes in place) |
| ``DELETE /accounts/{accountID}/images/{imageID}`` | 204 (only disables: sets ``disabledOn``) |
| ``PUT /accounts/{accountID}/images/{imageID}/metadata`` | 200 ImageMetadata (``altText``) |
| ``GET /images/{publicID}?size=WxH`` | 200 resized bytes, ETag; 304 on If-None-Match; public |

``/accounts/*`` needs HTTP Basic ``demo``/``demo`` (or ``Bearer demo``). Every route reads
``X-Moov-Version`` (malformed → 404). See ``docs/emulators/moov.md`` for every choice made.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
import uuid
from datetime import datetime
from typing import Any, ClassVar

import anyio
from aiohttp import web

from syncer.emulators.base import (
    AdminError,
    Credentials,
    EmulatedError,
    VendorEmulator,
    json_response,
    read_json,
)
from syncer.emulators.faults import FaultConfig
from syncer.emulators.images import GeneratedImage, decodes, sniff_format
from syncer.emulators.moov import renditions
from syncer.emulators.moov.auth import is_authorized
from syncer.emulators.moov.catalog import UNSET, MoovLibrary
from syncer.emulators.moov.knobs import MoovKnobs
from syncer.emulators.moov.uploads import (
    ACCEPTED_FORMATS,
    InvalidAltTextError,
    check_alt_text,
    read_upload,
)
from syncer.emulators.moov.versions import (
    DUPLICATE_RETURNS_METADATA,
    HEADER,
    at_least,
    resolve_version,
)
from syncer.emulators.moov.views import (
    ACCOUNT_KIND,
    ALT_TEXT,
    FIRST_ACCOUNT,
    PUBLIC_ID,
    image_metadata,
    origin_of,
    seeded_public_id,
    seeded_uuid,
)
from syncer.emulators.store import CatalogStore, Owner, StoredImage

ACCOUNT_IMAGES = "/accounts/{accountID}/images"
ACCOUNT_IMAGE = ACCOUNT_IMAGES + "/{imageID}"
PUBLIC_IMAGE = "/images/{publicID}"
DUPLICATE_MESSAGE = "duplicate image: the account already has an image with these bytes"
#: Public renditions may be cached, but must be revalidated with their ETag.
RENDITION_CACHE_CONTROL = "public, no-cache"


class MoovEmulator(VendorEmulator):
    """Moov's account image library: Basic auth, ``X-Moov-Version``, replace in place,
    delete-disables, 16 MB and 300-image limits, duplicate bytes refused, public renditions."""

    name = "moov"
    title = "Moov"
    default_port = 8102
    demo_connection = 'username = "demo"\npassword = "demo"\n'
    accepted_formats = ACCEPTED_FORMATS
    default_owners = 1
    knobs_type: ClassVar[type[Any]] = MoovKnobs

    def __init__(
        self,
        store: CatalogStore | None = None,
        faults: FaultConfig | None = None,
        knobs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(store, faults, knobs)
        self.library = MoovLibrary(self)
        self.renditions = renditions.RenditionCache()

    @property
    def moov_knobs(self) -> MoovKnobs:
        knobs: MoovKnobs = self.knobs
        return knobs

    # -- routes --------------------------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        routes = (
            ("GET", ACCOUNT_IMAGES, self.list_images),
            ("POST", ACCOUNT_IMAGES, self.upload_image),
            ("GET", ACCOUNT_IMAGE, self.get_image),
            ("PUT", ACCOUNT_IMAGE, self.replace_image),
            ("DELETE", ACCOUNT_IMAGE, self.delete_image),
            ("PUT", ACCOUNT_IMAGE + "/metadata", self.update_metadata),
            ("GET", PUBLIC_IMAGE, self.get_public),
        )
        for method, path, handler in routes:
            for variant in (path, path + "/"):
                if method == "GET":
                    router.add_get(variant, handler)  # HEAD too, as any web server does
                else:
                    router.add_route(method, variant, handler)

    # -- vendor hooks --------------------------------------------------------------------------

    def error_response(self, request: web.Request, status: int, message: str) -> web.Response:
        response = json_response({"error": message}, status=status)
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="Moov"'
        return response

    def credentials(self) -> Credentials:
        return Credentials(
            (
                ("server_url", "{base_url}"),
                ("basic auth", "username demo, password demo (Moov API key public/secret)"),
                ("bearer", "Authorization: Bearer demo"),
                ("account", FIRST_ACCOUNT),
                (
                    "sdk",
                    "Moov(server_url='{base_url}', "
                    "security=components.Security(username='demo', password='demo'))",
                ),
            )
        )

    def maintenance_applies(self, request: web.Request) -> bool:
        """Maintenance refuses the API; public image links (a CDN) keep serving."""
        return not request.path.startswith("/images/")

    def maintenance_error(self) -> EmulatedError:
        """503 with ``Retry-After``: when a periodic window ends (whole seconds, at least 1),
        else (an open-ended ``maintenance``) 5 s. Announcing 5 s for a window that ends sooner
        kept clients waiting, in step with windows recurring every 1 or 5 s, needlessly."""
        error = super().maintenance_error()
        config = self.faults.config
        if not config.maintenance and config.maintenance_every > 0:
            phase = (time.monotonic() - self.faults.started) % config.maintenance_every
            left = max(1, math.ceil(config.maintenance_for - phase))
            error.headers["Retry-After"] = str(left)
        return error

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Request-Id"] = str(uuid.uuid4())

    def vendor_view(self, request: web.Request, image: StoredImage) -> Any:
        return image_metadata(image, origin_of(request))

    # -- seeding -------------------------------------------------------------------------------

    def seed_owner(self, index: int, rng: random.Random) -> Owner:
        account_id = FIRST_ACCOUNT if index == 0 else seeded_uuid(rng)
        return Owner(
            id=account_id, kind=ACCOUNT_KIND, fields={"displayName": f"Demo account {index + 1}"}
        )

    def seed_image(
        self, owner: Owner, image: GeneratedImage, index: int, rng: random.Random, when: datetime
    ) -> StoredImage:
        fields: dict[str, Any] = {PUBLIC_ID: seeded_public_id(rng)}
        if rng.random() < 0.7:
            fields[ALT_TEXT] = f"Seeded {image.fmt.upper()} image {index + 1}"
        return self.new_image(
            id=seeded_uuid(rng),
            owner=owner.id,
            filename=f"seed-{index + 1:05d}.{image.extension}",
            data=image.data,
            mime=image.mime,
            fields=fields,
            when=when,
        )

    # -- admin hooks (a Moov Dashboard user's changes) -----------------------------------------

    def admin_add(
        self, owner: Owner, filename: str, data: bytes, fields: dict[str, Any]
    ) -> StoredImage:
        alt_text = _admin_alt_text(fields, self.moov_knobs.alt_text_max)
        fmt = _admin_format(data)
        if self.library.duplicate_of(owner, _sha256(data)) is not None:
            raise AdminError(409, DUPLICATE_MESSAGE)
        return self.library.create(
            owner, data, fmt, filename, None if alt_text is UNSET else alt_text
        )

    def admin_edit(
        self, image: StoredImage, fields: dict[str, Any], data: bytes | None
    ) -> StoredImage:
        alt_text = _admin_alt_text(fields, self.moov_knobs.alt_text_max)
        if data is not None:
            fmt = _admin_format(data)
            owner = self.library.account(image.owner)
            if owner is not None and self.library.duplicate_of(owner, _sha256(data)):
                raise AdminError(409, DUPLICATE_MESSAGE)
            return self.library.replace_bytes(image, data, fmt, image.filename, alt_text)
        if alt_text is not UNSET:
            return self.library.set_alt_text(image, alt_text)
        return image

    def admin_delete(self, image: StoredImage) -> None:
        self.library.disable(image)

    # -- request preamble ----------------------------------------------------------------------

    def _enter(self, request: web.Request) -> tuple[str, Owner]:
        """Version, then credentials, then the account: what every ``/accounts`` route checks."""
        version = resolve_version(request.headers.get(HEADER))
        if not is_authorized(request.headers.get("Authorization")):
            raise EmulatedError(401, "unauthorized: use HTTP Basic with your API key")
        owner = self.library.account(request.match_info["accountID"])
        if owner is None:
            raise EmulatedError(404, "account not found")
        return version, owner

    def _image(self, request: web.Request, owner: Owner) -> StoredImage:
        image = self.library.image(owner, request.match_info["imageID"])
        if image is None:
            raise EmulatedError(404, "image not found")
        return image

    def _ok(self, request: web.Request, image: StoredImage, status: int = 200) -> web.Response:
        return json_response(image_metadata(image, origin_of(request)), status=status)

    # -- handlers ------------------------------------------------------------------------------

    async def list_images(self, request: web.Request) -> web.Response:
        _, owner = self._enter(request)
        skip, count = self._paging(request)
        page = self.library.images(owner)[skip : skip + count]
        origin = origin_of(request)
        return json_response([image_metadata(image, origin) for image in page])

    async def get_image(self, request: web.Request) -> web.Response:
        _, owner = self._enter(request)
        return self._ok(request, self._image(request, owner))

    async def upload_image(self, request: web.Request) -> web.Response:
        version, owner = self._enter(request)
        knobs = self.moov_knobs
        upload = await read_upload(
            request, knobs.max_bytes, knobs.oversize_status, knobs.alt_text_max
        )
        self._refuse_duplicate(request, version, owner, upload.data)
        cap = knobs.image_cap
        if cap and len(self.library.images(owner)) >= cap:
            raise EmulatedError(400, f"image limit reached: an account can hold {cap} images")
        alt_text = upload.metadata["altText"] if upload.metadata is not None else None
        image = self.library.create(owner, upload.data, upload.fmt, upload.filename, alt_text)
        return self._ok(request, image, status=201)

    async def replace_image(self, request: web.Request) -> web.Response:
        version, owner = self._enter(request)
        image = self._image(request, owner)
        knobs = self.moov_knobs
        upload = await read_upload(
            request, knobs.max_bytes, knobs.oversize_status, knobs.alt_text_max
        )
        self._refuse_duplicate(request, version, owner, upload.data)
        alt_text = upload.metadata["altText"] if upload.metadata is not None else UNSET
        changed = self.library.replace_bytes(
            image, upload.data, upload.fmt, upload.filename, alt_text
        )
        return self._ok(request, changed)

    async def delete_image(self, request: web.Request) -> web.Response:
        _, owner = self._enter(request)
        self.library.disable(self._image(request, owner))
        return web.Response(status=204)

    async def update_metadata(self, request: web.Request) -> web.Response:
        _, owner = self._enter(request)
        image = self._image(request, owner)
        body = await read_json(request)
        if not isinstance(body, dict):
            raise EmulatedError(400, 'the body must be a JSON object like {"altText": "..."}')
        if set(body) == {"metadata"} and isinstance(body["metadata"], dict):
            body = body["metadata"]  # the docs' curl sample wraps the fields in "metadata"
        try:
            alt_text = check_alt_text(body.get("altText"), self.moov_knobs.alt_text_max)
        except InvalidAltTextError as exc:
            raise EmulatedError(422, str(exc), body={"altText": str(exc)}) from None
        return self._ok(request, self.library.set_alt_text(image, alt_text))

    async def get_public(self, request: web.Request) -> web.Response:
        resolve_version(request.headers.get(HEADER))
        image = self.library.by_public_id(request.match_info["publicID"])
        if image is None:
            raise EmulatedError(404, "image not found")
        requested = renditions.parse_size(request.query.get("size"))
        fmt = renditions.negotiate(request.headers.get("Accept"), renditions.format_of(image.mime))
        if fmt is None:
            raise EmulatedError(406, "none of image/jpeg, image/png, image/webp is acceptable")
        etag = renditions.etag_for(image.sha256, requested, fmt)
        headers = {"ETag": etag, "Cache-Control": RENDITION_CACHE_CONTROL, "Vary": "Accept"}
        if renditions.etag_matches(request.headers.get("If-None-Match"), etag):
            return web.Response(status=304, headers=headers)
        rendition = await self._rendition(image, requested, fmt, etag)
        return web.Response(body=rendition.body, content_type=rendition.mime, headers=headers)

    # -- helpers -------------------------------------------------------------------------------

    def _paging(self, request: web.Request) -> tuple[int, int]:
        """``skip``/``count`` as Moov reads them: negatives clamp to 0, count 0 = default."""
        knobs = self.moov_knobs
        skip = max(0, _int_param(request, "skip"))
        count = max(0, _int_param(request, "count"))
        return skip, (min(count, knobs.max_count) if count else knobs.default_count)

    def _refuse_duplicate(
        self, request: web.Request, version: str, owner: Owner, data: bytes
    ) -> None:
        existing = self.library.duplicate_of(owner, _sha256(data))
        if existing is None:
            return
        if not at_least(version, DUPLICATE_RETURNS_METADATA):
            raise EmulatedError(409, DUPLICATE_MESSAGE)
        view = image_metadata(existing, origin_of(request))
        merged = self.moov_knobs.duplicate_body == "merged"
        raise EmulatedError(
            409, DUPLICATE_MESSAGE, body={"error": DUPLICATE_MESSAGE, **view} if merged else view
        )

    async def _rendition(
        self, image: StoredImage, requested: tuple[int, int], fmt: str, etag: str
    ) -> renditions.Rendition:
        cached = self.renditions.get(etag)
        if cached is not None:
            return cached
        data = self.store.data(image)
        try:
            body = await anyio.to_thread.run_sync(renditions.render, data, requested, fmt)
        except OSError as exc:
            raise EmulatedError(500, f"could not render the image: {exc}") from None
        rendition = renditions.Rendition(etag=etag, mime=renditions.mime_of(fmt), body=body)
        self.renditions.put(rendition)
        return rendition


def _int_param(request: web.Request, name: str) -> int:
    raw = request.query.get(name, "")
    if not raw:
        return 0
    try:
        return int(raw)
    except ValueError:
        raise EmulatedError(400, f"invalid {name} {raw!r}: expected an integer") from None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _admin_format(data: bytes) -> str:
    fmt = sniff_format(data)
    if not data or fmt not in ACCEPTED_FORMATS or not decodes(data):
        raise AdminError(400, "Moov accepts PNG, JPEG and WebP images only")
    return fmt


def _admin_alt_text(fields: dict[str, Any], max_length: int) -> Any:
    """The altText an admin edit sets (UNSET when it does not touch it)."""
    unknown = sorted(set(fields) - {ALT_TEXT})
    if unknown:
        raise AdminError(400, f"unknown fields {unknown}; Moov images only have altText")
    if ALT_TEXT not in fields:
        return UNSET
    try:
        return check_alt_text(fields[ALT_TEXT], max_length)
    except InvalidAltTextError as exc:
        raise AdminError(400, f"altText {exc}") from None
