"""Persistence across restarts, deterministic seeding, and how seeded owners are spread."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from syncer.emulators.spiffy.catalog import OWNER_KINDS
from syncer.emulators.spiffy.emulator import SpiffyEmulator
from syncer.emulators.store import CatalogStore
from tests.emulators.spiffy.helpers import FAST_SEED_VALUE, b64, image_bytes, running, seeded


async def catalog_of(emulator: SpiffyEmulator) -> dict[str, Any]:
    async with running(emulator) as api:
        reply = await api.admin("GET", "/catalog")
        body: dict[str, Any] = reply.body
    for image in body["images"]:  # the src host:port differs between runs
        image["vendor"]["src"] = image["vendor"]["src"].split("/sites/", 1)[1]
    return body


async def test_a_reopened_data_dir_serves_the_same_catalog(tmp_path: Path) -> None:
    first = SpiffyEmulator(store=CatalogStore(tmp_path))
    first.seed(12, owners=5, seed_value=FAST_SEED_VALUE)
    async with running(first) as api:
        owner = api.owner("products")
        made = await api.post(
            f"/api/products/{owner.id}/images.json",
            {
                "image": {
                    "attachment": b64(image_bytes("gif", seed=9)),
                    "filename": "kept.gif",
                    "position": 1,
                }
            },
        )
        assert made.status == 201
        gone = api.emulator.catalog.images_of(owner.id)[-1]
        assert (await api.delete(f"/api/products/{owner.id}/images/{gone.id}.json")).status == 200
    before = await catalog_of(first)
    first.store.close()

    second = SpiffyEmulator(store=CatalogStore(tmp_path))
    assert await catalog_of(second) == before
    async with running(second) as api:
        owner = api.owner("products")
        listed = await api.get(f"/api/products/{owner.fields['handle']}/images.json")
        assert listed.body["images"][0]["id"] == made.body["image"]["id"]
        again = await api.post(
            f"/api/products/{owner.id}/images.json",
            {"image": {"attachment": b64(image_bytes("png", seed=10))}},
        )
        used = {image["vendor"]["id"] for image in before["images"]} | {gone.id}
        assert again.body["image"]["id"] > max(int(i) for i in used)  # ids never reused
    second.store.close()


async def test_same_seed_value_same_catalog_other_value_other_bytes() -> None:
    one = await catalog_of(seeded(30, seed_value=123))
    two = await catalog_of(seeded(30, seed_value=123))
    other = await catalog_of(seeded(30, seed_value=124))
    assert one == two
    assert [i["sha256"] for i in one["images"]] == [i["sha256"] for i in two["images"]]
    assert [i["sha256"] for i in one["images"]] != [i["sha256"] for i in other["images"]]


async def test_reset_and_reseed_through_the_admin_api_is_deterministic() -> None:
    emulator = seeded(10, seed_value=7)
    fresh = await catalog_of(seeded(10, seed_value=7))
    async with running(emulator) as api:
        await api.post(
            f"/api/products/{api.owner('products').id}/images.json",
            {"image": {"attachment": b64(image_bytes())}},
        )
        reply = await api.admin("POST", "/reset", {"seed": 10, "seed_value": 7})
        assert reply.body == {"images": 10, "owners": 10}
        listed = await api.all_images(f"/api/products/{api.owner('products').id}/images.json")
        assert [image["position"] for image in listed] == list(range(1, len(listed) + 1))
    assert await catalog_of(emulator) == fresh


def test_seeded_owners_spread_over_the_three_kinds_with_unique_handles() -> None:
    emulator = seeded(0, owners=60)
    kinds = Counter(owner.kind for owner in emulator.store.owners.values())
    assert set(kinds) == set(OWNER_KINDS)
    assert kinds["products"] > kinds["standard_collections"] + kinds["super_collections"]
    for kind in OWNER_KINDS:
        handles = [owner.fields["handle"] for owner in emulator.catalog.owners(kind)]
        assert len(handles) == len(set(handles))
    numeric = [o for o in emulator.catalog.owners("products") if o.fields["handle"].isdigit()]
    assert numeric, "the all-digit handle trap is seeded"
    assert emulator.catalog.find_owner("products", numeric[0].fields["handle"]) is numeric[0]


def test_seeded_positions_are_contiguous_and_variations_belong_to_the_product() -> None:
    emulator = seeded(45, owners=7)
    for kind in OWNER_KINDS:
        for owner in emulator.catalog.owners(kind):
            images = emulator.catalog.images_of(owner.id)
            assert [image.fields["position"] for image in images] == list(range(1, len(images) + 1))
            known = {v["id"] for v in owner.fields.get("variations", [])}
            assert all(set(image.fields["variation_ids"]) <= known for image in images)
