"""How Spiffy shows things: the image and owner JSON, ``fields=`` selection and ``src`` URLs."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from aiohttp import web

from syncer.emulators.spiffy.catalog import PRODUCTS
from syncer.emulators.store import Owner, StoredImage

#: The path of every image file; ``site`` is fixed because the emulator serves one store.
SITE = "1"
FILES_ROUTE = "/sites/{site}/{folder}/{name}"


def origin(request: web.Request) -> str:
    """``scheme://host[:port]`` exactly as the client addressed us."""
    return f"{request.scheme}://{request.host}"


def folder_of(owner: Owner) -> str:
    return "products" if owner.kind == PRODUCTS else "collections"


def file_name(image: StoredImage) -> str:
    """``{id}_{stem}_full.{ext}``, the KB's ``123456789_cute_puppy_full.jpg`` pattern."""
    stem = image.filename.rsplit(".", 1)[0] if "." in image.filename else image.filename
    safe = re.sub(r"[^A-Za-z0-9]+", "_", stem).strip("_").lower() or "image"
    return f"{image.id}_{safe}_full.{image.fields['extension']}"


def src_url(base: str, image: StoredImage, owner: Owner) -> str:
    """The absolute file URL with the cache-busting ``?<digest>`` query the KB shows."""
    path = f"/sites/{SITE}/{folder_of(owner)}/{quote(file_name(image))}"
    return f"{base}{path}?{image.fields['digest']}"


def image_json(image: StoredImage, owner: Owner, base: str) -> dict[str, Any]:
    """One image as the API shows it; ``product_id`` or ``collection_id`` by owner kind."""
    owner_key = "product_id" if owner.kind == PRODUCTS else "collection_id"
    return {
        "id": int(image.id),
        "position": image.fields["position"],
        "alt": image.fields.get("alt", ""),
        "filename": image.filename,
        "extension": image.fields["extension"],
        "digest": image.fields["digest"],
        "src": src_url(base, image, owner),
        "variation_ids": list(image.fields.get("variation_ids", [])),
        owner_key: int(owner.id),
    }


def owner_json(owner: Owner, images: list[StoredImage], base: str) -> dict[str, Any]:
    """A product or collection with its images embedded (in position order)."""
    body: dict[str, Any] = {"id": int(owner.id)}
    body.update(owner.fields)
    body["images"] = [image_json(image, owner, base) for image in images]
    return body


def parse_fields(request: web.Request) -> list[str] | None:
    """The ``fields=id,src`` selection, or None for every field."""
    raw = request.query.get("fields", "")
    names = [name.strip() for name in raw.split(",") if name.strip()]
    return names or None


def select(body: dict[str, Any], names: list[str] | None) -> dict[str, Any]:
    """Only the requested keys, in the object's own order; unknown names are ignored."""
    if names is None:
        return body
    return {key: value for key, value in body.items() if key in names}
