"""Products, standard and super collections (images embedded), the store, the token exchange."""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web

from syncer.emulators.base import EmulatedError, json_response, read_json
from syncer.emulators.spiffy.auth import ACCESS_TOKEN, API_KEY, API_PASSWORD
from syncer.emulators.spiffy.catalog import SINGULAR, SpiffyCatalog
from syncer.emulators.spiffy.knobs import SpiffyKnobs
from syncer.emulators.spiffy.paging import after, page_of, parse_paging, parse_since_id
from syncer.emulators.spiffy.views import origin, owner_json, parse_fields, select
from syncer.emulators.store import Owner

SCOPE = "read_products,write_products"


def owner_id_of(owner: Owner) -> int:
    return int(owner.id)


class OwnerHost(Protocol):
    """What the owner routes use of their emulator."""

    @property
    def catalog(self) -> SpiffyCatalog: ...

    @property
    def knobs(self) -> SpiffyKnobs: ...


class OwnerRoutes:
    """``/api/{products|standard_collections|super_collections}...`` and store-wide routes."""

    def __init__(self, emulator: OwnerHost) -> None:
        self.emulator = emulator
        self.catalog = emulator.catalog

    def _json(self, request: web.Request, owner: Owner) -> dict[str, Any]:
        body = owner_json(owner, self.catalog.images_of(owner.id), origin(request))
        return select(body, parse_fields(request))

    async def list(self, request: web.Request) -> web.Response:
        kind = request.match_info["owner"]
        page = page_of(self.catalog.owners(kind), parse_paging(request), owner_id_of)
        return json_response({kind: [self._json(request, owner) for owner in page]})

    async def count(self, request: web.Request) -> web.Response:
        owners = self.catalog.owners(request.match_info["owner"])
        return json_response({"count": len(after(owners, parse_since_id(request), owner_id_of))})

    async def get(self, request: web.Request) -> web.Response:
        kind = request.match_info["owner"]
        owner = self.catalog.find_owner(kind, request.match_info["ref"])
        if owner is None:
            raise EmulatedError(404, "Not Found")
        return json_response({SINGULAR[kind]: self._json(request, owner)})

    async def store(self, request: web.Request) -> web.Response:
        """``/api/store.json``: enough of the store to check credentials against."""
        host = request.host
        name = self.emulator.knobs.store_prefix or "demo"
        return json_response(
            {
                "store": {
                    "id": 1,
                    "name": "Demo Store",
                    "spiffystores_domain": f"{name}.spiffystores.com",
                    "domain": host,
                    "currency": "AUD",
                    "timezone": "UTC",
                }
            }
        )

    async def oauth_token(self, request: web.Request) -> web.Response:
        """Exchange any authorization code (form or JSON body) for the fixed access token."""
        params = await _params(request)
        if not params.get("code"):
            raise EmulatedError(400, "code is required")
        # A partner app's client id and secret are the private app's key and password here.
        if params.get("client_id") != API_KEY or params.get("client_secret") != API_PASSWORD:
            raise EmulatedError(401, "invalid client_id or client_secret")
        return json_response({"access_token": ACCESS_TOKEN, "scope": SCOPE})


async def _params(request: web.Request) -> dict[str, str]:
    """Query, form and JSON parameters merged (the gem posts a form; others send JSON)."""
    params = dict(request.query)
    if request.content_type == "application/json":
        body = await read_json(request) if request.can_read_body else {}
        if isinstance(body, dict):
            params.update({key: str(value) for key, value in body.items()})
    else:
        params.update({key: str(value) for key, value in (await request.post()).items()})
    return params
