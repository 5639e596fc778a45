"""Persistence across restarts, deterministic seeding and the uncapped seed."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from syncer.emulators.moov.emulator import MoovEmulator
from syncer.emulators.moov.versions import resolve_version
from syncer.emulators.moov.views import FIRST_ACCOUNT, image_metadata
from syncer.emulators.server import serve
from syncer.emulators.store import CatalogStore
from tests.emulators.moov.helpers import AUTH, form, image_bytes, image_path, images_path


def _catalog(emulator: MoovEmulator) -> list[tuple[Any, ...]]:
    return [
        (image.id, image.owner, image.sha256, image.created_at, image.updated_at, image.fields)
        for image in emulator.store.iter_images()
    ]


async def _change_through_the_api(base: str) -> None:
    async with aiohttp.ClientSession(base_url=base, headers=AUTH) as http:
        async with http.post(images_path(), data=form(image_bytes("png", 71))) as response:
            assert response.status == 201
        async with http.get(images_path(), params={"count": "2"}) as response:
            first, second = await response.json()
        async with http.delete(image_path(first["imageID"])) as response:
            assert response.status == 204
        metadata = image_path(second["imageID"]) + "/metadata"
        async with http.put(metadata, json={"altText": "kept"}) as response:
            assert response.status == 200


async def _listing(base: str) -> list[dict[str, Any]]:
    async with (
        aiohttp.ClientSession(base_url=base, headers=AUTH) as http,
        http.get(images_path(), params={"count": "100"}) as response,
    ):
        listing: list[dict[str, Any]] = await response.json()
    for image in listing:
        image.pop("link")  # the port differs between the two runs
    return listing


async def test_a_reopened_store_serves_the_same_catalog(tmp_path: Path) -> None:
    first = MoovEmulator(store=CatalogStore(tmp_path))
    first.seed(12, seed_value=3)
    async with serve(first) as base:
        await _change_through_the_api(base)
        before = await _listing(base)
    reopened = MoovEmulator(store=CatalogStore(tmp_path))
    async with serve(reopened) as base:
        after = await _listing(base)
    assert after == before
    assert len(after) == 13
    assert "disabledOn" in after[0]
    assert after[1]["altText"] == "kept"
    assert _catalog(reopened) == _catalog(first)
    for image in reopened.store.iter_images():
        assert reopened.store.data(image) == first.store.data(image)


def test_same_seed_value_same_catalog() -> None:
    one, two, other = MoovEmulator(), MoovEmulator(), MoovEmulator()
    one.seed(30, owners=3, seed_value=7)
    two.seed(30, owners=3, seed_value=7)
    other.seed(30, owners=3, seed_value=8)
    assert _catalog(one) == _catalog(two)
    assert [i.sha256 for i in one.store.iter_images()] == [
        i.sha256 for i in two.store.iter_images()
    ]
    assert {i.sha256 for i in one.store.iter_images()}.isdisjoint(
        i.sha256 for i in other.store.iter_images()
    )


def test_seeded_accounts_start_with_the_fixed_demo_account() -> None:
    emulator = MoovEmulator()
    emulator.seed(6, owners=3, seed_value=1)
    owners = emulator.store.owners_of()
    assert owners[0].id == FIRST_ACCOUNT
    assert all(uuid.UUID(owner.id).version == 4 for owner in owners)
    assert len({owner.id for owner in owners}) == 3
    assert {owner.kind for owner in owners} == {"account"}
    assert [len(emulator.store.images_of(owner.id)) for owner in owners] == [2, 2, 2]


def test_default_seed_uses_one_account() -> None:
    emulator = MoovEmulator()
    emulator.seed(3)
    assert [owner.id for owner in emulator.store.owners_of()] == [FIRST_ACCOUNT]


def test_seeded_images_are_valid_moov_images() -> None:
    emulator = MoovEmulator()
    emulator.seed(10, seed_value=4)
    public_ids = set()
    for image in emulator.store.iter_images():
        view = image_metadata(image, "http://h")
        assert uuid.UUID(view["imageID"]).version == 4
        assert view["createdOn"] == view["updatedOn"]
        assert view["createdOn"].endswith("Z")
        assert image.mime in ("image/png", "image/jpeg", "image/webp")
        public_ids.add(view["publicID"])
    assert len(public_ids) == 10


async def test_seeding_ignores_the_cap_but_uploads_do_not() -> None:
    emulator = MoovEmulator(knobs={"image_cap": 5})
    emulator.seed(8, seed_value=9)
    async with serve(emulator) as base, aiohttp.ClientSession(base_url=base, headers=AUTH) as http:
        async with http.get(images_path(), params={"count": "50"}) as response:
            assert len(await response.json()) == 8
        async with http.post(images_path(), data=form(image_bytes("png", 72))) as response:
            assert response.status == 400
            assert "5 images" in (await response.json())["error"]


@pytest.mark.parametrize(
    ("raw", "resolved"),
    [
        (None, "v2024.01.00"),
        ("", "v2024.01.00"),
        ("v2026.07.00", "v2026.07.00"),
        ("v2025.02.00", "v2025.01.00"),
        ("v2026.10.07", "v2026.10.00"),
        ("v2099.01.00", "v2026.10.00"),
        ("v2020.01.00", "v2024.01.00"),
        ("latest", "v2026.01.00"),
    ],
)
def test_version_resolution(raw: str | None, resolved: str) -> None:
    assert resolve_version(raw) == resolved
