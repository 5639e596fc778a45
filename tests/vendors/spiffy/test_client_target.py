"""The Spiffy client as a Target, against the emulator: positions, replace as create-then-delete,
ambiguous creates adopted through ``find``, and refusals made before any request."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import anyio
import pytest
from aiohttp import web

from syncer.emulators.faults import FaultConfig
from syncer.emulators.images import render
from syncer.emulators.store import Owner
from syncer.errors import (
    NetworkError,
    NotFoundError,
    ProtocolError,
    UnavailableError,
    ValidationError,
)
from syncer.records import Blob, ImageRecord
from syncer.testing.conformance import list_all, read_all
from syncer.vendors.spiffy.bodies import READ_CHUNK
from syncer.vendors.spiffy.mapping import owner_ref
from tests.emulators.spiffy.helpers import image_bytes, webp_bytes
from tests.vendors.spiffy.client_support import (
    Handler,
    Hook,
    HookedEmulator,
    Rig,
    is_create,
    json_answer,
    rig,
)


@pytest.fixture
async def r(tmp_path: Path) -> AsyncIterator[Rig]:
    async with rig(HookedEmulator(), tmp_path) as made:
        yield made


def product(r: Rig, images: int = 0) -> Owner:
    """A product with ``images`` images already on it (``old-N.png``, positions 1..n)."""
    owner = r.emulator.admin_add_owner({"kind": "products"})
    for n in range(1, images + 1):
        r.emulator.admin_add(owner, f"old-{n}.png", image_bytes("png", 100 + n), {"alt": f"{n}"})
    return owner


def record_for(who: Owner, blob: Blob, **fields: object) -> ImageRecord:
    values: dict[str, object] = {
        "key": "src-1",
        "owner": owner_ref("products", who.id),
        "filename": "new.png",
        "mime": blob.mime,
        "sha256": blob.sha256,
        "alt": "the new one",
    }
    values.update(fields)
    return ImageRecord(**values)  # type: ignore[arg-type]


async def test_create_honours_filename_alt_and_position(r: Rig) -> None:
    owner = product(r, images=2)
    blob = r.blob(image_bytes("png", 1))
    record = record_for(owner, blob, filename="some/dir/new.png", position=1)
    item = await r.client.create(record, blob)
    images = r.images_of(owner.id)
    assert images[0] == {
        "id": item.id,
        "position": 1,
        "alt": "the new one",
        "filename": "new.png",
        "sha256": blob.sha256,
    }
    assert item.sha256 == blob.sha256
    assert item.version == f"{item.id}:{r.emulator.store.images[item.id].fields['digest']}"


async def test_a_large_file_is_streamed_whole(r: Rig) -> None:
    owner = product(r)
    data = render(random.Random(5), "jpeg", 700, 700, noise=True)
    assert len(data) > 2 * READ_CHUNK  # several chunks of the streamed body
    blob = r.blob(data, "jpeg")
    item = await r.client.create(record_for(owner, blob, filename="big.jpg"), blob)
    assert r.emulator.store.images[item.id].sha256 == blob.sha256


async def test_types_spiffy_refuses_are_refused_before_any_request(r: Rig) -> None:
    owner = product(r)
    blob = r.blob(webp_bytes(), "webp")
    with pytest.raises(ValidationError, match="PNG, GIF and JPEG"):
        await r.client.create(record_for(owner, blob, filename="x.webp"), blob)
    assert r.posts() == 0


async def test_a_bad_owner_reference_fails_only_its_item(r: Rig) -> None:
    owner = product(r)
    good, other = r.blob(image_bytes("png", 1)), r.blob(image_bytes("png", 2))
    results = await r.client.create_batch(
        [
            (record_for(owner, good, key="a", owner=f"product/{owner.id}"), good),
            (record_for(owner, other, key="b"), other),
        ]
    )
    assert [result.ok for result in results] == [False, True]
    assert isinstance(results[0].error, ValidationError)
    assert "KIND/ID" in str(results[0].error)


async def test_update_changes_alt_and_position_and_keeps_id_and_digest(r: Rig) -> None:
    owner = product(r, images=3)
    first = r.images_of(owner.id)[0]
    digest = r.emulator.store.images[first["id"]].fields["digest"]
    blob = r.blob(image_bytes("png", 1))
    record = record_for(owner, blob, filename="renamed.png", alt="moved", position=3)
    item = await r.client.update(first["id"], record)
    assert item.id == first["id"]
    assert item.version == f"{first['id']}:{digest}"
    moved = r.images_of(owner.id)[2]
    assert (moved["id"], moved["alt"], moved["filename"]) == (first["id"], "moved", "old-1.png")


async def test_update_of_a_missing_image_is_not_found(r: Rig) -> None:
    owner = product(r)
    blob = r.blob(image_bytes("png", 1))
    with pytest.raises(NotFoundError):
        await r.client.update("999", record_for(owner, blob))


@pytest.mark.parametrize(("wanted", "final"), [(None, 2), (2, 2), (1, 1), (3, 3)])
async def test_replace_creates_first_then_deletes_ending_where_wanted(
    r: Rig, wanted: int | None, final: int
) -> None:
    owner = product(r, images=3)
    before = r.images_of(owner.id)
    old = before[1]
    calls: list[str] = []

    async def spy(request: web.Request, handler: Handler) -> web.StreamResponse:
        calls.append(request.method)
        return await handler(request)

    r.emulator.hook = spy
    blob = r.blob(image_bytes("gif", 3), "gif")
    item = await r.client.replace(old["id"], record_for(owner, blob, position=wanted), blob)
    assert item.id != old["id"]
    assert calls == ["GET", "POST", "DELETE"]  # never without the image in between
    after = r.images_of(owner.id)
    assert old["id"] not in {i["id"] for i in after}
    assert [i["id"] for i in after].index(item.id) + 1 == final
    assert after[final - 1]["sha256"] == blob.sha256
    others = [i["id"] for i in after if i["id"] != item.id]
    assert others == [before[0]["id"], before[2]["id"]]


async def test_replace_of_an_image_already_gone_only_creates(r: Rig) -> None:
    owner = product(r, images=1)
    old = r.images_of(owner.id)[0]
    r.emulator.admin_delete(r.emulator.store.images[old["id"]])
    blob = r.blob(image_bytes("png", 4))
    item = await r.client.replace(old["id"], record_for(owner, blob), blob)
    assert [i["id"] for i in r.images_of(owner.id)] == [item.id]


async def test_delete_is_done_when_the_image_is_gone_and_refuses_a_bad_id(r: Rig) -> None:
    owner = product(r, images=2)
    first = r.images_of(owner.id)[0]["id"]
    blob = r.blob(image_bytes("png", 1))
    record = record_for(owner, blob)
    await r.client.delete(first, record)
    await r.client.delete(first, record)
    assert [i["filename"] for i in r.images_of(owner.id)] == ["old-2.png"]
    with pytest.raises(ValidationError):
        await r.client.delete("not-an-id", record)


# -- ambiguous creates ---------------------------------------------------------------------------


def lose_first_answer(after_applying: bool, status: int | None = None) -> Hook:
    """A hook that breaks the first create: before or after Spiffy applied it, by a dropped
    connection or (``status``) a 5xx answer."""
    broken: list[bool] = []

    async def hook(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not is_create(request) or broken:
            return await handler(request)
        broken.append(True)
        if after_applying:
            await handler(request)
        if status is not None:
            return json_answer({"errors": "upstream hiccup"}, status=status)
        assert request.transport is not None
        request.transport.abort()
        return web.Response(status=0)

    return hook


@pytest.mark.parametrize(
    ("after_applying", "status", "posts"),
    [(True, None, 1), (True, 502, 1), (False, None, 2), (False, 500, 2)],
)
async def test_an_ambiguous_create_is_adopted_or_sent_again_never_duplicated(
    r: Rig, after_applying: bool, status: int | None, posts: int
) -> None:
    owner = product(r, images=1)
    r.emulator.hook = lose_first_answer(after_applying, status)
    blob = r.blob(image_bytes("jpeg", 6), "jpeg")
    item = await r.client.create(record_for(owner, blob, filename="new.jpg"), blob)
    same = [i for i in r.images_of(owner.id) if i["sha256"] == blob.sha256]
    assert [i["id"] for i in same] == [item.id]
    assert r.posts() == posts


async def test_creates_that_never_get_through_give_up_ambiguous(r: Rig) -> None:
    owner = product(r)

    async def drop(request: web.Request, handler: Handler) -> web.StreamResponse:
        if is_create(request):
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=0)
        return await handler(request)

    r.emulator.hook = drop
    blob = r.blob(image_bytes("png", 7))
    with pytest.raises(NetworkError) as error:
        await r.client.create(record_for(owner, blob), blob)
    assert error.value.ambiguous
    assert r.posts() == r.client.http.retry.attempts  # as many tries as any request gets
    assert r.images_of(owner.id) == []


async def test_a_maintenance_503_on_create_is_retried_as_unapplied(r: Rig) -> None:
    owner = product(r)
    r.emulator.faults.configure(type(r.emulator.faults.config)(maintenance=True))
    blob = r.blob(image_bytes("png", 8))
    client = r.connect()
    client.http.retry = type(client.http.retry)(attempts=2, max_retry_after=0.01)
    with pytest.raises(UnavailableError) as error:
        await client.create(record_for(owner, blob), blob)
    assert not error.value.ambiguous
    assert r.images_of(owner.id) == []


@pytest.mark.parametrize("answer", [b"", b'{"image": {"id": 10'])
async def test_a_create_answered_without_a_usable_body_is_looked_up(r: Rig, answer: bytes) -> None:
    owner = product(r, images=1)

    async def no_body(request: web.Request, handler: Handler) -> web.StreamResponse:
        applied = await handler(request)
        return web.Response(status=201, body=answer) if is_create(request) else applied

    r.emulator.hook = no_body
    blob = r.blob(image_bytes("png", 9))
    item = await r.client.create(record_for(owner, blob), blob)
    assert item.id == r.images_of(owner.id)[1]["id"]
    assert item.sha256 == blob.sha256


async def test_a_create_answered_with_garbage_before_applying_is_a_protocol_error(r: Rig) -> None:
    owner = product(r)

    async def garbage(request: web.Request, handler: Handler) -> web.StreamResponse:
        if is_create(request):  # a broken proxy: 200 and a torn body, nothing created
            return web.Response(text='{"truncated": [1, 2', content_type="application/json")
        return await handler(request)

    r.emulator.hook = garbage
    blob = r.blob(image_bytes("png", 10))
    with pytest.raises(ProtocolError, match="names no image"):
        await r.client.create(record_for(owner, blob), blob)


async def test_a_replace_cut_short_after_its_create_is_finished_not_doubled(r: Rig) -> None:
    owner = product(r, images=2)
    old = r.images_of(owner.id)[0]

    async def refuse_deletes(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "DELETE":
            return json_answer({"errors": "down"}, status=503)
        return await handler(request)

    r.emulator.hook = refuse_deletes
    blob = r.blob(image_bytes("jpeg", 12), "jpeg")
    record = record_for(owner, blob, filename="new.jpg")
    with pytest.raises(UnavailableError):
        await r.client.replace(old["id"], record, blob)
    assert len(r.images_of(owner.id)) == 3  # created, the old one still there
    r.emulator.hook = None
    posts = r.posts()
    item = await r.client.replace(old["id"], record, blob)
    assert r.posts() == posts  # adopted, not created again
    after = r.images_of(owner.id)
    assert [i["id"] for i in after] == [item.id, r.images_of(owner.id)[1]["id"]]
    assert (after[0]["sha256"], len(after)) == (blob.sha256, 2)


# -- find --------------------------------------------------------------------------------------


async def test_find_matches_file_name_and_bytes_and_never_writes(r: Rig) -> None:
    owner = product(r)
    x, y, z = (image_bytes("png", seed) for seed in (11, 12, 13))
    r.emulator.admin_add(owner, "same.png", x, {})
    wanted = r.emulator.admin_add(owner, "same.png", y, {})
    r.emulator.admin_add(owner, "other.png", y, {})
    r.emulator.requests.clear()
    blob_y, blob_z = r.blob(y), r.blob(z)
    record = record_for(owner, blob_y, filename="uploads/same.png")

    found = await r.client.find(record, blob_y)
    assert found is not None
    assert (found.id, found.sha256) == (wanted.id, blob_y.sha256)
    assert await r.client.find(record, blob_z) is None
    assert await r.client.find(record_for(owner, blob_y, filename="third.png"), blob_y) is None
    # without a blob, the record's sha256 is used; without either nothing can be proven
    assert await r.client.find(record, None) == found
    assert await r.client.find(record_for(owner, blob_y, sha256=None), None) is None
    gone = record_for(owner, blob_y, owner="products/99999999")
    assert await r.client.find(gone, blob_y) is None
    assert r.writes() == 0


async def test_find_pages_through_an_owner_with_many_images(r: Rig) -> None:
    owner = r.emulator.admin_add_owner({"kind": "products"})
    data = image_bytes("png", 77)
    for n in range(55):
        r.emulator.admin_add(owner, f"f{n}.png", data if n == 53 else image_bytes("gif", n), {})
    blob = r.blob(data)
    found = await r.client.find(record_for(owner, blob, filename="f53.png"), blob)
    assert found is not None
    assert r.emulator.store.images[found.id].filename == "f53.png"


# -- a whole run under faults ------------------------------------------------------------------


async def workload(r: Rig, blobs: list[Blob]) -> list[str]:
    """List and read the seeded catalog, then create, update, replace and delete one image per
    blob (concurrently); the keys listed."""
    pages = await list_all(r.client)
    listed = [record for page in pages for record in page.records]
    for record in listed[:4]:
        await read_all(r.client, record)
    owner = product(r)

    async def round_trip(index: int, blob: Blob, new: Blob) -> None:
        record = record_for(owner, blob, key=f"k{index}", filename=f"run-{index}.png")
        item = await r.client.create(record, blob)
        item = await r.client.update(item.id, replace(record, alt=f"alt {index}"))
        item = await r.client.replace(item.id, replace(record, sha256=new.sha256), new)
        await r.client.delete(item.id, record)

    async with anyio.create_task_group() as group:
        for index, blob in enumerate(blobs):
            group.start_soon(round_trip, index, blob, r.blob(image_bytes("png", 500 + index)))
    assert r.images_of(owner.id) == []
    return sorted(record.key for record in listed)


async def test_a_run_under_faults_completes_with_retries_bounded_by_the_faults(
    tmp_path: Path,
) -> None:
    """The issue's bar: every operation completes, and the emulator's request counters show no
    more than two extra requests per injected fault (ambiguous creates' look-ups included)."""
    counts: list[int] = []
    for faulty in (False, True):
        emulator = HookedEmulator()
        emulator.seed(12, 3, 50)
        async with rig(emulator, tmp_path, page_limit=5) as r:
            blobs = [r.blob(image_bytes("png", 400 + n)) for n in range(6)]
            if faulty:
                emulator.faults.configure(
                    FaultConfig(error_rate=0.1, reset_rate=0.05, rate_limit=20, seed=4)
                )
            listed = await workload(r, blobs)
            assert listed == sorted(emulator.store.images)
            counts.append(sum(emulator.requests.values()))
            injected = sum(emulator.injected.values())
    assert injected > 0
    assert r.client.http.retries <= 2 * injected
    assert counts[1] - counts[0] <= 2 * injected
