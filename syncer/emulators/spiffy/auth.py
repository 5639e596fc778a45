"""Who may call the API: a private app's HTTP Basic key and password, or an OAuth Bearer token.

The emulator accepts one fixed, documented pair (``demo``/``demo``) and one token (``demo``).
"""

from __future__ import annotations

import base64
import binascii
import hmac

API_KEY = "demo"
API_PASSWORD = "demo"
ACCESS_TOKEN = "demo"
UNAUTHORIZED = "[API] Invalid API key or access token (unrecognized login or wrong password)"
REALM = 'Basic realm="Spiffy Stores API"'


def authorized(header: str) -> bool:
    """HTTP Basic ``demo:demo`` (a private app's key and password) or ``Bearer demo``."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer":
        return hmac.compare_digest(value.strip().encode(), ACCESS_TOKEN.encode())
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(decoded, f"{API_KEY}:{API_PASSWORD}".encode())
