"""BeProduct's identity server (OAuth2 refresh-token grant) and bearer-token checks.

The token endpoint answers exactly the keys the SDK expects (``access_token``, ``expires_in``,
``token_type``, ``refresh_token``, ``scope``) and nothing named like one of its client's methods,
since the SDK copies every key onto its client object. Issued tokens are random, kept in memory
(a restarted emulator forgets them: clients must fetch a new one) and expire after the
``token_lifetime`` knob.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable

from aiohttp import web

from syncer.emulators.base import EmulatedError, json_response
from syncer.emulators.beproduct.knobs import (
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    SCOPE,
    BeProductKnobs,
)

FORM = "application/x-www-form-urlencoded"


class TokenIssuer:
    """Issues random access tokens and remembers them until they expire."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._expiry: dict[str, float] = {}

    def issue(self, lifetime: int) -> str:
        self._forget_expired()
        token = secrets.token_urlsafe(32)
        self._expiry[token] = self.clock() + lifetime
        return token

    def accepts(self, token: str) -> bool:
        expiry = self._expiry.get(token)
        return expiry is not None and expiry > self.clock()

    def _forget_expired(self) -> None:
        now = self.clock()
        for token in [t for t, expiry in self._expiry.items() if expiry <= now]:
            del self._expiry[token]


def oauth_error(status: int, code: str) -> EmulatedError:
    """An OAuth2 error answer (RFC 6749 §5.2): ``{"error": code}``."""
    return EmulatedError(status, code, body={"error": code})


def bearer_token(request: web.Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if there is one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def client_credentials(request: web.Request, form: dict[str, str]) -> tuple[str, str]:
    """Client id and secret from the form or, as RFC 6749 also allows, HTTP Basic auth."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(encoded.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise oauth_error(401, "invalid_client") from None
        return user, password
    return form.get("client_id", ""), form.get("client_secret", "")


async def token_endpoint(
    request: web.Request, issuer: TokenIssuer, knobs: BeProductKnobs
) -> web.Response:
    """``POST /ids/connect/token`` with ``grant_type=refresh_token``."""
    if request.content_type != FORM:
        raise oauth_error(400, "invalid_request")
    form = {key: str(value) for key, value in (await request.post()).items()}
    if client_credentials(request, form) != (CLIENT_ID, CLIENT_SECRET):
        raise oauth_error(401, "invalid_client")
    if form.get("grant_type") != "refresh_token":
        raise oauth_error(400, "unsupported_grant_type")
    if form.get("refresh_token") != REFRESH_TOKEN:
        raise oauth_error(400, "invalid_grant")
    lifetime = knobs.token_lifetime
    body = {
        "access_token": issuer.issue(lifetime),
        "expires_in": lifetime,
        "token_type": "Bearer",
        "refresh_token": REFRESH_TOKEN,
        "scope": SCOPE,
    }
    return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
