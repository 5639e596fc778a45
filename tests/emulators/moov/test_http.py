"""Raw HTTP against the Moov emulator: versions, auth, refusals and shapes the SDK hides."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from syncer.emulators.moov.emulator import MoovEmulator
from tests.emulators.moov.helpers import (
    AUTH,
    SEEDED,
    form,
    image_bytes,
    image_path,
    images_path,
)

METADATA_KEYS = {"imageID", "publicID", "link", "createdOn", "updatedOn"}


async def _json(response: aiohttp.ClientResponse) -> Any:
    assert response.content_type == "application/json"
    return await response.json()


async def _first_image(http: aiohttp.ClientSession) -> dict[str, Any]:
    async with http.get(images_path(), params={"count": "1"}, headers=AUTH) as response:
        body: list[dict[str, Any]] = await _json(response)
        return body[0]


async def _upload(
    http: aiohttp.ClientSession, data: bytes, version: str | None = None
) -> tuple[int, Any]:
    headers = dict(AUTH)
    if version is not None:
        headers["X-Moov-Version"] = version
    async with http.post(images_path(), data=form(data), headers=headers) as response:
        return response.status, await _json(response)


async def test_upload_answers_201_with_rfc3339_metadata(http: aiohttp.ClientSession) -> None:
    status, body = await _upload(http, image_bytes("png", 31))
    assert status == 201
    assert set(body) >= METADATA_KEYS
    assert "altText" not in body
    assert "disabledOn" not in body
    assert body["createdOn"].endswith("Z")
    assert "T" in body["createdOn"]
    assert uuid.UUID(body["imageID"]).version == 4
    assert body["publicID"].isalnum()
    assert len(body["publicID"]) == 21


async def test_octet_stream_part_is_sniffed_and_part_type_is_ignored(
    http: aiohttp.ClientSession,
) -> None:
    png = form(image_bytes("png", 32), filename="noext", content_type="application/octet-stream")
    async with http.post(images_path(), data=png, headers=AUTH) as response:
        assert response.status == 201
    gif = form(image_bytes("gif", 33), filename="a.png", content_type="image/png")
    async with http.post(images_path(), data=gif, headers=AUTH) as response:
        assert response.status == 422
        assert set(await _json(response)) == {"image"}


@pytest.mark.parametrize(
    ("version", "carries_metadata"),
    [
        (None, False),  # omitted: v2024.01.00 behaviour
        ("v2026.07.00", False),
        ("v2026.09.30", False),  # unknown: latest not newer = v2026.07.00
        ("v2023.01.00", False),  # older than every version: the default
        ("latest", False),
        ("v2026.10.00", True),
        ("v2027.04.00", True),  # unknown newer: v2026.10.00
    ],
)
async def test_duplicate_409_body_follows_the_version(
    http: aiohttp.ClientSession, version: str | None, carries_metadata: bool
) -> None:
    data = image_bytes("jpeg", 34)
    first_status, first = await _upload(http, data)
    assert first_status == 201
    status, body = await _upload(http, data, version)
    assert status == 409
    assert isinstance(body["error"], str)
    if carries_metadata:
        assert {key: body[key] for key in first} == first
    else:
        assert set(body) == {"error"}


async def test_metadata_only_duplicate_body_knob(
    http: aiohttp.ClientSession, emulator: MoovEmulator
) -> None:
    emulator.knobs = type(emulator.knobs)(duplicate_body="metadata")
    data = image_bytes("png", 35)
    _, first = await _upload(http, data)
    status, body = await _upload(http, data, "v2026.10.00")
    assert (status, body) == (409, first)


@pytest.mark.parametrize("version", ["2022", "v2026.7.0", "V2026.07.00", "v2026-07-00"])
async def test_malformed_version_is_404(http: aiohttp.ClientSession, version: str) -> None:
    headers = {**AUTH, "X-Moov-Version": version}
    async with http.get(images_path(), headers=headers) as response:
        assert response.status == 404
        assert "X-Moov-Version" in (await _json(response))["error"]
    image = (await _first_image(http))["publicID"]
    async with http.get(f"/images/{image}", headers={"X-Moov-Version": version}) as response:
        assert response.status == 404
        assert (await _json(response))["error"]


async def test_bearer_token_is_accepted(http: aiohttp.ClientSession) -> None:
    async with http.get(images_path(), headers={"Authorization": "Bearer demo"}) as response:
        assert response.status == 200


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic ZGVtbzpub3Bl", "Bearer nope", "Basic !!!", "Token demo"],
    ids=["none", "wrong-password", "wrong-token", "garbage", "other-scheme"],
)
async def test_bad_credentials_are_401(
    http: aiohttp.ClientSession, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with http.get(images_path(), headers=headers) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic")
        assert (await _json(response))["error"]


async def test_every_route_accepts_a_trailing_slash(http: aiohttp.ClientSession) -> None:
    async with http.get(images_path() + "/", headers=AUTH) as response:
        assert response.status == 200
    image = await _first_image(http)
    async with http.get(image_path(image["imageID"]) + "/", headers=AUTH) as response:
        assert (await _json(response)) == image
    metadata_url = image_path(image["imageID"]) + "/metadata/"
    async with http.put(metadata_url, json={"altText": "slash"}, headers=AUTH) as response:
        assert (await _json(response))["altText"] == "slash"
    async with http.get(f"/images/{image['publicID']}/") as response:
        assert response.status == 200
    async with http.post(images_path() + "/", data=form(image_bytes("png", 36)), headers=AUTH) as r:
        assert r.status == 201
    async with http.delete(image_path(image["imageID"]) + "/", headers=AUTH) as response:
        assert response.status == 204


async def test_delete_answers_204_without_a_body(http: aiohttp.ClientSession) -> None:
    image = await _first_image(http)
    async with http.delete(image_path(image["imageID"]), headers=AUTH) as response:
        assert response.status == 204
        assert await response.read() == b""


async def test_metadata_put_refusals(http: aiohttp.ClientSession) -> None:
    url = image_path((await _first_image(http))["imageID"]) + "/metadata"
    async with http.put(url, data=b"{not json", headers=AUTH) as response:
        assert response.status == 400
        assert set(await _json(response)) == {"error"}
    async with http.put(url, json=["altText"], headers=AUTH) as response:
        assert response.status == 400
    async with http.put(url, json={"altText": 5}, headers=AUTH) as response:
        assert response.status == 422
        assert set(await _json(response)) == {"altText"}


async def test_metadata_put_accepts_the_docs_wrapped_variant(http: aiohttp.ClientSession) -> None:
    url = image_path((await _first_image(http))["imageID"]) + "/metadata"
    wrapped = {"metadata": {"altText": "Blue oat milk by Fancy Brand"}}
    async with http.put(url, json=wrapped, headers=AUTH) as response:
        assert (await _json(response))["altText"] == "Blue oat milk by Fancy Brand"
    async with http.put(url, json={"altText": None}, headers=AUTH) as response:
        assert "altText" not in await _json(response)


async def test_the_docs_json_upload_sample_is_refused_with_400(
    http: aiohttp.ClientSession,
) -> None:
    sample = {"image": "00010101011111000101010110", "metadata": {"altText": "Blue"}}
    async with http.post(images_path(), json=sample, headers=AUTH) as response:
        assert response.status == 400
        assert "multipart" in (await _json(response))["error"]


async def test_upload_field_refusals_are_reported_together(http: aiohttp.ClientSession) -> None:
    bad = form(image_bytes("gif", 37), metadata=json.dumps({"altText": 12}))
    async with http.post(images_path(), data=bad, headers=AUTH) as response:
        assert response.status == 422
        body = await _json(response)
        assert set(body) == {"image", "metadata"}
        assert set(body["metadata"]) == {"altText"}
    missing = form(None, metadata=json.dumps({"altText": "no file"}))
    async with http.post(images_path(), data=missing, headers=AUTH) as response:
        assert response.status == 422
        assert "required" in (await _json(response))["image"]


async def test_malformed_metadata_part_is_400(http: aiohttp.ClientSession) -> None:
    bad = form(image_bytes("png", 38), metadata="{oops")
    async with http.post(images_path(), data=bad, headers=AUTH) as response:
        assert response.status == 400
        assert set(await _json(response)) == {"error"}


async def test_oversize_by_content_length_is_refused_before_parsing(
    http: aiohttp.ClientSession, emulator: MoovEmulator
) -> None:
    emulator.knobs = type(emulator.knobs)(max_bytes=1000)
    async with http.post(images_path(), data=b"x" * 5000, headers=AUTH) as response:
        assert response.status == 413
        assert "limit" in (await _json(response))["error"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, 20),
        ({"count": "0"}, 20),
        ({"count": "3"}, 3),
        ({"skip": "-4", "count": "2"}, 2),
        ({"skip": "23", "count": "10"}, 2),
        ({"skip": "1000"}, 0),
    ],
)
async def test_paging_params(
    http: aiohttp.ClientSession, params: dict[str, str], expected: int
) -> None:
    async with http.get(images_path(), params=params, headers=AUTH) as response:
        assert response.status == 200
        assert len(await _json(response)) == expected


async def test_empty_page_is_an_empty_array_not_null(http: aiohttp.ClientSession) -> None:
    async with http.get(images_path(), params={"skip": str(SEEDED)}, headers=AUTH) as response:
        assert await response.text() == "[]"


@pytest.mark.parametrize("params", [{"count": "ten"}, {"skip": "1.5"}])
async def test_non_integer_paging_params_are_400(
    http: aiohttp.ClientSession, params: dict[str, str]
) -> None:
    async with http.get(images_path(), params=params, headers=AUTH) as response:
        assert response.status == 400
        assert set(await _json(response)) == {"error"}


async def test_another_accounts_image_is_404(
    http: aiohttp.ClientSession, emulator: MoovEmulator
) -> None:
    other = emulator.admin_add_owner({})
    image = await _first_image(http)
    async with http.get(image_path(image["imageID"], other.id), headers=AUTH) as response:
        assert response.status == 404
        assert (await _json(response))["error"] == "image not found"
    async with http.get(images_path(other.id), headers=AUTH) as response:
        assert await response.text() == "[]"
    async with http.get(images_path("not-an-account"), headers=AUTH) as response:
        assert response.status == 404
        assert (await _json(response))["error"] == "account not found"


async def test_unknown_route_and_method_answer_in_the_error_shape(
    http: aiohttp.ClientSession,
) -> None:
    async with http.get("/accounts", headers=AUTH) as response:
        assert response.status == 404
        assert set(await _json(response)) == {"error"}
    async with http.patch(images_path(), headers=AUTH) as response:
        assert response.status == 405
        assert set(await _json(response)) == {"error"}


async def test_every_response_carries_a_request_id(http: aiohttp.ClientSession) -> None:
    async with http.get(images_path(), headers=AUTH) as ok:
        first = ok.headers["X-Request-Id"]
    async with http.get(images_path()) as refused:
        second = refused.headers["X-Request-Id"]
    assert uuid.UUID(first) != uuid.UUID(second)


async def test_link_uses_the_request_origin_and_serves(
    http: aiohttp.ClientSession, served: str
) -> None:
    image = await _first_image(http)
    assert image["link"] == f"{served}/images/{image['publicID']}"
    async with http.get(image["link"] + "?size=50x50") as response:
        assert response.status == 200
        assert response.content_type.startswith("image/")


async def test_oversize_chunked_body_is_refused_while_reading(
    http: aiohttp.ClientSession, emulator: MoovEmulator
) -> None:
    """Without a Content-Length the limit is enforced as the parts are read."""
    emulator.knobs = type(emulator.knobs)(max_bytes=100_000)
    boundary = "moovtestboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    payload = image_bytes("png", 39) + b"\0" * 150_000

    async def chunks() -> AsyncIterator[bytes]:
        yield head
        for start in range(0, len(payload), 32_768):
            yield payload[start : start + 32_768]
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {**AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    async with http.post(images_path(), data=chunks(), headers=headers) as response:
        assert response.status == 413
        assert "limit" in (await _json(response))["error"]
    assert len(emulator.store) == SEEDED


async def test_head_on_a_public_image(http: aiohttp.ClientSession) -> None:
    image = await _first_image(http)
    async with http.head(f"/images/{image['publicID']}") as response:
        assert response.status == 200
        assert response.headers["ETag"]
        assert response.content_type.startswith("image/")
