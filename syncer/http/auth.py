"""How a vendor connection proves who it is. Each scheme knows its secrets (for redaction) and
the setting a user must fix when the vendor refuses it."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import aiohttp
import anyio

from syncer.errors import AuthenticationError, NetworkError, ProtocolError


class Auth:
    """No credentials. Subclasses add headers and may refresh once on a 401."""

    #: The setting(s) to check when the vendor refuses us, named in the error message.
    setting = "credentials"
    vendor = ""

    async def headers(self, session: aiohttp.ClientSession) -> dict[str, str]:
        return {}

    async def refresh(self, session: aiohttp.ClientSession) -> bool:
        """Get a fresh credential after a 401; True when there is one worth a retry."""
        return False

    def secrets(self) -> list[str]:
        return []

    def refused(self, vendor: str, operation: str, status: int) -> AuthenticationError:
        return AuthenticationError(
            f"credentials refused; check {self.setting}",
            vendor=vendor,
            operation=operation,
            status=status,
        )


NoAuth = Auth


class BasicAuth(Auth):
    def __init__(self, username: str, password: str, setting: str) -> None:
        self.username = username
        self.password = password
        self.setting = setting
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._header = f"Basic {token}"

    async def headers(self, session: aiohttp.ClientSession) -> dict[str, str]:
        return {"Authorization": self._header}

    def secrets(self) -> list[str]:
        return [self.password, self._header.removeprefix("Basic ")]


class BearerAuth(Auth):
    def __init__(self, token: str, setting: str) -> None:
        self.token = token
        self.setting = setting

    async def headers(self, session: aiohttp.ClientSession) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def secrets(self) -> list[str]:
        return [self.token]


class OAuthRefreshAuth(Auth):
    """OAuth2 refresh-token grant (BeProduct): a cached access token, renewed before it expires
    and once more on a 401. A rotated refresh token is adopted."""

    #: Renew this long before the announced expiry.
    MARGIN = 300.0

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        *,
        vendor: str,
        setting: str,
        timeout: float = 30.0,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.vendor = vendor
        self.setting = setting
        self.timeout = timeout
        self.access_token: str | None = None
        self.expires_at = 0.0
        self._lock = anyio.Lock()
        self._generation = 0

    async def headers(self, session: aiohttp.ClientSession) -> dict[str, str]:
        if self.access_token is None or time.monotonic() >= self.expires_at:
            await self._renew(session, self._generation)
        return {"Authorization": f"Bearer {self.access_token}"}

    async def refresh(self, session: aiohttp.ClientSession) -> bool:
        await self._renew(session, self._generation)
        return True

    def secrets(self) -> list[str]:
        return [s for s in (self.client_secret, self.refresh_token, self.access_token) if s]

    async def _renew(self, session: aiohttp.ClientSession, seen: int) -> None:
        async with self._lock:
            if self._generation != seen:
                return  # another task renewed meanwhile
            grant = await self._request_token(session)
            self.access_token = str(grant["access_token"])
            lifetime = float(grant.get("expires_in") or 0)
            self.expires_at = time.monotonic() + max(0.0, lifetime - self.MARGIN)
            self.refresh_token = str(grant.get("refresh_token") or self.refresh_token)
            self._generation += 1

    async def _request_token(self, session: aiohttp.ClientSession) -> dict[str, Any]:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self.refresh_token,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with session.post(self.token_url, data=form, timeout=timeout) as response:
                status, text = response.status, await response.text()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise NetworkError(
                f"cannot reach the token endpoint {self.token_url}: {exc!r}",
                vendor=self.vendor,
                operation="token",
            ) from None
        if status in (400, 401, 403):
            raise self.refused(self.vendor, "token", status)
        try:
            grant = json.loads(text)
        except ValueError:
            grant = None
        if not isinstance(grant, dict) or not grant.get("access_token"):
            raise ProtocolError(
                f"the token endpoint answered HTTP {status} without an access token",
                vendor=self.vendor,
                operation="token",
                status=status,
            )
        return grant
