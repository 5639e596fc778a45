"""Every refusal, answered in Spiffy's ActiveResource error shapes."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.emulators.spiffy.helpers import (
    BASIC,
    SpiffyApi,
    b64,
    image_bytes,
    running,
    seeded,
    webp_bytes,
)


def product_path(api: SpiffyApi, index: int = 0) -> str:
    return f"/api/products/{api.owner('products', index).id}"


def field_errors(body: Any, field: str) -> list[str]:
    """The messages of ``{"errors": {field: [...]}}``, asserting that shape."""
    assert isinstance(body, dict), body
    assert isinstance(body["errors"], dict), body
    messages = body["errors"][field]
    assert isinstance(messages, list)
    assert all(isinstance(m, str) for m in messages)
    return messages


async def assert_nothing_created(api: SpiffyApi, before: int) -> None:
    assert len(api.emulator.store) == before


BROKEN_PNG = image_bytes("png")[:40] + b"\x00" * 40

CREATE_REFUSALS = [
    pytest.param({"attachment": b64(webp_bytes())}, "attachment", "WEBP", id="webp"),
    pytest.param(
        {"attachment": b64(b"just some text")}, "attachment", "not a known image", id="text"
    ),
    pytest.param({"attachment": ""}, "attachment", "is empty", id="empty-file"),
    pytest.param({"attachment": "@@not base64@@"}, "attachment", "Base64", id="bad-base64"),
    pytest.param({"attachment": 42}, "attachment", "Base64", id="attachment-not-string"),
    pytest.param(
        {"attachment": b64(BROKEN_PNG)}, "attachment", "does not decode", id="undecodable"
    ),
    pytest.param({"alt": "no file"}, "attachment", "can't be blank", id="no-file"),
    pytest.param(
        {"attachment": b64(image_bytes()), "position": 0},
        "position",
        "greater than 0",
        id="position-zero",
    ),
    pytest.param(
        {"attachment": b64(image_bytes()), "position": "first"},
        "position",
        "integer",
        id="position-text",
    ),
    pytest.param({"attachment": b64(image_bytes()), "alt": 5}, "alt", "string", id="alt-number"),
    pytest.param(
        {"attachment": b64(image_bytes()), "variation_ids": [1]},
        "variation_ids",
        "not variations",
        id="unknown-variation",
    ),
    pytest.param(
        {"attachment": b64(image_bytes()), "variation_ids": "1"},
        "variation_ids",
        "list",
        id="variations-not-list",
    ),
    pytest.param(
        {"attachment": b64(image_bytes()), "filename": "x" * 300 + ".png"},
        "filename",
        "too long",
        id="filename-too-long",
    ),
    pytest.param(
        {"src": "http://example.com/cute-puppy.jpg"}, "src", "loopback", id="src-not-loopback"
    ),
    pytest.param({"src": "http://10.0.0.1/x.png"}, "src", "loopback", id="src-private-ip"),
    pytest.param({"src": "ftp://127.0.0.1/x.png"}, "src", "http", id="src-not-http"),
]


@pytest.mark.parametrize(("image", "field", "message"), CREATE_REFUSALS)
async def test_create_refusals_are_422_with_field_errors(
    api: SpiffyApi, image: dict[str, Any], field: str, message: str
) -> None:
    before = len(api.emulator.store)
    reply = await api.post(f"{product_path(api)}/images.json", {"image": image})
    assert reply.status == 422, reply.body
    assert any(message in text for text in field_errors(reply.body, field))
    await assert_nothing_created(api, before)


async def test_variation_ids_are_refused_on_collection_images(api: SpiffyApi) -> None:
    collection = api.owner("standard_collections")
    reply = await api.post(
        f"/api/standard_collections/{collection.id}/images.json",
        {"image": {"attachment": b64(image_bytes()), "variation_ids": [1]}},
    )
    assert reply.status == 422
    assert "only allowed on product images" in field_errors(reply.body, "variation_ids")[0]


async def test_known_variation_ids_are_accepted(api: SpiffyApi) -> None:
    product = api.owner("products")
    variation = product.fields["variations"][0]["id"]
    reply = await api.post(
        f"{product_path(api)}/images.json",
        {"image": {"attachment": b64(image_bytes()), "variation_ids": [variation]}},
    )
    assert reply.status == 201
    assert reply.body["image"]["variation_ids"] == [variation]


async def test_oversize_is_refused_under_the_size_knob(api: SpiffyApi) -> None:
    data = image_bytes("png", size=(64, 64))
    knobs = await api.admin("PATCH", "/knobs", {"max_bytes": len(data) - 1})
    assert knobs.body["max_bytes"] == len(data) - 1
    reply = await api.post(f"{product_path(api)}/images.json", {"image": {"attachment": b64(data)}})
    assert reply.status == 422
    assert "too large" in field_errors(reply.body, "attachment")[0]
    await api.admin("PATCH", "/knobs", {"max_bytes": len(data)})
    accepted = await api.post(
        f"{product_path(api)}/images.json", {"image": {"attachment": b64(data)}}
    )
    assert accepted.status == 201


async def test_src_downloads_can_be_disabled(api: SpiffyApi) -> None:
    src = (await api.get(f"{product_path(api)}/images.json")).body["images"][0]["src"]
    await api.admin("PATCH", "/knobs", {"fetch_src": False})
    reply = await api.post(f"{product_path(api)}/images.json", {"image": {"src": src}})
    assert reply.status == 422
    assert "disabled" in field_errors(reply.body, "src")[0]


async def test_src_that_is_missing_or_not_an_image_is_refused(api: SpiffyApi) -> None:
    missing = await api.post(
        f"{product_path(api)}/images.json",
        {"image": {"src": f"{api.base}/sites/1/products/9_x_full.png"}},
    )
    assert missing.status == 422
    assert "HTTP 404" in field_errors(missing.body, "src")[0]
    not_image = await api.post(
        f"{product_path(api)}/images.json", {"image": {"src": f"{api.base}/_emulator/knobs"}}
    )
    assert not_image.status == 422
    assert "PNG, GIF or JPG" in field_errors(not_image.body, "src")[0]


async def test_malformed_json_and_missing_root_are_400(api: SpiffyApi) -> None:
    path = f"{product_path(api)}/images.json"
    broken = await api.call(
        "POST", path, raw=b'{"image": {', headers={"Content-Type": "application/json"}
    )
    assert broken.status == 400
    assert isinstance(broken.body["errors"], str)
    bodies: list[Any] = [{"attachment": b64(image_bytes())}, {"image": "x"}, []]
    for body in bodies:
        reply = await api.post(path, body)
        assert reply.status == 400
        assert reply.body == {"errors": {"image": "Required parameter missing or invalid"}}


@pytest.mark.parametrize(
    "path",
    [
        "/api/products/999999/images.json",
        "/api/products/no-such-handle/images.json",
        "/api/products/no-such-handle.json",
        "/api/widgets/1/images.json",
        "/api/products/{product}/images/999999.json",
        "/api/products/{product}/images/abc.json",
        "/api/products/{product}/images/{foreign}.json",
        "/api/standard_collections/{product}/images.json",
        "/api/products/{product}/images",
        "/api/products.xml",
    ],
)
async def test_unknown_things_are_404_not_found(api: SpiffyApi, path: str) -> None:
    product, other = api.owner("products"), api.owner("products", 1)
    foreign = api.emulator.catalog.images_of(other.id)[0].id
    reply = await api.get(path.format(product=product.id, foreign=foreign))
    assert (reply.status, reply.body) == (404, {"errors": "Not Found"})


async def test_unknown_image_on_update_and_delete_is_404(api: SpiffyApi) -> None:
    path = f"{product_path(api)}/images/999999.json"
    assert (await api.put(path, {"image": {"id": 999999, "alt": "x"}})).status == 404
    assert (await api.delete(path)).status == 404


async def test_wrong_method_is_405_in_the_error_shape(api: SpiffyApi) -> None:
    reply = await api.call("PATCH", f"{product_path(api)}/images.json", {"image": {}})
    assert reply.status == 405
    assert isinstance(reply.body["errors"], str)


@pytest.mark.parametrize(
    "auth",
    [
        None,
        "Basic " + base64.b64encode(b"demo:wrong").decode(),
        "Basic " + base64.b64encode(b"other:demo").decode(),
        "Basic !!!",
        "Bearer wrong-token",
        "Token demo",
    ],
)
async def test_wrong_credentials_are_401(api: SpiffyApi, auth: str | None) -> None:
    reply = await api.call("GET", "/api/products.json", auth=auth)
    assert reply.status == 401
    assert isinstance(reply.body["errors"], str)
    assert "Invalid API key" in reply.body["errors"]
    assert reply.headers["WWW-Authenticate"].startswith("Basic")


async def test_writes_need_credentials_too(api: SpiffyApi) -> None:
    before = len(api.emulator.store)
    reply = await api.call(
        "POST",
        f"{product_path(api)}/images.json",
        {"image": {"attachment": b64(image_bytes())}},
        auth=None,
    )
    assert reply.status == 401
    await assert_nothing_created(api, before)


@pytest.mark.parametrize("auth", [BASIC, "Bearer demo", "bearer demo"])
async def test_basic_and_bearer_credentials_are_accepted(api: SpiffyApi, auth: str) -> None:
    assert (await api.call("GET", "/api/products/count.json", auth=auth)).status == 200


@pytest.mark.parametrize(
    "given",
    [
        pytest.param({"alt": "no id"}, id="missing"),
        pytest.param({"id": 1, "alt": "other id"}, id="other"),
        pytest.param({"id": True, "alt": "bool"}, id="bool"),
    ],
)
async def test_update_must_carry_the_url_id(api: SpiffyApi, given: dict[str, Any]) -> None:
    image = api.emulator.catalog.images_of(api.owner("products").id)[0]
    reply = await api.put(f"{product_path(api)}/images/{image.id}.json", {"image": given})
    assert reply.status == 422
    assert field_errors(reply.body, "id")
    assert image.fields["alt"] != given["alt"]


async def test_update_accepts_the_id_as_digits_and_ignores_other_keys(api: SpiffyApi) -> None:
    path = product_path(api)
    listed = (await api.get(f"{path}/images.json")).body["images"][0]
    reply = await api.put(
        f"{path}/images/{listed['id']}.json",
        {
            "image": {
                **listed,
                "id": str(listed["id"]),
                "alt": "changed",
                "filename": "renamed.png",
                "src": "http://example.com/x.png",
                "attachment": b64(image_bytes("gif")),
                "digest": "0" * 32,
                "variation_ids": [123],
                "product_id": 1,
            }
        },
    )
    assert reply.status == 200, reply.body
    assert reply.body["image"] == {**listed, "alt": "changed"}


async def test_update_refuses_bad_alt_and_position(api: SpiffyApi) -> None:
    image = api.emulator.catalog.images_of(api.owner("products").id)[0]
    path = f"{product_path(api)}/images/{image.id}.json"
    bad_alt = await api.put(path, {"image": {"id": int(image.id), "alt": ["x"]}})
    assert bad_alt.status == 422
    assert field_errors(bad_alt.body, "alt")
    bad_position = await api.put(path, {"image": {"id": int(image.id), "position": -1}})
    assert bad_position.status == 422
    assert field_errors(bad_position.body, "position")


async def test_list_parameters_are_checked() -> None:
    async with running(seeded(4, owners=1)) as api:
        for params in ({"limit": "0"}, {"limit": "many"}, {"page": "0"}, {"since_id": "-1"}):
            reply = await api.get("/api/products.json", **params)
            assert reply.status == 400
            assert field_errors(reply.body, next(iter(params)))
