"""The Spiffy client as a Source, against the emulator: all three owner kinds, owner paging,
resuming, changes mid-run, and what the kit does not cover."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from syncer.errors import (
    AuthenticationError,
    ConfigError,
    NotFoundError,
    ProtocolError,
    RepeatedCursorError,
)
from syncer.records import ImageRecord, Page
from syncer.vendors.contract import Source, Target
from syncer.vendors.spiffy.client import SpiffyClient
from syncer.vendors.spiffy.settings import SpiffySettings
from tests.emulators.spiffy.helpers import FAST_SEED_VALUE, image_bytes
from tests.vendors.spiffy.client_support import Handler, HookedEmulator, json_answer, rig

#: 10 owners: 6 products, 2 standard and 2 super collections.
IMAGES, OWNERS = 37, 10


def seeded(count: int = IMAGES, owners: int = OWNERS) -> HookedEmulator:
    emulator = HookedEmulator()
    emulator.seed(count, owners, FAST_SEED_VALUE)
    return emulator


async def listing(client: SpiffyClient, cursor: dict[str, Any] | None = None) -> list[Page]:
    return [page async for page in client.pages(cursor)]


def keys(pages: list[Page]) -> list[str]:
    return [record.key for page in pages for record in page.records]


async def test_every_image_of_every_kind_once_with_its_owner_and_version(tmp_path: Path) -> None:
    emulator = seeded()
    async with rig(emulator, tmp_path, page_limit=3) as r:
        pages = await listing(r.client)
    store = emulator.store
    listed = keys(pages)
    assert sorted(listed) == sorted(store.images)
    assert len(listed) == len(set(listed))
    assert [page.done for page in pages] == [False] * (len(pages) - 1) + [True]
    kinds = set()
    for record in (r for page in pages for r in page.records):
        image = store.images[record.key]
        owner = store.owners[image.owner]
        kinds.add(owner.kind)
        assert record.owner == f"{owner.kind}/{owner.id}"
        assert record.version == f"{image.id}:{image.fields['digest']}"
        assert (record.filename, record.alt) == (image.filename, image.fields["alt"])
        assert record.position == image.fields["position"]
        assert record.mime == image.mime
        assert record.url is not None
        assert record.url.endswith("?" + image.fields["digest"])
    assert kinds == {"products", "standard_collections", "super_collections"}


async def test_resuming_from_every_cursor_across_owner_pages_and_kinds(tmp_path: Path) -> None:
    async with rig(seeded(), tmp_path, page_limit=3) as r:
        pages = await listing(r.client)
        # 6 products in pages of 3 owners: the cursor must carry the owners not yet started
        assert any(page.cursor["pending"] for page in pages)
        for index, page in enumerate(pages):
            cursor = json.loads(json.dumps(page.cursor))
            rest = await listing(r.client, cursor)
            assert keys(rest) == keys(pages[index + 1 :]), f"after page {index}"
            assert rest[-1].done


async def test_owner_kinds_choose_what_is_listed_and_in_which_order(tmp_path: Path) -> None:
    emulator = seeded()
    async with rig(emulator, tmp_path, owner_kinds=("super_collections", "products")) as r:
        pages = await listing(r.client)
    kinds = [record.owner.split("/")[0] for page in pages for record in page.records]
    assert set(kinds) == {"super_collections", "products"}
    assert kinds == sorted(kinds, key=("super_collections", "products").index)
    assert len(kinds) == sum(
        1
        for image in emulator.store.images.values()
        if emulator.store.owners[image.owner].kind != "standard_collections"
    )


async def test_owners_without_images_make_no_pages(tmp_path: Path) -> None:
    emulator = seeded(count=2, owners=2)
    for _ in range(4):
        emulator.admin_add_owner({"kind": "products"})
    async with rig(emulator, tmp_path, page_limit=2) as r:
        pages = await listing(r.client)
    assert len(keys(pages)) == 2
    assert all(page.records for page in pages[:-1])
    assert pages[-1].done


async def test_an_owner_deleted_since_it_was_listed_is_skipped(tmp_path: Path) -> None:
    async with rig(seeded(), tmp_path, page_limit=3) as r:
        pages = await listing(r.client)
        cursor = json.loads(json.dumps(pages[0].cursor))
        cursor["pending"].insert(0, 99_999_999)  # an owner that is gone by now
        assert keys(await listing(r.client, cursor)) == keys(pages[1:])


async def test_an_image_inserted_mid_owner_is_not_listed_twice(tmp_path: Path) -> None:
    emulator = seeded(count=6, owners=1)
    async with rig(emulator, tmp_path, page_limit=2) as r:
        first = await anext(aiter(r.client.pages()))
        owner = emulator.store.owners_of()[0]
        emulator.admin_add(owner, "new.png", image_bytes("png", 9), {"position": 1})
        rest = await listing(r.client, first.cursor)
    seen = keys([first, *rest])
    assert len(seen) == len(set(seen))
    assert set(seen) >= {image.id for image in emulator.store.images.values()} - {
        image.id for image in emulator.store.images.values() if image.filename == "new.png"
    }


def by_position(emulator: HookedEmulator) -> list[Any]:
    owner = emulator.store.owners_of()[0]
    return sorted(emulator.store.images_of(owner.id), key=lambda i: i.fields["position"])


async def test_a_deletion_in_a_page_already_read_marks_the_listing_shifted(
    tmp_path: Path,
) -> None:
    emulator = seeded(count=6, owners=1)
    async with rig(emulator, tmp_path, page_limit=2) as r:
        first = await anext(aiter(r.client.pages()))
        before = by_position(emulator)
        emulator.admin_delete(before[0])  # the third image moves into the page already read
        rest = await listing(r.client, first.cursor)
    assert not first.shifted
    assert rest[-1].shifted
    assert before[2].id not in keys(rest)  # what the shift hid, and why nothing may be deleted


async def test_an_owner_listed_while_nothing_changes_is_not_shifted(tmp_path: Path) -> None:
    emulator = seeded(count=6, owners=1)
    counted: list[str] = []

    async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.endswith("/images/count.json"):
            counted.append(request.path)
        return await handler(request)

    emulator.hook = count_requests
    async with rig(emulator, tmp_path, page_limit=2) as r:
        pages = await listing(r.client)
    assert not any(page.shifted for page in pages)
    assert sorted(keys(pages)) == sorted(emulator.store.images)
    assert len(counted) == 2  # after the first full page, and at the owner's end
    async with rig(emulator, tmp_path, page_limit=10) as r:  # one short page: no count
        counted.clear()
        await listing(r.client)
    assert counted == []


async def test_owners_that_ignore_since_id_are_a_repeated_cursor(tmp_path: Path) -> None:
    emulator = seeded(count=6, owners=10)

    async def ignore_since_id(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/api/products.json":
            kept = {k: v for k, v in request.query.items() if k != "since_id"}
            request = request.clone(rel_url=request.rel_url.with_query(kept))
        return await handler(request)

    emulator.hook = ignore_since_id
    async with rig(emulator, tmp_path, page_limit=3) as r:
        with pytest.raises(RepeatedCursorError) as error:
            await listing(r.client)
    assert error.value.vendor == "spiffy"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/products.json", {"products": {"id": 1}}),
        ("/api/products.json", {"products": [{"id": "100001"}]}),
        ("images.json", {"images": [{"id": 5, "filename": "x.png"}]}),  # no src, no digest
        ("images.json", {"image": []}),
    ],
)
async def test_answers_of_the_wrong_shape_are_protocol_errors(
    tmp_path: Path, path: str, body: Any
) -> None:
    emulator = seeded(count=3, owners=1)

    async def reshape(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.endswith(path):
            return json_answer(body)
        return await handler(request)

    emulator.hook = reshape
    async with rig(emulator, tmp_path) as r:
        with pytest.raises(ProtocolError):
            await listing(r.client)


async def test_a_bearer_token_works_and_a_wrong_one_names_its_setting(tmp_path: Path) -> None:
    async with rig(seeded(count=3, owners=1), tmp_path, token="demo") as r:
        assert len(keys(await listing(r.client))) == 3
        wrong = r.connect(token="not-it", api_key=None, password=None)
        with pytest.raises(AuthenticationError, match=r"spiffy\.token") as error:
            await listing(wrong)
    assert "spiffy" in str(error.value)


async def test_a_store_under_a_path_prefix(tmp_path: Path) -> None:
    emulator = HookedEmulator(knobs={"store_prefix": "acme"})
    emulator.seed(3, 1, FAST_SEED_VALUE)
    async with rig(emulator, tmp_path) as r:
        with pytest.raises(NotFoundError):
            await listing(r.client)
        prefixed = r.connect(base_url=r.url + "/acme/")
        assert len(keys(await listing(prefixed))) == 3


async def test_open_streams_src_and_finds_it_when_the_record_has_none(tmp_path: Path) -> None:
    emulator = seeded(count=3, owners=1)
    async with rig(emulator, tmp_path) as r:
        record = keys_and_records(await listing(r.client))[0]
        expected = emulator.store.images[record.key].sha256
        for candidate in (record, replace(record, url=None)):
            data = await read(r.client, candidate)
            assert hashlib.sha256(data).hexdigest() == expected


async def test_opening_a_deleted_image_is_not_found(tmp_path: Path) -> None:
    emulator = seeded(count=3, owners=1)
    async with rig(emulator, tmp_path) as r:
        record = keys_and_records(await listing(r.client))[0]
        emulator.admin_delete(emulator.store.images[record.key])
        for candidate in (record, replace(record, url=None)):
            with pytest.raises(NotFoundError):
                await read(r.client, candidate)


def keys_and_records(pages: list[Page]) -> list[ImageRecord]:
    return [record for page in pages for record in page.records]


async def read(client: SpiffyClient, record: ImageRecord) -> bytes:
    async with client.open(record) as chunks:
        return b"".join([chunk async for chunk in chunks])


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"base_url": "acme.spiffystores.com"}, "base_url"),
        ({"password": None}, "api_key"),
        ({"api_key": ""}, "api_key"),
        ({"owner_kinds": ("products", "collections")}, "owner_kinds"),
        ({"owner_kinds": ()}, "owner_kinds"),
        ({"owner_kinds": ("products", "products")}, "owner_kinds"),
        ({"page_limit": 51}, "page_limit"),
        ({"page_limit": 0}, "page_limit"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_settings_are_checked(settings: dict[str, Any], complaint: str) -> None:
    base: dict[str, Any] = {"base_url": "https://acme.spiffystores.com", "api_key": "k"}
    base["password"] = "secret-password"
    base.update(settings)
    with pytest.raises(ConfigError, match=complaint):
        SpiffySettings(**base)


def test_settings_never_show_secrets() -> None:
    settings = SpiffySettings(
        "https://acme.spiffystores.com", api_key="k", password="hunter22", token="tok-123"
    )
    assert "hunter22" not in repr(settings)
    assert "tok-123" not in repr(settings)


async def test_the_client_is_a_source_and_a_target_with_spiffys_capabilities(
    tmp_path: Path,
) -> None:
    async with rig(seeded(count=1, owners=1), tmp_path) as r:
        assert isinstance(r.client, Source)
        assert isinstance(r.client, Target)
        capabilities = r.client.capabilities
    assert capabilities.accepted_mimes == frozenset({"image/png", "image/gif", "image/jpeg"})
    assert capabilities.updatable_fields == {"alt", "position"}
    assert not capabilities.replace_keeps_id
    assert capabilities.batch_size == 1
