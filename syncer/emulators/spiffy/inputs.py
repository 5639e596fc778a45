"""Checking the ``{"image": {...}}`` bodies of create and update, field by field.

Every refusal is a 422 in ActiveResource's ``{"errors": {field: [message]}}`` shape, except a body
without an ``image`` object, which Rails refuses before validation (400, Shopify-style message).
"""

from __future__ import annotations

import posixpath
from typing import Any

from syncer.emulators.base import EmulatedError
from syncer.emulators.spiffy.catalog import PRODUCTS, is_number
from syncer.emulators.spiffy.uploads import invalid
from syncer.emulators.store import Owner

MAX_FILENAME = 255


def image_root(body: Any) -> dict[str, Any]:
    """The ``image`` object of a request body."""
    image = body.get("image") if isinstance(body, dict) else None
    if not isinstance(image, dict):
        raise EmulatedError(
            400,
            "image: Required parameter missing or invalid",
            body={"errors": {"image": "Required parameter missing or invalid"}},
        )
    return image


def parse_alt(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid("alt", "must be a string")
    return value


def parse_position(value: Any) -> int | None:
    """A 1-based position (an integer or a digit string, as Rails would cast it); None if absent."""
    if value is None:
        return None
    if isinstance(value, str) and is_number(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid("position", "must be an integer")
    if value < 1:
        raise invalid("position", "must be greater than 0")
    return value


def parse_filename(value: Any) -> str | None:
    """The base name of an uploaded file (any directory part is dropped); None if absent."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid("filename", "must be a string")
    name = posixpath.basename(value.replace("\\", "/")).strip()
    if not name:
        raise invalid("filename", "must name a file")
    if len(name) > MAX_FILENAME:
        raise invalid("filename", f"is too long (maximum is {MAX_FILENAME} characters)")
    return name


def parse_variation_ids(value: Any, owner: Owner, check: bool) -> list[int]:
    """Variation ids of the product; collections take none. ``check`` refuses unknown ids."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(_is_id(item) for item in value):
        raise invalid("variation_ids", "must be a list of integer ids")
    ids = [int(item) for item in value]
    if ids and owner.kind != PRODUCTS:
        raise invalid("variation_ids", "are only allowed on product images")
    if check:
        known = {int(v["id"]) for v in owner.fields.get("variations", [])}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise invalid("variation_ids", f"are not variations of this product: {unknown}")
    return ids


def _is_id(item: Any) -> bool:
    return (isinstance(item, int) and not isinstance(item, bool)) or (
        isinstance(item, str) and is_number(item)
    )


def matches_id(value: Any, image_id: str) -> bool:
    """Whether the body's ``image.id`` names the image of the URL."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return str(value) == image_id
    return isinstance(value, str) and is_number(value) and str(int(value)) == image_id
