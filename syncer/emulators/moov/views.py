"""Moov's image object (``ImageMetadata``) and its identifiers.

A stored image keeps Moov's own fields in ``StoredImage.fields``: ``publicID`` (always),
``altText`` (a string, or absent) and ``disabledOn`` (an RFC 3339 stamp once deleted).
"""

from __future__ import annotations

import random
import secrets
import string
import uuid
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from syncer.emulators.base import iso, utcnow
from syncer.emulators.store import StoredImage

#: The first seeded account is always this one (documented in ``syncer emulate`` output).
FIRST_ACCOUNT = "11111111-1111-4111-8111-111111111111"
ACCOUNT_KIND = "account"
PUBLIC_ID_ALPHABET = string.ascii_letters + string.digits
PUBLIC_ID_LENGTH = 21  # as in the docs' sample link .../images/qJRAaAwwF5hmfeAFdHjIb

PUBLIC_ID = "publicID"
ALT_TEXT = "altText"
DISABLED_ON = "disabledOn"


def seeded_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (deterministic for seeding)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def seeded_public_id(rng: random.Random) -> str:
    return "".join(rng.choice(PUBLIC_ID_ALPHABET) for _ in range(PUBLIC_ID_LENGTH))


def new_public_id() -> str:
    return "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(PUBLIC_ID_LENGTH))


def origin_of(request: web.Request) -> str:
    """``scheme://host[:port]`` as the client addressed us; links are built from it."""
    return f"{request.scheme}://{request.host}"


def public_link(origin: str, public_id: str) -> str:
    return f"{origin}/images/{public_id}"


def image_metadata(image: StoredImage, origin: str) -> dict[str, Any]:
    """The image as Moov's API shows it; ``altText``/``disabledOn`` are omitted when unset."""
    public_id = image.fields[PUBLIC_ID]
    view: dict[str, Any] = {"imageID": image.id, PUBLIC_ID: public_id}
    if image.fields.get(ALT_TEXT) is not None:
        view[ALT_TEXT] = image.fields[ALT_TEXT]
    view["link"] = public_link(origin, public_id)
    view["createdOn"] = image.created_at
    view["updatedOn"] = image.updated_at
    if image.fields.get(DISABLED_ON):
        view[DISABLED_ON] = image.fields[DISABLED_ON]
    return view


def stamp_after(previous: str) -> str:
    """Now as RFC 3339, but strictly later than ``previous`` so ``updatedOn`` always moves."""
    now = utcnow()
    before = datetime.fromisoformat(previous.replace("Z", "+00:00"))
    if now <= before:
        now = before + timedelta(milliseconds=1)
    return iso(now)
