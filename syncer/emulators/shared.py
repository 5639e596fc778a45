"""What the emulator base and its admin API share: the admin prefix, the admin API's refusal,
an emulator's credentials and a JSON response. Apart, so :mod:`.admin` needs nothing from
:mod:`.base` (which re-exports all four for the vendor emulators).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

ADMIN_PREFIX = "/_emulator"


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a vendor emulator accepts, printed by ``syncer emulate``."""

    lines: tuple[tuple[str, str], ...]


class AdminError(Exception):
    """Raised by an admin hook (or the admin API) to refuse a change.

    Answered as ``{"error": message}`` with ``status``: the admin API's own shape, never a vendor's.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def json_response(
    body: Any,
    status: int = 200,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> web.Response:
    return web.Response(
        text=json.dumps(body), status=status, content_type=content_type, headers=headers
    )
