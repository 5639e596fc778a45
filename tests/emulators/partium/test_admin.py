"""The admin hooks (changes made "as a Partium UI user would" show through the vendor API),
persistence across a restart, and deterministic seeding."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import aiohttp

from syncer.emulators.partium.emulator import PartiumEmulator
from syncer.emulators.server import serve
from syncer.emulators.store import CatalogStore
from tests.emulators.partium.conftest import AUTH, Api, file_part, gif, images_part, jpeg, png


async def admin(api: Api, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    async with api.session.request(method, f"{api.base}/_emulator{path}", json=body) as response:
        return response.status, await response.json()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def test_admin_add_shows_through_the_vendor_api(api: Api) -> None:
    data = png(5)
    status, added = await admin(
        api,
        "POST",
        "/images",
        {
            "owner": "part-0002",
            "data_base64": b64(data),
            "fields": {"image_id": "ui-pic", "info": "display position=1"},
        },
    )
    assert status == 201
    described = {"image_id": "ui-pic", "part_id": "part-0002", "info": "display position=1"}
    assert added["vendor"] == described
    assert await api.call("GET", "/1/catalog/images/ui-pic") == (200, described)
    assert await api.original("ui-pic") == (data, "image/png")
    assert (await api.list_all(100))[-1] == described
    assert (await api.call("GET", "/1/catalog/status"))[1]["status"] == "processing"


async def test_admin_add_names_the_image_after_the_file(api: Api) -> None:
    _, added = await admin(
        api, "POST", "/images", {"filename": "from-ui.jpg", "data_base64": b64(jpeg(3))}
    )
    assert added["vendor"] == {"image_id": "from-ui", "part_id": "part-0001", "info": "searchable"}
    # the same filename again cannot reuse the id: the UI counter names it
    _, again = await admin(
        api, "POST", "/images", {"filename": "from-ui.jpg", "data_base64": b64(jpeg(4))}
    )
    assert again["id"] == "ui-1"


async def test_admin_add_refuses_what_the_ui_would(api: Api) -> None:
    cases = [
        (
            {"fields": {"info": "position=2"}, "format": "jpeg"},
            "position is only allowed together with the display token",
        ),
        ({"fields": {"colour": "red"}, "format": "jpeg"}, "unknown field(s) ['colour']"),
        ({"data_base64": b64(gif())}, "Partium accepts jpeg, png images only"),
        ({"fields": {"image_id": "detail-00001"}, "format": "png"}, "image already exists"),
    ]
    for body, message in cases:
        status, answer = await admin(api, "POST", "/images", body)
        assert status == 400
        assert message in answer["error"]


async def test_admin_edit_changes_info_part_and_bytes_in_place(api: Api) -> None:
    order = [d["image_id"] for d in await api.list_all(100)]
    target = order[3]
    data = png(8)
    status, edited = await admin(
        api,
        "PATCH",
        f"/images/{target}",
        {"fields": {"info": "searchable", "part_id": "part-0003"}, "data_base64": b64(data)},
    )
    assert status == 200
    described = {"image_id": target, "part_id": "part-0003", "info": "searchable"}
    assert edited["vendor"] == described
    assert await api.call("GET", f"/1/catalog/images/{target}") == (200, described)
    assert await api.original(target) == (data, "image/png")
    assert [d["image_id"] for d in await api.list_all(100)] == order
    in_part = await api.list_all(100, query={"part_ids": ["part-0003"]})
    assert described in in_part
    assert target in [image.id for image in api.emulator.store.images_of("part-0003")]


async def test_a_refused_admin_edit_changes_nothing(api: Api) -> None:
    target = next(api.emulator.store.iter_images())
    before = await api.call("GET", f"/1/catalog/images/{target.id}")
    status, answer = await admin(
        api, "PATCH", f"/images/{target.id}", {"fields": {"info": "display", "part_id": "nowhere"}}
    )
    assert (status, answer) == (400, {"error": "no part type 'nowhere'"})
    assert await api.call("GET", f"/1/catalog/images/{target.id}") == before


async def test_admin_delete_is_a_hard_delete(api: Api) -> None:
    target = next(api.emulator.store.iter_images()).id
    assert await admin(api, "DELETE", f"/images/{target}") == (200, {"deleted": target})
    assert await api.call("GET", f"/1/catalog/images/{target}") == (
        404,
        {"detail": "Image not found"},
    )
    assert target not in [d["image_id"] for d in await api.list_all(100)]
    _, answer = await api.call("DELETE", "/1/catalog/images", [target])
    assert answer == {"deleted": [], "errors": {target: "Image not found"}}


async def test_admin_owners_are_part_types(api: Api) -> None:
    status, owner = await admin(api, "POST", "/owners", {"fields": {"id": "pump-7"}})
    assert (status, owner["id"], owner["kind"]) == (201, "pump-7", "part_type")
    assert owner["fields"]["name"]
    _, numbered = await admin(api, "POST", "/owners", {})
    assert numbered["id"] == "part-0005"  # index 4: pump-7 took the fourth place
    assert (await admin(api, "POST", "/owners", {"fields": {"id": "pump-7"}}))[0] == 400
    entry = {"image_id": "on-new-part", "part_id": "pump-7", "info": "searchable"}
    _, body = await api.upsert([images_part([entry]), file_part(jpeg(), None)])
    assert body["created"] == ["on-new-part"]


async def test_catalog_dump_shows_the_vendor_view_of_every_image(api: Api) -> None:
    _, catalog = await admin(api, "GET", "/catalog")
    listed = await api.list_all(100)
    assert [image["vendor"] for image in catalog["images"]] == listed
    assert [o["id"] for o in catalog["owners"]] == ["part-0001", "part-0002", "part-0003"]
    assert all(o["kind"] == "part_type" and o["fields"]["name"] for o in catalog["owners"])


async def snapshot(api: Api) -> dict[str, Any]:
    """Everything a Partium user can see, plus the sha256s of the admin catalog."""
    listed = await api.list_all(7)
    _, catalog = await admin(api, "GET", "/catalog")
    _, status = await api.call("GET", "/1/catalog/status")
    originals = [await api.original(d["image_id"]) for d in listed]
    return {
        "listed": listed,
        "sha256": [i["sha256"] for i in catalog["images"]],
        "status": status,
        "originals": originals,
    }


async def test_a_reopened_data_dir_serves_the_same_catalog(tmp_path: Path) -> None:
    steady = {"processing_seconds": 3600}  # the status must not move while the test runs
    first = PartiumEmulator(CatalogStore(tmp_path), knobs=steady)
    first.seed(8, 2, seed_value=90)
    async with serve(first) as base, aiohttp.ClientSession(headers=AUTH) as session:
        api = Api(base, session, first)
        entry = {"image_id": "kept", "part_id": "new-part", "info": "display position=2"}
        first.knobs.auto_create_parts = True
        assert (await api.upsert([images_part([entry]), file_part(jpeg(6), None)]))[0] == 200
        gone = list(first.store.iter_images())[1].id
        assert await api.call("DELETE", "/1/catalog/images", [gone]) == (
            200,
            {"deleted": [gone], "errors": {}},
        )
        _, page = await api.call("POST", "/1/catalog/images/list", {"paging": {"limit": 4}})
        before = await snapshot(api)
    assert before["status"]["status"] == "processing"

    second = PartiumEmulator(CatalogStore(tmp_path), knobs=steady)
    async with serve(second) as base, aiohttp.ClientSession(headers=AUTH) as session:
        api = Api(base, session, second)
        after = await snapshot(api)
        _, rest = await api.call(
            "POST",
            "/1/catalog/images/list",
            {"paging": {"limit": 100, "last_object_id": page["last_object_id"]}},
        )
    assert after == before
    assert entry in after["listed"]
    assert gone not in [d["image_id"] for d in after["listed"]]
    assert page["result"] + rest["result"] == after["listed"]  # a cursor outlives a restart
    assert second.store.owners["new-part"].fields["auto_created"] is True


def catalog_of(seed_value: int) -> list[tuple[Any, ...]]:
    emulator = PartiumEmulator()
    emulator.seed(30, 4, seed_value=seed_value)
    owners = [(o.id, o.fields["name"]) for o in emulator.store.owners_of()]
    images = [
        (i.id, i.owner, i.sha256, i.mime, i.fields["info"], i.created_at)
        for i in emulator.store.iter_images()
    ]
    return [*owners, *images]


def test_the_same_seed_value_gives_the_same_catalog() -> None:
    first = catalog_of(90)  # seed values 90 and 91 put their one large image past index 30
    assert first == catalog_of(90)
    assert first != catalog_of(91)
    assert len({row[2] for row in first[4:]}) == 30  # every seeded image is different
    assert {row[3] for row in first[4:]} <= {"image/jpeg", "image/png"}
