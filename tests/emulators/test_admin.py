"""The private admin API, on the toy vendor."""

from __future__ import annotations

import base64
import hashlib
import random
from typing import Any

import aiohttp
import pytest

from syncer.emulators.images import generate
from tests.emulators.toy import ToyEmulator


async def _json(response: aiohttp.ClientResponse, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def _catalog(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with http.get(f"{url}/_emulator/catalog") as response:
        body: dict[str, Any] = await _json(response)
        return body


async def test_catalog_lists_every_image_with_the_sha256_of_its_bytes(
    toy_url: str, http: aiohttp.ClientSession
) -> None:
    catalog = await _catalog(http, toy_url)
    assert [o["id"] for o in catalog["owners"]] == ["o0", "o1"]
    assert len(catalog["images"]) == 4
    for image in catalog["images"]:
        async with http.get(f"{toy_url}/_emulator/images/{image['id']}/bytes") as response:
            data = await response.read()
            assert response.content_type == image["mime"]
        assert hashlib.sha256(data).hexdigest() == image["sha256"]
        assert image["size"] == len(data)


async def test_add_edit_delete_show_up_in_the_vendor_api(
    toy_url: str, http: aiohttp.ClientSession
) -> None:
    data = generate(random.Random(1), ("png",)).data
    body = {
        "owner": "o1",
        "filename": "new.png",
        "fields": {"alt": "hi"},
        "data_base64": base64.b64encode(data).decode(),
    }
    async with http.post(f"{toy_url}/_emulator/images", json=body) as response:
        added = await _json(response, 201)
    assert added["sha256"] == hashlib.sha256(data).hexdigest()
    assert added["owner"] == "o1"
    async with http.get(f"{toy_url}/items") as response:
        assert added["id"] in await response.json()

    async with http.patch(
        f"{toy_url}/_emulator/images/{added['id']}", json={"regenerate": True}
    ) as response:
        edited = await _json(response)
    assert edited["sha256"] != added["sha256"]
    async with http.get(f"{toy_url}/items/{added['id']}") as response:
        assert (await response.json())["sha256"] == edited["sha256"]

    async with http.delete(f"{toy_url}/_emulator/images/{added['id']}") as response:
        await _json(response)
    async with http.get(f"{toy_url}/items/{added['id']}") as response:
        assert response.status == 404


async def test_reset_reseeds_deterministically(toy_url: str, http: aiohttp.ClientSession) -> None:
    async def reseed(value: int) -> list[str]:
        async with http.post(
            f"{toy_url}/_emulator/reset", json={"seed": 6, "owners": 3, "seed_value": value}
        ) as response:
            assert await _json(response) == {"images": 6, "owners": 3}
        return [i["sha256"] for i in (await _catalog(http, toy_url))["images"]]

    first = await reseed(11)
    assert await reseed(11) == first
    assert await reseed(12) != first
    async with http.post(f"{toy_url}/_emulator/reset") as response:
        assert await _json(response) == {"images": 0, "owners": 0}


async def test_owners_can_be_added(toy_url: str, http: aiohttp.ClientSession) -> None:
    async with http.post(
        f"{toy_url}/_emulator/owners", json={"fields": {"name": "Extra"}}
    ) as response:
        owner = await _json(response, 201)
    assert owner["fields"]["name"] == "Extra"
    assert owner["id"] in [o["id"] for o in (await _catalog(http, toy_url))["owners"]]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("GET", "/_emulator/images/nope", None, 404, "no image 'nope'"),
        ("POST", "/_emulator/images", {"owner": "zz"}, 404, "no owner 'zz'"),
        ("POST", "/_emulator/images", {"data_base64": "%%%"}, 400, "not valid Base64"),
        ("PATCH", "/_emulator/knobs", {"nope": 1}, 400, "unknown knob"),
        ("POST", "/_emulator/reset", [1, 2], 400, "must be a JSON object"),
    ],
)
async def test_admin_refusals_are_clear(
    toy_url: str,
    http: aiohttp.ClientSession,
    method: str,
    path: str,
    body: Any,
    status: int,
    message: str,
) -> None:
    async with http.request(method, toy_url + path, json=body) as response:
        assert response.status == status
        assert message in (await response.json())["error"]


async def test_admin_info_names_vendor_and_credentials(
    toy: ToyEmulator, toy_url: str, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{toy_url}/_emulator") as response:
        info = await _json(response)
    assert info["vendor"] == "toy"
    assert info["credentials"] == {"token": "toy"}
    assert info["images"] == len(toy.store)
