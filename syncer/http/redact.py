"""Keep secrets out of every log line and error message."""

from __future__ import annotations

import base64
from collections.abc import Iterable

MASK = "***"
#: Shorter values are not treated as secrets (masking "a" everywhere would garble text).
MIN_SECRET = 3


class Redactor:
    """Replaces every known secret, and its Basic-auth form, with ``***``."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        for secret in secrets:
            if secret and len(secret) >= MIN_SECRET:
                self._secrets.add(secret)

    def add_basic(self, user: str, password: str) -> None:
        self.add(password, base64.b64encode(f"{user}:{password}".encode()).decode())

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text
