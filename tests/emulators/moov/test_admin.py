"""Admin changes under ``/_emulator/`` show through the Moov API as a Dashboard user's would."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp

from syncer.emulators.moov.emulator import MoovEmulator
from tests.emulators.moov.helpers import (
    ACCOUNT,
    AUTH,
    SEED_VALUE,
    SEEDED,
    form,
    image_bytes,
    image_path,
    images_path,
)


async def _api(http: aiohttp.ClientSession, path: str) -> Any:
    async with http.get(path, headers=AUTH) as response:
        assert response.status == 200
        return await response.json()


async def _admin(
    http: aiohttp.ClientSession, method: str, path: str, body: Any = None, status: int = 200
) -> Any:
    async with http.request(method, "/_emulator" + path, json=body) as response:
        assert response.status == status, await response.text()
        return await response.json()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def test_admin_add_shows_up_in_the_account_listing(http: aiohttp.ClientSession) -> None:
    added = await _admin(
        http,
        "POST",
        "/images",
        {"owner": ACCOUNT, "format": "webp", "fields": {"altText": "From the Dashboard"}},
        status=201,
    )
    listed = await _api(http, images_path() + f"?skip={SEEDED}")
    assert listed == [added["vendor"]]
    assert listed[0]["altText"] == "From the Dashboard"
    assert added["mime"] == "image/webp"


async def test_catalog_vendor_view_equals_the_api_view(http: aiohttp.ClientSession) -> None:
    catalog = await _admin(http, "GET", "/catalog")
    assert [owner["id"] for owner in catalog["owners"]] == [ACCOUNT]
    api = await _api(http, images_path() + "?count=100")
    assert [image["vendor"] for image in catalog["images"]] == api
    assert all(len(image["sha256"]) == 64 for image in catalog["images"])


async def test_admin_edit_bytes_replaces_in_place(http: aiohttp.ClientSession) -> None:
    before = (await _api(http, images_path() + "?count=1"))[0]
    async with http.get(f"/images/{before['publicID']}") as response:
        etag = response.headers["ETag"]
    edited = await _admin(
        http,
        "PATCH",
        f"/images/{before['imageID']}",
        {"data_base64": _b64(image_bytes("png", 61)), "fields": {"altText": "retouched"}},
    )
    after = await _api(http, image_path(before["imageID"]))
    assert after == edited["vendor"]
    assert after["publicID"] == before["publicID"]
    assert after["updatedOn"] > before["updatedOn"]
    assert after["altText"] == "retouched"
    async with http.get(f"/images/{before['publicID']}", headers={"If-None-Match": etag}) as r:
        assert r.status == 200
        assert r.headers["ETag"] != etag


async def test_admin_edit_fields_only_keeps_the_bytes(http: aiohttp.ClientSession) -> None:
    before = (await _api(http, images_path() + "?count=1"))[0]
    stored = await _admin(http, "GET", f"/images/{before['imageID']}")
    edited = await _admin(
        http, "PATCH", f"/images/{before['imageID']}", {"fields": {"altText": None}}
    )
    assert edited["sha256"] == stored["sha256"]
    after = await _api(http, image_path(before["imageID"]))
    assert "altText" not in after
    assert after["updatedOn"] > before["updatedOn"]


async def test_admin_delete_disables_like_the_api(http: aiohttp.ClientSession) -> None:
    image = (await _api(http, images_path() + "?count=1"))[0]
    await _admin(http, "DELETE", f"/images/{image['imageID']}")
    after = await _api(http, image_path(image["imageID"]))
    assert after["disabledOn"] >= after["updatedOn"]
    assert len(await _api(http, images_path() + "?count=100")) == SEEDED
    stored = await _admin(http, "GET", f"/images/{image['imageID']}")
    assert stored["deleted"] is True
    async with http.get(f"/images/{image['publicID']}") as public:
        assert public.status == 200


async def test_admin_add_owner_is_a_new_empty_account(http: aiohttp.ClientSession) -> None:
    owner = await _admin(http, "POST", "/owners", {"fields": {"displayName": "Shop"}}, 201)
    assert owner["kind"] == "account"
    assert await _api(http, images_path(owner["id"])) == []
    await _admin(http, "POST", "/images", {"owner": owner["id"]}, status=201)
    assert len(await _api(http, images_path(owner["id"]))) == 1


async def test_admin_refuses_what_moov_refuses(http: aiohttp.ClientSession) -> None:
    gif = {"owner": ACCOUNT, "data_base64": _b64(image_bytes("gif", 62))}
    assert "PNG" in (await _admin(http, "POST", "/images", gif, status=400))["error"]
    png = {"owner": ACCOUNT, "data_base64": _b64(image_bytes("png", 63))}
    await _admin(http, "POST", "/images", png, status=201)
    assert "duplicate" in (await _admin(http, "POST", "/images", png, status=409))["error"]
    odd = {"owner": ACCOUNT, "fields": {"title": "x"}}
    assert "altText" in (await _admin(http, "POST", "/images", odd, status=400))["error"]


async def test_admin_ignores_the_image_cap(
    http: aiohttp.ClientSession, emulator: MoovEmulator
) -> None:
    await _admin(http, "PATCH", "/knobs", {"image_cap": SEEDED})
    assert emulator.knobs.image_cap == SEEDED
    await _admin(http, "POST", "/images", {"owner": ACCOUNT}, status=201)
    upload = form(image_bytes("png", 64))
    async with http.post(images_path(), data=upload, headers=AUTH) as refused:
        assert refused.status == 400
        assert "limit" in (await refused.json())["error"]


async def test_knobs_are_validated(http: aiohttp.ClientSession) -> None:
    await _admin(http, "PATCH", "/knobs", {"duplicate_body": "xml"}, status=400)
    await _admin(http, "PATCH", "/knobs", {"oversize_status": 418}, status=400)
    knobs = await _admin(http, "PATCH", "/knobs", {"oversize_status": "400"})
    assert knobs["oversize_status"] == 400


async def test_admin_reset_reseeds_the_same_catalog(http: aiohttp.ClientSession) -> None:
    before = await _admin(http, "GET", "/catalog")
    await _admin(http, "POST", "/reset", {"seed": SEEDED, "seed_value": SEED_VALUE})
    after = await _admin(http, "GET", "/catalog")
    assert after == before
    assert len(await _api(http, images_path() + "?count=100")) == SEEDED


async def test_admin_edit_to_a_duplicate_is_refused(http: aiohttp.ClientSession) -> None:
    first, second = await _api(http, images_path() + "?count=2")
    stored = await _admin(http, "GET", f"/images/{first['imageID']}")
    async with http.get(f"/_emulator/images/{first['imageID']}/bytes") as response:
        data = await response.read()
    assert len(data) == stored["size"]
    refusal = await _admin(
        http, "PATCH", f"/images/{second['imageID']}", {"data_base64": _b64(data)}, status=409
    )
    assert "duplicate" in refusal["error"]
    assert await _api(http, image_path(second["imageID"])) == second
