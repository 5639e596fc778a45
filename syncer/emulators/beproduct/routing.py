"""Case-insensitive routes and forgiving query strings, as BeProduct's ASP.NET server has them.

aiohttp's router is case-sensitive, so every literal path segment is registered as a variable
whose pattern is the segment itself under a scoped ``(?i:...)`` flag: the route table stays the
vendor's own paths, each route keeps its own request counter, and ``/API/demo/image/headers``
matches ``/api/{domain}/Image/Headers``. Query strings are glued by hand by the SDK (nothing is
URL-encoded), so keys match case-insensitively, values are trimmed, and booleans accept
``True``/``true``/``1``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

from syncer.emulators.base import EmulatedError

_VARIABLE = re.compile(r"^\{[A-Za-z_]\w*\}$")


def api_path(template: str) -> str:
    """The aiohttp path for ``template`` under ``/api/{domain}/``, literals case-insensitive."""
    return "/" + "/".join(ci_segments(["api", "{domain}", *template.split("/")]))


def ci_segments(segments: list[str]) -> list[str]:
    """Each literal segment as a uniquely named, case-insensitive variable; variables kept."""
    used: set[str] = set()
    out: list[str] = []
    for segment in segments:
        if _VARIABLE.match(segment):
            out.append(segment)
            continue
        name = segment
        suffix = 2
        while name in used:
            name = f"{segment}{suffix}"
            suffix += 1
        used.add(name)
        out.append(f"{{{name}:(?i:{re.escape(segment)})}}")
    return out


class QueryArgs:
    """A request's query parameters, looked up case-insensitively (first value wins)."""

    def __init__(self, query: Mapping[str, str]) -> None:
        self._values: dict[str, str] = {}
        for key, value in query.items():
            self._values.setdefault(key.strip().lower(), value.strip())

    def text(self, name: str, default: str = "") -> str:
        return self._values.get(name.lower(), default)

    def flag(self, name: str, default: bool = False) -> bool:
        """``True``/``true``/``1`` and ``False``/``false``/``0``; anything else is a 400."""
        raw = self.text(name)
        if not raw:
            return default
        lowered = raw.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise EmulatedError(400, f"The value '{raw}' is not valid for {name}.")

    def integer(self, name: str, default: int, minimum: int) -> int:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise EmulatedError(400, f"The value '{raw}' is not valid for {name}.") from None
        if value < minimum:
            raise EmulatedError(400, f"{name} must be at least {minimum}, got {value}.")
        return value

    def guid(self, name: str) -> str | None:
        """A GUID parameter in canonical lower-case form; empty or absent is None."""
        raw = self.text(name)
        if not raw:
            return None
        return parse_guid(raw, name)


def parse_guid(raw: str, name: str) -> str:
    """``raw`` as a canonical GUID string, or a 400 naming the parameter."""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise EmulatedError(400, f"The value '{raw}' is not valid for {name}.") from None
