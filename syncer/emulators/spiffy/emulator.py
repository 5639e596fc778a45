"""A faithful local Spiffy Stores image API: product and collection images over JSON.

One emulator is one store (the host stands for ``{store}.spiffystores.com``; the
``store_prefix`` knob moves it under ``/{store}/api`` instead). See ``docs/emulators/spiffy.md``
for the routes, knobs and every choice made where the sources are silent or disagree.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import datetime
from hashlib import md5
from typing import Any

from aiohttp import web

from syncer.emulators.base import (
    AdminError,
    Credentials,
    EmulatedError,
    VendorEmulator,
    iso,
    json_response,
    utcnow,
)
from syncer.emulators.faults import FaultConfig
from syncer.emulators.images import EXTENSION, MIME, GeneratedImage, decodes, sniff_format
from syncer.emulators.spiffy import inputs, seeding
from syncer.emulators.spiffy.auth import (
    ACCESS_TOKEN,
    API_KEY,
    API_PASSWORD,
    REALM,
    UNAUTHORIZED,
    authorized,
)
from syncer.emulators.spiffy.catalog import OWNER_KINDS, SpiffyCatalog
from syncer.emulators.spiffy.knobs import SpiffyKnobs
from syncer.emulators.spiffy.ratelimit import FixedWindow, RateState, bucket_state, refusal_text
from syncer.emulators.spiffy.routes_images import ImageRoutes
from syncer.emulators.spiffy.routes_owners import OwnerRoutes
from syncer.emulators.spiffy.uploads import ACCEPTED
from syncer.emulators.spiffy.views import FILES_ROUTE, image_json, origin
from syncer.emulators.store import CatalogStore, Owner, StoredImage

Handler = Callable[[web.Request], Awaitable[web.Response]]

RATE_STATE = web.RequestKey("spiffy_rate_state", RateState)
OWNER_KIND = "{owner:products|standard_collections|super_collections}"


class SpiffyEmulator(VendorEmulator):
    """Spiffy Stores: images under products, standard and super collections (id or handle)."""

    name = "spiffy"
    title = "Spiffy Stores"
    default_port = 8104
    demo_connection = 'api_key = "demo"\npassword = "demo"\n'
    accepted_formats = ("png", "jpeg", "gif")
    default_owners = 10
    knobs_type = SpiffyKnobs

    def __init__(
        self,
        store: CatalogStore | None = None,
        faults: FaultConfig | None = None,
        knobs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(store, faults, knobs)
        self.catalog = SpiffyCatalog(self.store)
        self.window = FixedWindow()

    # -- routes --------------------------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        images, owners = ImageRoutes(self), OwnerRoutes(self)
        one = f"/api/{OWNER_KIND}/{{ref}}"
        table: list[tuple[str, str, Handler, bool]] = [
            ("GET", "/api/store.json", owners.store, True),
            ("POST", "/api/oauth/token", owners.oauth_token, False),
            ("POST", "/admin/oauth/token", owners.oauth_token, False),
            ("GET", f"/api/{OWNER_KIND}.json", owners.list, True),
            ("GET", f"/api/{OWNER_KIND}/count.json", owners.count, True),  # before {ref}.json
            ("GET", f"{one}.json", owners.get, True),
            ("GET", f"{one}/images.json", images.list, True),
            ("POST", f"{one}/images.json", images.create, True),
            ("GET", f"{one}/images/count.json", images.count, True),  # before {image_id}.json
            ("GET", f"{one}/images/{{image_id}}.json", images.get, True),
            ("PUT", f"{one}/images/{{image_id}}.json", images.update, True),
            ("DELETE", f"{one}/images/{{image_id}}.json", images.delete, True),
        ]
        for method, path, handler, auth in table:
            endpoint = self._endpoint(handler, auth)
            router.add_route(method, path, endpoint)
            router.add_route(method, "/{store}" + path, endpoint)
        router.add_get(FILES_ROUTE, images.file)

    def _endpoint(self, handler: Handler, auth: bool) -> Handler:
        """Wrap a handler in what Spiffy checks first: the store, rack-ratelimit, credentials."""

        async def answer(request: web.Request) -> web.Response:
            if request.match_info.get("store", "") != self.knobs.store_prefix:
                raise EmulatedError(404, "Not Found")
            refused = self._meter(request)
            if refused is not None:
                return refused
            if auth and not authorized(request.headers.get("Authorization", "")):
                raise EmulatedError(401, UNAUTHORIZED, headers={"WWW-Authenticate": REALM})
            return await handler(request)

        return answer

    # -- rate limit ----------------------------------------------------------------------------

    def _meter(self, request: web.Request) -> web.Response | None:
        """Count the request in the sample budget; a 429 when ``ratelimit_enforce`` and spent."""
        if self.faults.bucket is not None:
            return None  # the base fault decides; decorate() reports its bucket
        state = self._window_state()
        request[RATE_STATE] = state
        if self.knobs.ratelimit_enforce and state.remaining <= 0:
            return web.Response(
                status=429,
                text=refusal_text(state.period),
                headers={"Retry-After": str(state.period)},
            )
        return None

    def _window_state(self) -> RateState:
        knobs = self.knobs
        state = self.window.hit(knobs.ratelimit_limit, knobs.ratelimit_period)
        if knobs.ratelimit_enforce:
            return state
        return RateState(state.period, state.limit, max(0, state.remaining), state.until)

    def _rate_state(self, request: web.Request) -> RateState:
        if RATE_STATE in request:
            return request[RATE_STATE]
        if self.faults.bucket is not None:
            return bucket_state(self.faults.bucket)
        return self._window_state()

    # -- vendor hooks --------------------------------------------------------------------------

    def error_response(self, request: web.Request, status: int, message: str) -> web.Response:
        return json_response({"errors": message}, status=status)

    def rate_limited_response(self, request: web.Request, retry_after: int) -> web.Response:
        """rack-ratelimit's refusal: plain text, ``Retry-After`` (``X-Ratelimit`` via decorate)."""
        return web.Response(
            status=429, text=refusal_text(retry_after), headers={"Retry-After": str(retry_after)}
        )

    def maintenance_applies(self, request: web.Request) -> bool:
        """Maintenance takes the API down; image files (the CDN) stay up."""
        return not is_file_request(request)

    def maintenance_error(self) -> EmulatedError:
        return EmulatedError(
            503,
            "Spiffy Stores is down for maintenance. Please retry later.",
            headers={"Retry-After": "5"},
        )

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        """``X-Ratelimit`` on every API response, errors included (not on image files)."""
        if not is_file_request(request):
            response.headers["X-Ratelimit"] = self._rate_state(request).header()

    def credentials(self) -> Credentials:
        prefix = f"/{self.knobs.store_prefix}" if self.knobs.store_prefix else ""
        api = "{base_url}" + prefix + "/api"
        return Credentials(
            (
                ("API base URL", api),
                ("private app (HTTP Basic)", f"API key {API_KEY}, password {API_PASSWORD}"),
                ("OAuth access token", f"Authorization: Bearer {ACCESS_TOKEN}"),
                ("try", f"curl -u {API_KEY}:{API_PASSWORD} {api}/products.json"),
            )
        )

    def vendor_view(self, request: web.Request, image: StoredImage) -> Any:
        owner = self.store.owners.get(image.owner)
        return None if owner is None else image_json(image, owner, origin(request))

    # -- images --------------------------------------------------------------------------------

    def make_image(
        self,
        owner: Owner,
        filename: str | None,
        data: bytes,
        fmt: str,
        *,
        alt: str,
        variation_ids: list[int],
        when: datetime | None = None,
    ) -> StoredImage:
        """A new image (bytes stored, not yet in the catalog) with a fresh id and digest.

        ``digest`` is md5(filename + bytes + creation time), so the same bytes uploaded twice
        get different digests, as on Spiffy.
        """
        extension = EXTENSION[fmt]
        name = filename or f"image.{extension}"
        created = when or utcnow()
        digest = md5(name.encode() + data + iso(created).encode()).hexdigest()
        fields = {
            "position": 0,
            "alt": alt,
            "variation_ids": variation_ids,
            "digest": digest,
            "extension": extension,
        }
        return self.new_image(
            id=str(self.catalog.allocate("image")),
            owner=owner.id,
            filename=name,
            data=data,
            mime=MIME[fmt],
            fields=fields,
            when=created,
        )

    def update_metadata(self, image: StoredImage, alt: str | None, position: int | None) -> None:
        """What ``PUT`` may change: ``alt`` in place, ``position`` with the siblings shifted."""
        if alt is not None:
            image.fields["alt"] = alt
        image.updated_at = iso(utcnow())
        self.store.put_image(image)
        if position is not None:
            self.catalog.move(image, position)

    # -- seeding -------------------------------------------------------------------------------

    def seed_owner(self, index: int, rng: random.Random) -> Owner:
        kind = seeding.kind_for(index)
        return self._build_owner(kind, index, rng, seeding.seeded_created_at(index))

    def _build_owner(
        self,
        kind: str,
        index: int,
        rng: random.Random,
        stamp: str,
        handle: str | None = None,
        title: str | None = None,
    ) -> Owner:
        title = title or seeding.title_for(kind, index, rng)
        unique = self.catalog.unique_handle(kind, handle or seeding.slugify(title))
        owner_id = str(self.catalog.allocate("owner"))
        fields = seeding.owner_fields(
            kind, title, unique, rng, stamp, lambda: self.catalog.allocate("variation")
        )
        return Owner(id=owner_id, kind=kind, fields=fields)

    def seed_image(
        self, owner: Owner, image: GeneratedImage, index: int, rng: random.Random, when: datetime
    ) -> StoredImage:
        filename = seeding.image_filename(owner.fields["handle"], index, image.extension, rng)
        stored = self.make_image(
            owner,
            filename,
            image.data,
            image.fmt,
            alt=seeding.image_alt(owner.fields["title"], rng),
            variation_ids=seeding.variation_pick(owner.fields.get("variations", []), rng),
            when=when,
        )
        stored.fields["position"] = len(self.store.images_of(owner.id)) + 1
        return stored

    # -- admin mutations (as a Spiffy Toolbox user would make them) ----------------------------

    def admin_add(
        self, owner: Owner, filename: str, data: bytes, fields: dict[str, Any]
    ) -> StoredImage:
        try:
            fmt = _checked_format(data)
            image = self.make_image(
                owner,
                inputs.parse_filename(filename),
                data,
                fmt,
                alt=inputs.parse_alt(fields.get("alt")),
                variation_ids=inputs.parse_variation_ids(
                    fields.get("variation_ids"), owner, self.knobs.check_variations
                ),
            )
            return self.catalog.insert(image, inputs.parse_position(fields.get("position")))
        except EmulatedError as exc:
            raise AdminError(422, exc.message) from None

    def admin_edit(
        self, image: StoredImage, fields: dict[str, Any], data: bytes | None
    ) -> StoredImage:
        """``alt``/``position`` change in place; new bytes, filename or variations mean a new
        image (new id and digest) at the same position, as Spiffy cannot change them."""
        unknown = sorted(set(fields) - {"alt", "position", "filename", "variation_ids"})
        if unknown:
            raise AdminError(
                400,
                f"unknown field(s) {unknown}; Spiffy images have alt, "
                "position, filename and variation_ids",
            )
        try:
            if data is None and not {"filename", "variation_ids"} & set(fields):
                alt = inputs.parse_alt(fields["alt"]) if "alt" in fields else None
                self.update_metadata(image, alt, inputs.parse_position(fields.get("position")))
                return image
            return self._recreate(image, fields, data)
        except EmulatedError as exc:
            raise AdminError(422, exc.message) from None

    def _recreate(
        self, image: StoredImage, fields: dict[str, Any], data: bytes | None
    ) -> StoredImage:
        owner = self.store.owners[image.owner]
        content = self.store.data(image) if data is None else data
        fresh = self.make_image(
            owner,
            inputs.parse_filename(fields.get("filename", image.filename)),
            content,
            _checked_format(content),
            alt=inputs.parse_alt(fields.get("alt", image.fields.get("alt"))),
            variation_ids=inputs.parse_variation_ids(
                fields.get("variation_ids", image.fields.get("variation_ids")),
                owner,
                self.knobs.check_variations,
            ),
        )
        position = inputs.parse_position(fields.get("position")) or image.fields["position"]
        self.catalog.insert(fresh, position)
        self.catalog.remove(image)
        return fresh

    def admin_delete(self, image: StoredImage) -> None:
        self.catalog.remove(image)

    def admin_add_owner(self, fields: dict[str, Any]) -> Owner:
        """A new product (default) or collection: ``{"kind"?, "handle"?, "title"?, ...}``."""
        extra = dict(fields)
        index = len(self.store.owners)
        kind = extra.pop("kind", None) or seeding.kind_for(index)
        if kind not in OWNER_KINDS:
            raise AdminError(400, f"kind must be one of {list(OWNER_KINDS)}")
        handle = extra.pop("handle", None)
        if handle is not None and self.catalog.by_handle(kind, handle) is not None:
            raise AdminError(422, f"handle {handle!r} is already taken in {kind}")
        title = extra.pop("title", None)
        owner = self._build_owner(
            kind, index, random.Random(f"{self.name}-owner-{index}"), iso(utcnow()), handle, title
        )
        owner.fields.update(extra)
        return self.store.put_owner(owner)


def is_file_request(request: web.Request) -> bool:
    return request.path.startswith("/sites/")


def _checked_format(data: bytes) -> str:
    """The format of admin-supplied bytes; what Spiffy's UI refuses, the admin API refuses."""
    fmt = sniff_format(data)
    if fmt not in ACCEPTED or not decodes(data):
        raise EmulatedError(422, f"Spiffy accepts decodable PNG, GIF and JPEG only (got {fmt})")
    return fmt
