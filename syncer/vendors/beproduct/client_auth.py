"""BeProduct's OAuth2 refresh-token grant, as the client uses it.

:class:`~syncer.http.OAuthRefreshAuth` does the caching, renewal and the one refresh on a 401.
This subclass changes how the token endpoint's refusals are read, for two reasons:

* a 5xx or 429 from the identity server (a hiccup, a rate limit) is transient, not a protocol
  error: it becomes a :class:`~syncer.errors.NetworkError`, the one error type
  :meth:`HttpClient.request` retries when it comes from the credentials;
* the OAuth2 error code names the setting to fix: ``invalid_grant`` is the refresh token,
  ``invalid_client`` the client id or secret.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from syncer.errors import AuthenticationError, NetworkError, ProtocolError
from syncer.http import OAuthRefreshAuth

VENDOR = "beproduct"
#: The settings a user fixes when the identity server refuses the credentials, by OAuth2 code.
SETTING_FOR_CODE = {
    "invalid_grant": "beproduct.refresh_token",
    "invalid_client": "beproduct.client_id / beproduct.client_secret",
}
ALL_SETTINGS = "beproduct.client_id / beproduct.client_secret / beproduct.refresh_token"


class BeProductAuth(OAuthRefreshAuth):
    """The refresh-token grant against ``token_url``; see the module docstring."""

    def __init__(
        self, token_url: str, client_id: str, client_secret: str, refresh_token: str
    ) -> None:
        super().__init__(
            token_url,
            client_id,
            client_secret,
            refresh_token,
            vendor=VENDOR,
            setting=ALL_SETTINGS,
        )

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
                status, text = response.status, await response.text(errors="replace")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise NetworkError(
                f"cannot reach the token endpoint {self.token_url}: {exc.__class__.__name__}",
                vendor=VENDOR,
                operation="token",
            ) from None
        return self._grant(status, text)

    def _grant(self, status: int, text: str) -> dict[str, Any]:
        """The token endpoint's answer as a grant, or the typed error it amounts to."""
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        if status == 429 or status >= 500:
            raise NetworkError(
                f"the token endpoint {self.token_url} answered HTTP {status}",
                vendor=VENDOR,
                operation="token",
                status=status,
            )
        if status in (400, 401, 403):
            code = body.get("error") if isinstance(body, dict) else None
            setting = SETTING_FOR_CODE.get(str(code), ALL_SETTINGS)
            raise AuthenticationError(
                f"credentials refused ({code or 'no reason given'}); check {setting}",
                vendor=VENDOR,
                operation="token",
                status=status,
            )
        if status != 200 or not isinstance(body, dict) or not body.get("access_token"):
            raise ProtocolError(
                f"the token endpoint answered HTTP {status} without an access token",
                vendor=VENDOR,
                operation="token",
                status=status,
            )
        return body
