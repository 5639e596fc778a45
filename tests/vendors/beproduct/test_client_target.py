"""The BeProduct client as a target: the two-stage write, no orphans, ambiguous creates
adopted, bodies rebuilt per attempt, find, resumed polling, and credentials."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

import pytest

from syncer.emulators.beproduct.catalog import UI_USER
from syncer.emulators.faults import with_changes
from syncer.errors import AuthenticationError, UnavailableError, ValidationError
from syncer.records import Blob, ImageRecord
from syncer.vendors.beproduct.client import BeProductClient
from tests.vendors.beproduct.clientkit import (
    Rig,
    consume_then_fail,
    fail_after,
    fail_before,
    fields_of,
    list_pages,
    open_rig,
    reset_after,
)

CREATE = r"/image/header/create$"
UPLOAD = r"/image/upload$"
STATUS = r"/getimageprocessingstatus/"


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with open_rig(tmp_path) as rig:
        yield rig


def tune(rig: Rig, **knobs: object) -> None:
    rig.emulator.knobs = with_changes(rig.emulator.knobs, knobs)


def record_for(
    folder: str, blob: Blob, key: str = "src-1", filename: str | None = None
) -> ImageRecord:
    ext = "png" if blob.mime == "image/png" else "jpg"
    return ImageRecord(key=key, owner=folder, filename=filename or f"art {key}.{ext}", alt="an alt")


async def test_create_uploads_polls_and_reads_back(rig: Rig) -> None:
    tune(rig, processing_polls=3)
    folder, blob = rig.folder(), rig.blobs.make()
    item = await rig.client().create(record_for(folder, blob), blob)

    [view] = await rig.live_numbered("src-1")
    header = view["vendor"]
    assert item.id == view["id"]
    assert view["owner"] == folder
    assert (item.sha256, view["sha256"]) == (blob.sha256, blob.sha256)
    assert item.version == header["modifiedAt"]
    assert item.extra["upload_id"] == header["headerData"]["variations"][-1]["id"]
    assert fields_of(view)["header_name"] == "art src-1"  # no title: the file name's stem
    assert fields_of(view)["description"] == "an alt"
    assert view["filename"] in ("art src-1.png", "art src-1.jpg")  # spaces kept as they are
    assert rig.emulator.hits("GET", STATUS) == 4  # three "processing" answers, then finished
    [upload] = [s for s in rig.emulator.seen if s.path.lower().endswith("/image/upload")]
    assert int(upload.headers["Content-Length"]) > blob.size  # sized, not chunked
    assert "Transfer-Encoding" not in upload.headers


async def test_the_file_name_travels_unchanged(rig: Rig) -> None:
    folder, blob = rig.folder(), rig.blobs.make("png")
    name = 'Café "quoted" 1.png'
    await rig.client().create(record_for(folder, blob, filename=f"exports/{name}"), blob)
    [view] = await rig.live_numbered("src-1")
    assert view["filename"] == name
    assert unquote(view["vendor"]["headerData"]["preview"]["origin"]).endswith("/" + name)


async def test_a_refused_upload_leaves_no_header_behind(rig: Rig) -> None:
    folder = rig.folder()
    broken = rig.blobs.write(b"not an image", "image/png")
    with pytest.raises(ValidationError, match="not a supported image"):
        await rig.client().create(record_for(folder, broken), broken)
    assert await rig.live_numbered("src-1") == []
    assert rig.emulator.hits("POST", CREATE) == 1


async def test_a_failed_processing_on_create_leaves_no_header_behind(rig: Rig) -> None:
    folder, blob = rig.folder(), rig.blobs.make()
    record = record_for(folder, blob, filename="fail-processing.png")
    with pytest.raises(ValidationError, match="could not be rendered"):
        await rig.client().create(record, blob)
    assert await rig.live_numbered("src-1") == []


async def test_a_failed_processing_on_replace_keeps_the_previous_bytes(rig: Rig) -> None:
    folder, first, second = rig.folder(), rig.blobs.make(), rig.blobs.make()
    client = rig.client()
    item = await client.create(record_for(folder, first), first)
    with pytest.raises(ValidationError, match="could not be rendered"):
        await client.replace(
            item.id, record_for(folder, second, filename="fail-processing.png"), second
        )
    [view] = await rig.live_numbered("src-1")
    assert view["sha256"] == first.sha256


@pytest.mark.parametrize("action", [fail_after, reset_after], ids=["502", "reset"])
async def test_an_applied_create_that_failed_is_adopted(rig: Rig, action: object) -> None:
    rig.emulator.script("POST", CREATE, action)  # type: ignore[arg-type]
    folder, blob = rig.folder(), rig.blobs.make()
    client = rig.client()
    item = await client.create(record_for(folder, blob), blob)
    [view] = await rig.live_numbered("src-1")
    assert view["id"] == item.id
    assert view["sha256"] == blob.sha256
    assert rig.emulator.hits("POST", CREATE) == 1
    assert client.http.retries == 1


async def test_an_unapplied_create_that_failed_is_sent_again(rig: Rig) -> None:
    rig.emulator.script("POST", CREATE, fail_before)
    folder, blob = rig.folder(), rig.blobs.make()
    item = await rig.client().create(record_for(folder, blob), blob)
    assert [v["id"] for v in await rig.live_numbered("src-1")] == [item.id]
    assert rig.emulator.hits("POST", CREATE) == 2


async def test_the_upload_body_is_rebuilt_for_every_attempt(rig: Rig) -> None:
    rig.emulator.script("POST", UPLOAD, consume_then_fail, times=2)
    folder, blob = rig.folder(), rig.blobs.make()
    await rig.client().create(record_for(folder, blob), blob)
    [view] = await rig.live_numbered("src-1")
    assert view["sha256"] == blob.sha256
    uploads = [s for s in rig.emulator.seen if s.path.lower().endswith("/image/upload")]
    assert len(uploads) == 3
    assert len({s.headers["Content-Length"] for s in uploads}) == 1


async def test_update_writes_title_and_alt_only(rig: Rig) -> None:
    folder, blob = rig.folder(), rig.blobs.make()
    client = rig.client()
    record = record_for(folder, blob)
    item = await client.create(record, blob)
    updated = await client.update(item.id, replace(record, title="New name", alt=None))
    [view] = await rig.live_numbered("src-1")
    assert fields_of(view)["header_name"] == "New name"
    assert fields_of(view)["description"] == ""
    assert updated.version == view["vendor"]["modifiedAt"] != item.version


async def test_delete_of_an_unknown_id_counts_as_deleted(rig: Rig) -> None:
    client, blob = rig.client(), rig.blobs.make()
    record = record_for(rig.folder(), blob)
    await client.delete(str(uuid.uuid4()), record)
    await client.delete("not-a-guid", record)


async def test_find_matches_the_key_exactly_and_writes_nothing(rig: Rig) -> None:
    folder, blob = rig.folder(), rig.blobs.make()
    client = rig.client()
    created = await client.create(record_for(folder, blob, key="Key-A"), blob)
    writes = rig.emulator.hits("POST", CREATE) + rig.emulator.hits("POST", UPLOAD)

    found = await client.find(record_for(folder, blob, key="Key-A"), blob)
    assert found is not None
    assert (found.id, found.sha256, found.extra["has_image"]) == (created.id, blob.sha256, True)
    assert await client.find(record_for(folder, blob, key="key-a"), blob) is None
    assert await client.find(record_for(rig.folder(), blob, key="Key-A"), blob) is None
    assert rig.emulator.hits("POST", CREATE) + rig.emulator.hits("POST", UPLOAD) == writes


async def test_find_prefers_the_duplicate_holding_the_same_bytes(rig: Rig) -> None:
    folder, first, second = rig.folder(), rig.blobs.make(), rig.blobs.make()
    client = rig.client()
    older = await client.create(record_for(folder, first), first)
    newer = await client.create(record_for(folder, second), second)

    found = await client.find(record_for(folder, second), second)
    assert found is not None
    assert (found.id, found.sha256) == (newer.id, second.sha256)
    unknown_bytes = await client.find(record_for(folder, second), None)
    assert unknown_bytes is not None
    assert (unknown_bytes.id, unknown_bytes.sha256) == (
        older.id,
        None,
    )


async def test_find_reports_a_header_whose_upload_never_finished(rig: Rig) -> None:
    emulator, blob = rig.emulator, rig.blobs.make()
    folder = rig.folder()
    values = {"header_number": "src-1", "header_name": "half made"}
    half = emulator.catalog.create(
        str(uuid.uuid4()), emulator.store.owners[folder], values, UI_USER, emulator.now()
    )
    found = await rig.client().find(record_for(folder, blob), blob)
    assert found is not None
    assert (found.id, found.sha256, found.extra["has_image"]) == (half.id, None, False)
    assert not found.complete  # the engine uploads again before the op is done


async def test_polling_resumes_from_a_persisted_upload_id(rig: Rig) -> None:
    tune(rig, processing_polls=2)
    folder, first, second = rig.folder(), rig.blobs.make(), rig.blobs.make()
    item = await rig.client().create(record_for(folder, first), first)
    upload_id = await rig.client().upload(item.id, record_for(folder, second), second)

    await rig.client().wait_for_upload(upload_id)  # a later run, a new client
    [view] = await rig.live_numbered("src-1")
    assert view["sha256"] == second.sha256
    assert view["vendor"]["headerData"]["variations"][-1]["id"] == upload_id


async def test_processing_that_never_finishes_times_out(rig: Rig) -> None:
    tune(rig, processing_polls=10**6)
    folder, blob = rig.folder(), rig.blobs.make()
    with pytest.raises(UnavailableError, match="still processing"):
        await rig.client(processing_timeout=0.1).create(record_for(folder, blob), blob)
    assert await rig.live_numbered("src-1") == []


async def test_a_wrong_client_secret_names_the_client_settings(rig: Rig) -> None:
    client = rig.client(client_secret="wrong-secret")
    with pytest.raises(AuthenticationError) as refused:
        await list_pages(client)
    assert "beproduct.client_id / beproduct.client_secret" in str(refused.value)
    assert "wrong-secret" not in str(refused.value)


async def test_a_token_endpoint_hiccup_is_retried(rig: Rig) -> None:
    rig.emulator.script("POST", r"/ids/connect/token$", fail_before)
    client = rig.client()
    assert await list_pages(client)
    assert client.http.retries == 1


async def test_an_expired_token_is_refreshed_once(rig: Rig) -> None:
    client: BeProductClient = rig.client()
    await list_pages(client)
    rig.emulator.clock = lambda: time.time() + 30_000  # every issued token has expired
    await list_pages(client)
    assert rig.emulator.hits("POST", r"/ids/connect/token$") == 2
