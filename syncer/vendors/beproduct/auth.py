"""BeProduct's OAuth2 refresh-token grant, as the client uses it.

:class:`~syncer.http.OAuthRefreshAuth` does the caching, renewal, the one refresh on a 401 and
the reading of the token endpoint's answers; BeProduct only says which setting each OAuth2 error
code points at: ``invalid_grant`` is the refresh token, ``invalid_client`` the client id or secret.
"""

from __future__ import annotations

from syncer.http import OAuthRefreshAuth

VENDOR = "beproduct"
#: The settings a user fixes when the identity server refuses the credentials, by OAuth2 code.
SETTING_FOR_CODE = {
    "invalid_grant": "beproduct.refresh_token",
    "invalid_client": "beproduct.client_id / beproduct.client_secret",
}
ALL_SETTINGS = "beproduct.client_id / beproduct.client_secret / beproduct.refresh_token"


def beproduct_auth(
    token_url: str, client_id: str, client_secret: str, refresh_token: str
) -> OAuthRefreshAuth:
    """The refresh-token grant against ``token_url``, naming BeProduct's settings on refusal."""
    return OAuthRefreshAuth(
        token_url,
        client_id,
        client_secret,
        refresh_token,
        vendor=VENDOR,
        setting=ALL_SETTINGS,
        setting_for_code=SETTING_FOR_CODE,
    )
