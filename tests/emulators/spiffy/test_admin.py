"""Changes made through ``/_emulator/`` show up through the API as a Spiffy user's would."""

from __future__ import annotations

from typing import Any

from tests.emulators.spiffy.helpers import SpiffyApi, b64, image_bytes, webp_bytes


async def listed(api: SpiffyApi, kind: str, owner_id: str) -> list[dict[str, Any]]:
    return await api.all_images(f"/api/{kind}/{owner_id}/images.json")


async def test_admin_add_appears_last_and_at_a_given_position(api: SpiffyApi) -> None:
    owner = api.owner("products")
    before = await listed(api, "products", owner.id)
    data = image_bytes("gif", seed=11)
    added = await api.admin(
        "POST",
        "/images",
        {
            "owner": owner.id,
            "filename": "toolbox.gif",
            "data_base64": b64(data),
            "fields": {"alt": "from the Toolbox"},
        },
    )
    assert added.status == 201, added.body
    view = added.body["vendor"]
    assert (view["position"], view["alt"], view["filename"]) == (
        len(before) + 1,
        "from the Toolbox",
        "toolbox.gif",
    )
    stored = api.emulator.store.image(str(view["id"]))
    assert stored is not None
    assert added.body["sha256"] == stored.sha256

    first = await api.admin("POST", "/images", {"owner": owner.id, "fields": {"position": 1}})
    after = await listed(api, "products", owner.id)
    assert [image["id"] for image in after] == (
        [first.body["vendor"]["id"]] + [image["id"] for image in before] + [view["id"]]
    )
    got = await api.get(f"/api/products/{owner.id}/images/{view['id']}.json")
    assert got.body["image"] == {**view, "position": len(before) + 2}
    assert (await api.call("GET", view["src"], auth=None)).raw == data


async def test_admin_edit_of_alt_and_position_keeps_the_id(api: SpiffyApi) -> None:
    owner = api.owner("standard_collections")
    images = await listed(api, "standard_collections", owner.id)
    target = images[-1]
    edited = await api.admin(
        "PATCH", f"/images/{target['id']}", {"fields": {"alt": "renamed", "position": 1}}
    )
    assert edited.status == 200
    after = await listed(api, "standard_collections", owner.id)
    assert after[0] == {**target, "alt": "renamed", "position": 1}
    assert [image["position"] for image in after] == list(range(1, len(after) + 1))


async def test_admin_edit_of_bytes_recreates_the_image_in_place(api: SpiffyApi) -> None:
    owner = api.owner("super_collections")
    images = await listed(api, "super_collections", owner.id)
    old = images[0]
    data = image_bytes("jpeg", seed=5)
    edited = await api.admin("PATCH", f"/images/{old['id']}", {"data_base64": b64(data)})
    fresh = edited.body["vendor"]
    assert fresh["id"] != old["id"]
    assert fresh["digest"] != old["digest"]
    assert (fresh["position"], fresh["alt"], fresh["filename"]) == (1, old["alt"], old["filename"])
    assert fresh["extension"] == "jpg"
    after = await listed(api, "super_collections", owner.id)
    assert [image["id"] for image in after] == [fresh["id"]] + [i["id"] for i in images[1:]]
    old_path = f"/api/super_collections/{owner.id}/images/{old['id']}.json"
    assert (await api.get(old_path)).status == 404
    assert (await api.call("GET", fresh["src"], auth=None)).raw == data


async def test_admin_delete_removes_and_shifts_siblings(api: SpiffyApi) -> None:
    owner = api.owner("products", 1)
    images = await listed(api, "products", owner.id)
    assert len(images) >= 2
    assert (await api.admin("DELETE", f"/images/{images[0]['id']}")).status == 200
    after = await listed(api, "products", owner.id)
    assert [image["id"] for image in after] == [image["id"] for image in images[1:]]
    assert after[0]["position"] == 1
    assert (await api.call("GET", images[0]["src"], auth=None)).status == 404


async def test_admin_refuses_what_spiffy_refuses(api: SpiffyApi) -> None:
    owner = api.owner("products")
    before = len(api.emulator.store)
    webp = await api.admin("POST", "/images", {"owner": owner.id, "data_base64": b64(webp_bytes())})
    assert webp.status == 422
    assert "PNG, GIF and JPEG" in webp.body["error"]
    image = api.emulator.catalog.images_of(owner.id)[0]
    unknown = await api.admin("PATCH", f"/images/{image.id}", {"fields": {"title": "x"}})
    assert unknown.status == 400
    assert len(api.emulator.store) == before


async def test_admin_owners_of_each_kind_are_listed_by_the_api(api: SpiffyApi) -> None:
    supers = (await api.get("/api/super_collections/count.json")).body["count"]
    made = await api.admin(
        "POST",
        "/owners",
        {"fields": {"kind": "super_collections", "title": "Clearance", "handle": "clearance"}},
    )
    assert made.status == 201, made.body
    assert made.body["kind"] == "super_collections"
    by_handle = await api.get("/api/super_collections/clearance.json")
    assert by_handle.body["super_collection"]["id"] == int(made.body["id"])
    assert by_handle.body["super_collection"]["images"] == []
    plain = await api.admin("POST", "/owners", {})
    assert plain.body["kind"] in ("products", "standard_collections", "super_collections")
    assert (await api.get("/api/super_collections/count.json")).body["count"] == (
        supers + 1 + (plain.body["kind"] == "super_collections")
    )
    taken = await api.admin(
        "POST", "/owners", {"fields": {"kind": "super_collections", "handle": "clearance"}}
    )
    assert taken.status == 422


async def test_admin_catalog_shows_the_vendor_view(api: SpiffyApi) -> None:
    catalog = (await api.admin("GET", "/catalog")).body
    first = catalog["images"][0]
    owner = api.emulator.store.owners[first["owner"]]
    got = await api.get(f"/api/{owner.kind}/{owner.id}/images/{first['id']}.json")
    assert first["vendor"] == got.body["image"]
    assert {o["kind"] for o in catalog["owners"]} == {
        "products",
        "standard_collections",
        "super_collections",
    }
