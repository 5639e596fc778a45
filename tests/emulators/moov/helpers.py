"""Shared bits of the Moov emulator tests: images, credentials, multipart bodies."""

from __future__ import annotations

import base64
import random
from typing import Any, cast

import aiohttp
from moovio_sdk.models import components

from syncer.emulators.images import generate
from syncer.emulators.moov.views import FIRST_ACCOUNT

ACCOUNT = FIRST_ACCOUNT
#: Seeded images in the fixture catalog; the seed value keeps the one large image out of it.
SEEDED = 25
SEED_VALUE = 50
BASIC = "Basic " + base64.b64encode(b"demo:demo").decode()
AUTH = {"Authorization": BASIC}
SDK_ACCEPT = "image/jpeg;q=1, image/png;q=0.7, image/webp;q=0"


def image_bytes(fmt: str, salt: int) -> bytes:
    """A fresh, decodable image in ``fmt``; a different ``salt`` gives different bytes."""
    return generate(random.Random(f"moov-test-{fmt}-{salt}"), (fmt,)).data


def form(
    data: bytes | None,
    *,
    filename: str = "upload.png",
    content_type: str = "application/octet-stream",
    metadata: str | None = None,
) -> aiohttp.FormData:
    """A multipart body with an ``image`` part and an optional raw ``metadata`` part."""
    body = aiohttp.FormData()
    if data is not None:
        body.add_field("image", data, filename=filename, content_type=content_type)
    if metadata is not None:
        body.add_field("metadata", metadata, content_type="application/json")
    return body


def images_path(account: str = ACCOUNT) -> str:
    return f"/accounts/{account}/images"


def image_path(image_id: str, account: str = ACCOUNT) -> str:
    return f"/accounts/{account}/images/{image_id}"


def sdk_image(data: bytes, name: str = "upload.png", **extra: Any) -> components.ImageTypedDict:
    return cast("components.ImageTypedDict", {"file_name": name, "content": data, **extra})
