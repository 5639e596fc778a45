"""How a vendor connection proves who it is. Each scheme knows its secrets (for redaction) and
the setting a user must fix when the vendor refuses it."""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
import anyio

from syncer.errors import (
    AuthenticationError,
    NetworkError,
    ProtocolError,
    RateLimitedError,
    UnavailableError,
)
from syncer.http.errors import parse_body
from syncer.http.retry import parse_retry_after


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
    and once more on a 401. A rotated refresh token is adopted.

    A refusal names the setting to fix from the OAuth2 error code (``setting_for_code``, e.g.
    ``invalid_grant`` -> the refresh token), else ``setting``. A 429 or 5xx from the token endpoint
    is transient, like any other.
    """

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
        setting_for_code: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.vendor = vendor
        self.setting = setting
        self.setting_for_code = dict(setting_for_code or {})
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
                status = response.status
                text = await response.text(errors="replace")
                retry_after = response.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise NetworkError(
                f"cannot reach the token endpoint {self.token_url}: {exc.__class__.__name__}",
                vendor=self.vendor,
                operation="token",
            ) from None
        return self._grant(status, text, retry_after)

    def _grant(self, status: int, text: str, retry_after: str | None) -> dict[str, Any]:
        """The token endpoint's answer as a grant, or the typed error it amounts to."""
        body = parse_body(text)
        context: dict[str, Any] = {"vendor": self.vendor, "operation": "token", "status": status}
        if status == 429:
            raise RateLimitedError(
                "the token endpoint is rate limiting us",
                retry_after=parse_retry_after(retry_after),
                **context,
            )
        if status >= 500:
            raise UnavailableError(
                f"the token endpoint {self.token_url} failed",
                retry_after=parse_retry_after(retry_after),
                **context,
            )
        if status in (400, 401, 403):
            code = body.get("error") if isinstance(body, dict) else None
            setting = self.setting_for_code.get(str(code), self.setting)
            raise AuthenticationError(
                f"credentials refused ({code or 'no reason given'}); check {setting}", **context
            )
        if status != 200 or not isinstance(body, dict) or not body.get("access_token"):
            raise ProtocolError(
                f"the token endpoint answered HTTP {status} without an access token", **context
            )
        return body
