"""Who may call Moov's ``/accounts/*`` routes: the fixed demo API key, as Basic or Bearer."""

from __future__ import annotations

import base64
import binascii
import hmac

USERNAME = "demo"
PASSWORD = "demo"
#: The docs' curl samples use ``Authorization: Bearer {token}``; the emulator's token is fixed.
BEARER_TOKEN = "demo"


def is_authorized(header: str | None) -> bool:
    """Whether an ``Authorization`` header value carries the emulator's credentials."""
    scheme, _, value = (header or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "basic":
        return _basic_matches(value)
    if scheme.lower() == "bearer":
        return hmac.compare_digest(value.encode(), BEARER_TOKEN.encode())
    return False


def _basic_matches(encoded: str) -> bool:
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, sep, password = decoded.partition(":")
    if not sep:
        return False
    return hmac.compare_digest(user.encode(), USERNAME.encode()) and hmac.compare_digest(
        password.encode(), PASSWORD.encode()
    )
