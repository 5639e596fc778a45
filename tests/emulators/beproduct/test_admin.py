"""Admin changes, persistence and seeding, seen through the vendor API."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from syncer.emulators.beproduct.emulator import BeProductEmulator
from syncer.emulators.server import serve
from syncer.emulators.store import CatalogStore
from tests.emulators.beproduct.helpers import SEEDED, Api, assert_vendor_error, image_bytes


async def admin(api: Api, method: str, path: str, body: Any = None) -> Any:
    reply = await api.call(method, f"/_emulator{path}", auth=False, json=body)
    assert reply.status in (200, 201), reply.text
    return reply.body


async def test_admin_add_shows_up_as_a_processed_header(api: Api) -> None:
    folder = (await api.get("/api/demo/Image/Folders")).body[1]
    data = image_bytes(21, "jpeg")
    added = await admin(
        api,
        "POST",
        "/images",
        {
            "owner": folder["id"],
            "filename": "studio.jpg",
            "data_base64": base64.b64encode(data).decode(),
            "fields": {"header_name": "Studio"},
        },
    )

    header = (await api.get(f"/api/demo/Image/Header/{added['id']}")).body
    assert header == added["vendor"]
    assert header["headerName"] == "Studio"
    assert header["folder"]["id"] == folder["id"]
    assert header["headerNumber"] == f"IMG-{SEEDED + 1:06d}"
    assert header["createdBy"]["name"] == "Demo Designer"
    async with api.session.get(header["headerData"]["preview"]["origin"]) as response:
        assert await response.read() == data
    listed = await api.page(filters=[{"field": "Id", "operator": "Eq", "value": added["id"]}])
    assert listed.body["total"] == 1


async def test_admin_edit_is_a_user_change_the_watermark_sees(
    api: Api, emulator: BeProductEmulator
) -> None:
    target = list(emulator.store.iter_images())[3]
    watermark = max(image.updated_at for image in emulator.store.iter_images())

    await admin(api, "PATCH", f"/images/{target.id}", {"fields": {"header_name": "Edited"}})
    edited = await api.page(filters=[{"field": "ModifiedAt", "operator": "Gt", "value": watermark}])
    assert [h["id"] for h in edited.body["result"]] == [target.id]
    assert edited.body["result"][0]["headerName"] == "Edited"
    assert edited.body["result"][0]["modifiedBy"]["name"] == "Demo Designer"

    new_bytes = image_bytes(22, "png")
    await admin(
        api, "PATCH", f"/images/{target.id}", {"data_base64": base64.b64encode(new_bytes).decode()}
    )
    header = (await api.get(f"/api/demo/Image/Header/{target.id}")).body
    assert len(header["headerData"]["variations"]) == 2
    async with api.session.get(header["headerData"]["preview"]["origin"]) as response:
        assert await response.read() == new_bytes


async def test_admin_delete_is_soft(api: Api, emulator: BeProductEmulator) -> None:
    target = next(emulator.store.iter_images())
    await admin(api, "DELETE", f"/images/{target.id}")

    assert_vendor_error(
        await api.get(f"/api/demo/Image/Header/{target.id}"), 404, "Image not found"
    )
    assert (await api.page()).body["total"] == SEEDED - 1
    shown = await api.page(query="&showDeleted=true")
    assert shown.body["result"][0] == {
        **shown.body["result"][0],
        "id": target.id,
        "isDeleted": True,
    }
    dump = await admin(api, "GET", "/catalog")
    assert [i["deleted"] for i in dump["images"] if i["id"] == target.id] == [True]


async def test_admin_owner_is_a_new_folder(api: Api) -> None:
    owner = await admin(api, "POST", "/owners", {"fields": {"name": "Swatches"}})
    folders = (await api.get("/api/demo/Image/Folders")).body
    assert {"id": owner["id"], "name": "Swatches"}.items() <= folders[-1].items()


async def test_catalog_dump_shows_the_vendor_view(api: Api, emulator: BeProductEmulator) -> None:
    dump = await admin(api, "GET", "/catalog")
    first = dump["images"][0]
    header = (await api.get(f"/api/demo/Image/Header/{first['id']}")).body
    assert first["vendor"] == header
    stored = emulator.store.image(first["id"])
    assert stored is not None
    assert first["sha256"] == stored.sha256


async def test_reopened_store_serves_the_same_catalog(tmp_path: Path) -> None:
    first = BeProductEmulator(store=CatalogStore(tmp_path))
    first.seed(6, owners=2, seed_value=3)
    async with serve(first) as base:
        before, upload_id = await _change_and_dump(base)
    first.store.close()

    second = BeProductEmulator(store=CatalogStore(tmp_path))
    async with serve(second) as base:
        api = await _api(base)
        try:
            assert await _catalog(api) == before
            status = await api.get(f"/api/demo/Style/GetImageProcessingStatus/{upload_id}")
            assert status.body == {"finished": True, "errorOccured": False, "message": ""}
            folder = (await api.get("/api/demo/Image/Folders")).body[0]["id"]
            created = await api.post(
                f"/api/demo/Image/Header/Create?folderId={folder}",
                json={"fields": [{"id": "header_name", "value": "n"}]},
            )
            assert created.body["headerNumber"] == "IMG-000008"  # numbering survived
            header = (await api.page()).body["result"][0]
            async with api.session.get(header["headerData"]["preview"]["origin"]) as response:
                served = hashlib.sha256(await response.read()).hexdigest()
            assert served == second.store.images[header["id"]].sha256  # blobs persisted too
        finally:
            await api.session.close()


async def _api(base: str) -> Api:
    import aiohttp

    from tests.emulators.beproduct.helpers import fetch_token

    session = aiohttp.ClientSession()
    return Api(base, session, await fetch_token(session, base))


async def _catalog(api: Api) -> list[Any]:
    """The admin dump with the server's own address taken out of the file URLs."""
    dump = (await api.call("GET", "/_emulator/catalog", auth=False)).text
    images = json.loads(dump.replace(api.base, "http://emulator"))["images"]
    return [(i["id"], i["sha256"], i["deleted"], i["vendor"]) for i in images]


async def _change_and_dump(base: str) -> tuple[list[Any], str]:
    """Create a header, upload and process a version, delete another; dump the catalog."""
    api = await _api(base)
    try:
        folder = (await api.get("/api/demo/Image/Folders")).body[0]["id"]
        created = (
            await api.post(
                f"/api/demo/Image/Header/Create?folderId={folder}",
                json={"fields": [{"id": "header_name", "value": "P"}]},
            )
        ).body
        upload_id = (await api.upload(created["id"], image_bytes(30))).body["imageId"]
        for _ in range(2):
            await api.get(f"/api/demo/Style/GetImageProcessingStatus/{upload_id}")
        first = (await api.page()).body["result"][0]["id"]
        await api.get(f"/api/demo/Image/Header/Delete/{first}")
        return await _catalog(api), upload_id
    finally:
        await api.session.close()


def _seeded(seed_value: int, count: int = 30) -> list[tuple[str, str, str]]:
    emulator = BeProductEmulator()
    emulator.seed(count, owners=4, seed_value=seed_value)
    return [(i.id, i.sha256, i.created_at) for i in emulator.store.iter_images()]


def test_seeding_is_deterministic() -> None:
    same = _seeded(5)
    assert same == _seeded(5)
    assert len({sha for _, sha, _ in same}) == 30
    assert {sha for _, sha, _ in same}.isdisjoint({sha for _, sha, _ in _seeded(6)})
