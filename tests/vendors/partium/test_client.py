"""PartiumClient against the emulator: what the conformance kit does not cover, and Partium's
traps (keyset scope, batches with per-item errors, ids from keys, update re-sending the file,
find, long maintenance windows)."""

from __future__ import annotations

import hashlib
import random
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import pytest

from syncer.emulators.faults import FaultConfig
from syncer.emulators.images import render
from syncer.errors import (
    AuthenticationError,
    ConfigError,
    NotFoundError,
    ProtocolError,
    RepeatedCursorError,
    UnavailableError,
    ValidationError,
)
from syncer.http import RetryPolicy, open_session
from syncer.records import Blob, ImageRecord
from syncer.vendors.partium.client import PartiumClient
from syncer.vendors.partium.mapping import image_id_for, parse_info
from syncer.vendors.partium.settings import PartiumSettings
from tests.emulators.partium.conftest import Api, gif, jpeg, png

QUICK = RetryPolicy(attempts=4, base=0.01, cap=0.05)
PART = "part-0001"
OTHER_PART = "part-0002"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with open_session() as session:
        yield session


def make(
    api: Api, session: aiohttp.ClientSession, retry: RetryPolicy = QUICK, **options: Any
) -> PartiumClient:
    settings = PartiumSettings(api_key="demo", base_url=api.base, **options)
    return PartiumClient(settings, session, retry=retry)


@pytest.fixture
def client(api: Api, session: aiohttp.ClientSession) -> PartiumClient:
    return make(api, session, page_size=7, maintenance_poll=0.05)


class Blobs:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0

    def __call__(self, data: bytes | None = None, mime: str = "image/jpeg") -> Blob:
        self.count += 1
        data = jpeg(1000 + self.count) if data is None else data
        path = self.directory / f"blob-{self.count}"
        path.write_bytes(data)
        return Blob(path, hashlib.sha256(data).hexdigest(), len(data), mime)


@pytest.fixture
def blobs(tmp_path: Path) -> Blobs:
    return Blobs(tmp_path)


def record(key: str, owner: str = PART, **fields: Any) -> ImageRecord:
    return ImageRecord(key=key, owner=owner, filename=f"{key}.jpg", **fields)


def stored(api: Api, image_id: str) -> dict[str, Any] | None:
    image = api.emulator.store.image(image_id)
    if image is None:
        return None
    return {"part_id": image.owner, "info": image.fields["info"], "sha256": image.sha256}


def requests(api: Api, method: str, route: str) -> int:
    return sum(n for (m, r, _), n in api.emulator.requests.items() if (m, r) == (method, route))


async def test_lists_descriptions_as_records(api: Api, client: PartiumClient) -> None:
    pages = [page async for page in client.pages()]
    records = [r for page in pages for r in page.records]
    images = list(api.emulator.store.iter_images())
    assert [r.key for r in records] == [image.id for image in images]
    assert len(pages) == 4  # 25 images, 7 a page
    assert [p.done for p in pages] == [False, False, False, True]
    for rec, image in zip(records, images, strict=True):
        roles, position, _ = parse_info(image.fields["info"])
        assert (rec.owner, rec.roles, rec.position) == (image.owner, roles, position)
        assert rec.version is None
        assert rec.url == f"{api.base}/1/catalog/images/{image.id}/original"


async def test_part_ids_scope_the_listing_and_its_cursor(
    api: Api, session: aiohttp.ClientSession
) -> None:
    scoped = make(api, session, page_size=3, part_ids=(OTHER_PART,))
    pages = [page async for page in scoped.pages()]
    expected = [i.id for i in api.emulator.store.iter_images() if i.owner == OTHER_PART]
    assert [r.key for p in pages for r in p.records] == expected
    assert pages[0].cursor["part_ids"] == [OTHER_PART]
    resumed = [r.key async for p in scoped.pages(pages[0].cursor) for r in p.records]
    assert resumed == expected[3:]
    with pytest.raises(ConfigError, match="part_ids"):
        [p async for p in make(api, session).pages(pages[0].cursor)]
    with pytest.raises(ConfigError):
        [p async for p in scoped.pages({"paging": {"scheme": "offset", "skip": 3}})]


async def test_a_finished_cursor_lists_nothing(client: PartiumClient) -> None:
    pages = [page async for page in client.pages()]
    assert [page async for page in client.pages(pages[-1].cursor)] == []


async def test_a_repeated_cursor_is_an_error(
    client: PartiumClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def same_page(*args: Any, **kwargs: Any) -> dict[str, Any]:
        return {"result": [], "last_object_id": "00aa", "more_data": True}

    monkeypatch.setattr(client.http, "json", same_page)
    with pytest.raises(RepeatedCursorError, match="partium list"):
        [p async for p in client.pages()]


async def test_a_broken_description_is_a_protocol_error(
    client: PartiumClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        return {"result": [{"image_id": 7, "part_id": "p"}], "more_data": False}

    monkeypatch.setattr(client.http, "json", broken)
    with pytest.raises(ProtocolError, match="image_id"):
        [p async for p in client.pages()]


async def test_open_streams_a_large_original_in_chunks(
    api: Api, client: PartiumClient, blobs: Blobs
) -> None:
    data = render(random.Random(5), "png", 700, 700, noise=True)
    assert len(data) > 1_000_000
    await client.create(record("big", roles=frozenset({"searchable"})), blobs(data, "image/png"))
    chunks = []
    async with client.open(record("big")) as stream:
        async for chunk in stream:
            chunks.append(chunk)
    assert len(chunks) > 1
    assert b"".join(chunks) == data


async def test_create_update_replace_delete_with_roles(
    api: Api, client: PartiumClient, blobs: Blobs
) -> None:
    """The kit's round trip with the fields Partium keeps (it has no alt text)."""
    blob = blobs()
    rec = record("item-1", roles=frozenset({"searchable"}))
    created = await client.create(rec, blob)
    assert created.id == "item-1"
    assert stored(api, "item-1") == {"part_id": PART, "info": "searchable", "sha256": blob.sha256}

    moved = replace(rec, owner=OTHER_PART, roles=frozenset({"display"}), position=2)
    updated = await client.update(created.id, moved)
    assert updated.id == "item-1"
    assert stored(api, "item-1") == {
        "part_id": OTHER_PART,
        "info": "display position=2",
        "sha256": blob.sha256,  # the current bytes were sent again
    }

    new_blob = blobs(png(77), "image/png")
    replaced = await client.replace(updated.id, moved, new_blob)
    assert replaced.id == "item-1"
    assert stored(api, "item-1") == {
        "part_id": OTHER_PART,
        "info": "display position=2",
        "sha256": new_blob.sha256,
    }

    await client.delete(replaced.id, moved)
    assert stored(api, "item-1") is None
    await client.delete(replaced.id, moved)  # already gone counts as deleted


async def test_creating_twice_upserts_one_image(
    api: Api, client: PartiumClient, blobs: Blobs
) -> None:
    blob = blobs()
    first = await client.create(record("twice"), blob)
    second = await client.create(record("twice"), blob)
    assert (first.id, first.extra["created"]) == ("twice", True)
    assert (second.id, second.extra["created"]) == ("twice", False)
    assert len([i for i in api.emulator.store.iter_images() if i.id == "twice"]) == 1


async def test_update_of_a_missing_image_is_not_found(client: PartiumClient) -> None:
    with pytest.raises(NotFoundError):
        await client.update("nowhere", record("nowhere"))


async def test_a_batch_is_split_by_size_and_repeated_ids(
    api: Api, session: aiohttp.ClientSession, blobs: Blobs
) -> None:
    client = make(api, session, batch_size=3)
    items = [(record(key), blobs()) for key in ("a", "b", "a", "c", "d", "e")]
    results = await client.create_batch(items)
    assert [r.key for r in results] == ["a", "b", "a", "c", "d", "e"]
    assert all(r.ok for r in results)
    assert requests(api, "POST", "/1/catalog/images") == 3  # [a b] [a c d] [e]
    assert stored(api, "a") == {"part_id": PART, "info": "", "sha256": items[2][1].sha256}


async def test_a_batch_is_split_by_bytes(
    api: Api, session: aiohttp.ClientSession, blobs: Blobs
) -> None:
    items = [(record(f"k{i}"), blobs()) for i in range(3)]
    client = make(api, session, batch_bytes=items[0][1].size + items[1][1].size)
    assert all(r.ok for r in await client.create_batch(items))
    assert requests(api, "POST", "/1/catalog/images") == 2


async def test_item_errors_are_per_item(api: Api, client: PartiumClient, blobs: Blobs) -> None:
    items = [
        (record("ok-1"), blobs()),
        (record("no-part", owner="no-such-part"), blobs()),
        (record("a-gif"), blobs(gif(), "image/gif")),
        (record("no-owner", owner=""), blobs()),
        (record("ok-2"), blobs()),
    ]
    results = await client.create_batch(items)
    assert [r.ok for r in results] == [True, False, False, False, True]
    messages = [str(r.error) for r in results if r.error is not None]
    assert all(isinstance(r.error, ValidationError) for r in results if not r.ok)
    assert "Part type 'no-such-part' does not exist" in messages[0]
    assert "Unsupported image type 'gif'" in messages[1]
    assert "no owner" in messages[2]
    assert requests(api, "POST", "/1/catalog/images") == 1  # the ownerless one was not sent


async def test_delete_batch_is_one_request_and_not_found_counts_as_deleted(
    api: Api, client: PartiumClient
) -> None:
    ids = [image.id for image in api.emulator.store.iter_images()][:2]
    items = [(ids[0], record("x")), ("never-existed", record("y")), (ids[1], record("z"))]
    results = await client.delete_batch(items)
    assert [(r.key, r.ok) for r in results] == [("x", True), ("y", True), ("z", True)]
    assert requests(api, "DELETE", "/1/catalog/images") == 1
    assert stored(api, ids[0]) is None
    assert stored(api, ids[1]) is None


async def test_find_adopts_only_what_a_create_would_have_written(
    client: PartiumClient, blobs: Blobs
) -> None:
    blob = blobs()
    rec = record("shop/front 1.jpg", roles=frozenset({"display"}), position=1)
    created = await client.create(rec, blob)
    assert created.id == image_id_for("shop/front 1.jpg") != rec.key
    found = await client.find(rec, blob)
    assert found is not None
    assert (found.id, found.sha256) == (created.id, blob.sha256)
    without_bytes = await client.find(rec, None)
    assert without_bytes is not None
    assert without_bytes.sha256 is None
    assert await client.find(rec, blobs()) is None  # other bytes under that id
    assert await client.find(replace(rec, position=2), blob) is None  # other info
    assert await client.find(replace(rec, owner=OTHER_PART), blob) is None
    assert await client.find(record("never-created"), blob) is None


async def test_a_long_maintenance_window_is_waited_out(
    api: Api, session: aiohttp.ClientSession, blobs: Blobs
) -> None:
    """Longer than the retry policy's backoff covers: the maintenance gate keeps trying."""
    retry = RetryPolicy(attempts=2, base=0.01, cap=0.01)
    client = make(api, session, retry, maintenance_poll=0.1, maintenance_wait=10.0)
    api.emulator.faults.configure(FaultConfig(maintenance=True))

    async def end_maintenance() -> None:
        await anyio.sleep(0.6)
        api.emulator.faults.configure(FaultConfig())

    async with anyio.create_task_group() as group:
        group.start_soon(end_maintenance)
        listed = [p async for p in client.pages()]  # reads keep working meanwhile
        item = await client.create(record("during-maintenance"), blobs())
    assert listed[-1].done
    assert item.id == "during-maintenance"
    assert client.maintenance.refusals >= 3
    assert api.emulator.injected["maintenance"] >= 2 * client.maintenance.refusals


async def test_maintenance_longer_than_the_wait_is_unavailable(
    api: Api, session: aiohttp.ClientSession, blobs: Blobs
) -> None:
    client = make(api, session, maintenance_poll=0.05, maintenance_wait=0.2)
    api.emulator.faults.configure(FaultConfig(maintenance=True))
    with pytest.raises(UnavailableError, match="maintenance") as refused:
        await client.create(record("never"), blobs())
    assert refused.value.transient
    results = await client.delete_batch([("x", record("x"))])
    assert isinstance(results[0].error, UnavailableError)


async def test_refused_credentials_end_a_batch(api: Api, session: aiohttp.ClientSession) -> None:
    client = PartiumClient(PartiumSettings(api_key="wrong", base_url=api.base), session)
    with pytest.raises(AuthenticationError, match=r"partium delete.*partium\.api_key"):
        await client.delete_batch([("a", record("a")), ("b", record("b"))])


def test_settings_are_checked_and_hide_the_key() -> None:
    assert "demo-secret" not in repr(PartiumSettings(api_key="demo-secret"))
    for bad in ({"api_key": ""}, {"page_size": 0}, {"page_size": 101}, {"batch_size": 0}):
        with pytest.raises(ConfigError):
            PartiumSettings(**{"api_key": "k", **bad})  # type: ignore[arg-type]


def test_capabilities_follow_the_settings(session: aiohttp.ClientSession) -> None:
    client = PartiumClient(PartiumSettings(api_key="k", batch_size=20), session)
    assert client.capabilities.batch_size == 20
    assert client.capabilities.replace_keeps_id
    assert "alt" not in client.capabilities.updatable_fields
    assert PartiumClient.capabilities.batch_size == 50
