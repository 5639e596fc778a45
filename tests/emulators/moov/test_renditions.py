"""Moov's public renditions: ``GET /images/{publicID}?size=WxH``."""

from __future__ import annotations

import io
from typing import Any

import aiohttp
import pytest
from PIL import Image

from syncer.emulators.base import EmulatedError
from syncer.emulators.images import sniff_format
from syncer.emulators.moov import renditions
from syncer.emulators.moov.emulator import MoovEmulator
from tests.emulators.moov.helpers import (
    AUTH,
    SDK_ACCEPT,
    form,
    image_bytes,
    image_path,
    images_path,
)


async def _upload(http: aiohttp.ClientSession, fmt: str, salt: int) -> dict[str, Any]:
    async with http.post(images_path(), data=form(image_bytes(fmt, salt)), headers=AUTH) as r:
        assert r.status == 201
        body: dict[str, Any] = await r.json()
        return body


async def _fetch(
    http: aiohttp.ClientSession, public_id: str, **headers: str
) -> tuple[aiohttp.ClientResponse, bytes]:
    size = headers.pop("size", None)
    params = {"size": size} if size is not None else {}
    async with http.get(f"/images/{public_id}", params=params, headers=headers) as response:
        return response, await response.read()


def _size_of(body: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(body)) as picture:
        return picture.size


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (None, (400, 400)),
        ("120x80", (120, 80)),
        ("5000x10", (2048, 10)),
    ],
)
async def test_explicit_sizes(
    http: aiohttp.ClientSession, size: str | None, expected: tuple[int, int]
) -> None:
    image = await _upload(http, "png", 41)
    kwargs = {"size": size} if size else {}
    response, body = await _fetch(http, image["publicID"], **kwargs)
    assert response.status == 200
    assert _size_of(body) == expected


async def test_a_zero_side_keeps_the_aspect_ratio(
    http: aiohttp.ClientSession, emulator: MoovEmulator
) -> None:
    image = await _upload(http, "jpeg", 42)
    stored = emulator.store.image(image["imageID"])
    assert stored is not None
    width, height = renditions.original_size(emulator.store.data(stored))
    _, by_width = await _fetch(http, image["publicID"], size="100x0")
    assert _size_of(by_width) == (100, round(height * 100 / width))
    _, by_height = await _fetch(http, image["publicID"], size="0x90")
    assert _size_of(by_height) == (round(width * 90 / height), 90)


@pytest.mark.parametrize("size", ["big", "0x0", "100", "-1x5", "10x10x10"])
async def test_bad_sizes_are_400_with_a_json_body(http: aiohttp.ClientSession, size: str) -> None:
    public_id = (await _upload(http, "png", 43))["publicID"]
    response, body = await _fetch(http, public_id, size=size)
    assert response.status == 400
    assert response.content_type == "application/json"
    assert b"size" in body


@pytest.mark.parametrize(
    ("stored", "accept", "answered"),
    [
        ("webp", SDK_ACCEPT, "jpeg"),  # the SDK's default Accept refuses WebP (q=0)
        ("png", SDK_ACCEPT, "png"),
        ("jpeg", SDK_ACCEPT, "jpeg"),
        ("webp", "", "webp"),
        ("png", "*/*", "png"),
        ("jpeg", "image/webp", "webp"),
        ("png", "image/*;q=0.5, image/png;q=0", "jpeg"),
    ],
)
async def test_format_follows_the_stored_type_and_accept(
    http: aiohttp.ClientSession, stored: str, accept: str, answered: str
) -> None:
    public_id = (await _upload(http, stored, 44))["publicID"]
    response, body = await _fetch(http, public_id, Accept=accept)
    assert response.status == 200
    assert response.content_type == f"image/{answered}"
    assert sniff_format(body) == answered


async def test_nothing_acceptable_is_406_with_a_json_body(http: aiohttp.ClientSession) -> None:
    public_id = (await _upload(http, "png", 45))["publicID"]
    response, body = await _fetch(http, public_id, Accept="application/json")
    assert response.status == 406
    assert b"acceptable" in body


async def test_etag_and_if_none_match(http: aiohttp.ClientSession) -> None:
    public_id = (await _upload(http, "png", 46))["publicID"]
    first, body = await _fetch(http, public_id)
    etag = first.headers["ETag"]
    assert body
    again, empty = await _fetch(http, public_id, **{"If-None-Match": etag})
    assert (again.status, empty, again.headers["ETag"]) == (304, b"", etag)
    weak, _ = await _fetch(http, public_id, **{"If-None-Match": f'"other", W/{etag}'})
    assert weak.status == 304
    other, _ = await _fetch(http, public_id, **{"If-None-Match": '"stale"'})
    assert other.status == 200
    resized, _ = await _fetch(http, public_id, size="10x10", **{"If-None-Match": etag})
    assert resized.status == 200
    assert resized.headers["ETag"] != etag


async def test_etag_changes_when_the_bytes_are_replaced(http: aiohttp.ClientSession) -> None:
    image = await _upload(http, "png", 47)
    before, _ = await _fetch(http, image["publicID"])
    data = form(image_bytes("png", 48))
    async with http.put(image_path(image["imageID"]), data=data, headers=AUTH) as response:
        assert response.status == 200
    after, _ = await _fetch(http, image["publicID"], **{"If-None-Match": before.headers["ETag"]})
    assert after.status == 200
    assert after.headers["ETag"] != before.headers["ETag"]


async def test_renditions_are_cached(http: aiohttp.ClientSession, emulator: MoovEmulator) -> None:
    public_id = (await _upload(http, "png", 49))["publicID"]
    _, first = await _fetch(http, public_id, size="64x64")
    hits = emulator.renditions.hits
    _, second = await _fetch(http, public_id, size="64x64")
    assert second == first
    assert emulator.renditions.hits == hits + 1


async def test_public_images_need_no_credentials_and_survive_disable(
    http: aiohttp.ClientSession,
) -> None:
    image = await _upload(http, "jpeg", 50)
    async with http.delete(image_path(image["imageID"]), headers=AUTH) as response:
        assert response.status == 204
    response, body = await _fetch(http, image["publicID"], Authorization="Basic bm9wZTpub3Bl")
    assert response.status == 200
    assert sniff_format(body) == "jpeg"


async def test_unknown_public_id_is_404_with_a_json_body(http: aiohttp.ClientSession) -> None:
    response, body = await _fetch(http, "qJRAaAwwF5hmfeAFdHjIb")
    assert response.status == 404
    assert response.content_type == "application/json"
    assert b"not found" in body


def test_target_size_caps_the_derived_side() -> None:
    assert renditions.target_size((2048, 0), (100, 200)) == (1024, 2048)
    assert renditions.target_size((0, 30), (300, 100)) == (90, 30)
    assert renditions.target_size((7, 9), (300, 100)) == (7, 9)


def test_parse_size_caps_each_side_at_2048() -> None:
    assert renditions.parse_size("9999x0") == (2048, 0)
    assert renditions.parse_size(None) == (400, 400)
    with pytest.raises(EmulatedError):
        renditions.parse_size("0x0")


def test_cache_is_bounded_by_bytes() -> None:
    cache = renditions.RenditionCache(max_bytes=10)
    cache.put(renditions.Rendition('"a"', "image/png", b"123456"))
    cache.put(renditions.Rendition('"b"', "image/png", b"123456"))
    assert cache.get('"a"') is None
    assert cache.get('"b"') is not None
