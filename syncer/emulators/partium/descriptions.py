"""Image descriptions: the ``info`` token rules, ``image_id`` rules, views and projections."""

from __future__ import annotations

import re
from typing import Any

from syncer.emulators.store import StoredImage

FLAGS = ("searchable", "display")
POSITION = "position"
#: Fields a ``projection`` may name; ``image_id`` is returned whatever the projection says.
PROJECTABLE = ("image_id", "part_id", "info")
MAX_ID_LENGTH = 256
_DIGITS = re.compile(r"[0-9]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def info_problem(info: object) -> str | None:
    """Why ``info`` breaks the standard catalog configuration, or None when it is fine.

    Tokens are separated by whitespace and case-sensitive: ``searchable``, ``display`` and at most
    one ``position=<int >= 0>``, which needs ``display``. Repeated flags are harmless.
    """
    if not isinstance(info, str):
        return "info must be a string"
    tokens = info.split()
    positions = [t for t in tokens if t.startswith(POSITION + "=")]
    unknown = [t for t in tokens if t not in FLAGS and t not in positions]
    if unknown:
        return (
            f"Unknown info token {unknown[0]!r}; allowed: searchable, display, position=<int >= 0>"
        )
    if len(positions) > 1:
        return "position may be given only once"
    if positions:
        value = positions[0].partition("=")[2]
        if not _DIGITS.fullmatch(value):
            return f"position must be an integer >= 0, got {value!r}"
        if "display" not in tokens:
            return "position is only allowed together with the display token"
    return None


def image_id_problem(image_id: str) -> str | None:
    """Why a client-chosen id cannot be stored (it must be usable as one URL path segment)."""
    if not image_id:
        return "image_id must not be empty"
    if len(image_id) > MAX_ID_LENGTH:
        return f"image_id must be at most {MAX_ID_LENGTH} characters"
    if "/" in image_id or image_id in (".", "..") or _CONTROL.search(image_id):
        return "image_id must not contain '/' or control characters, nor be '.' or '..'"
    return None


def describe(image: StoredImage, projection: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The image description as Partium shows it, limited to ``projection`` when one is given."""
    full = {"image_id": image.id, "part_id": image.owner, "info": image.fields.get("info", "")}
    if projection is None:
        return full
    return {name: value for name, value in full.items() if name == "image_id" or name in projection}
