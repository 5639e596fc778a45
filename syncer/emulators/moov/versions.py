"""Moov's ``X-Moov-Version`` header: which API version a request asked for.

Versions are ``vYYYY.QQ.BB`` (year, first month of the quarter, build). The rules the emulator
follows (vendor spec §1): no header means ``v2024.01.00``; a well-formed version Moov never
released resolves to the latest known version not newer than it; a malformed value is a 404.
"""

from __future__ import annotations

import re

from syncer.emulators.base import EmulatedError

HEADER = "X-Moov-Version"
#: The versions Moov's version reference lists, oldest first.
KNOWN_VERSIONS: tuple[str, ...] = (
    "v2024.01.00",
    "v2025.01.00",
    "v2025.04.00",
    "v2025.07.00",
    "v2026.01.00",
    "v2026.04.00",
    "v2026.07.00",
    "v2026.10.00",
)
DEFAULT_VERSION = "v2024.01.00"
#: ``latest`` was frozen (no longer updated) when v2026.04.00 shipped; we pin it there.
LATEST_ALIAS = "latest"
LATEST_PINNED = "v2026.01.00"
#: From this version on, a 409 duplicate answers with the existing image's metadata.
DUPLICATE_RETURNS_METADATA = "v2026.10.00"

_PATTERN = re.compile(r"^v(\d{4})\.(\d{2})\.(\d{2})$")


def _key(version: str) -> tuple[int, int, int]:
    match = _PATTERN.match(version)
    if match is None:
        raise ValueError(version)
    year, quarter, build = match.groups()
    return int(year), int(quarter), int(build)


def resolve_version(raw: str | None) -> str:
    """The known version whose behaviour a request with header value ``raw`` gets.

    Raises a 404 :class:`EmulatedError` for a malformed value, as Moov does.
    """
    value = (raw or "").strip()
    if not value:
        return DEFAULT_VERSION
    if value == LATEST_ALIAS:
        return LATEST_PINNED
    try:
        wanted = _key(value)
    except ValueError:
        raise EmulatedError(
            404, f"unsupported {HEADER} {value!r}: expected vYYYY.QQ.BB, e.g. v2026.07.00"
        ) from None
    older = [known for known in KNOWN_VERSIONS if _key(known) <= wanted]
    return older[-1] if older else DEFAULT_VERSION


def at_least(version: str, minimum: str) -> bool:
    """Whether the resolved ``version`` is ``minimum`` or newer."""
    return _key(version) >= _key(minimum)
