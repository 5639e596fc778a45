"""The BeProduct client as a source: mapping of listed headers, paging traps, folder scoping,
the ModifiedAt watermark, tombstones, streaming and refused answers."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest

from syncer.emulators.beproduct.catalog import UI_USER
from syncer.errors import ConfigError, NotFoundError, ProtocolError, RepeatedCursorError
from syncer.vendors.contract import Source, Target
from tests.vendors.beproduct.clientkit import (
    Rig,
    answer,
    fields_of,
    ignore_page_number,
    list_pages,
    open_rig,
    overstate_total,
    records_of,
)

SEEDED = 12
LIST = r"/image/headers$"


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with open_rig(tmp_path, seed=SEEDED) as rig:
        yield rig


async def test_listed_records_map_the_headers(rig: Rig) -> None:
    client = rig.client(page_size=5)
    rig.emulator.clock = lambda: datetime(2026, 6, 1, 12, 0, 0, 900_000, tzinfo=UTC).timestamp()
    assert isinstance(client, Source)
    assert isinstance(client, Target)
    pages = await list_pages(client)
    catalog = {v["id"]: v for v in await rig.catalog()}

    assert [len(p.records) for p in pages] == [5, 5, 2]
    assert [p.done for p in pages] == [False, False, True]
    for record in records_of(pages):
        view = catalog[record.key]
        header = view["vendor"]
        assert record.owner == view["owner"] == header["folder"]["id"]
        assert record.filename == view["filename"]
        assert record.url == header["headerData"]["preview"]["origin"]
        assert unquote(record.url or "").endswith("/" + record.filename)
        assert record.version == header["modifiedAt"]
        assert record.title == header["headerName"]
        assert record.alt == fields_of(view)["description"]
        assert record.extra["header_number"] == header["headerNumber"]
        assert record.extra["upload_id"] == header["headerData"]["variations"][-1]["id"]
        assert (record.mime, record.size, record.sha256, record.deleted) == (
            None,
            None,
            None,
            False,
        )
    # The vendor's Date (whole seconds) when the first page was answered, less 300 s.
    assert pages[-1].cursor["watermark"] == "2026-06-01T11:55:00.000Z"
    assert json.loads(json.dumps(pages[-1].cursor)) == pages[-1].cursor


async def test_a_total_that_overstates_ends_on_the_empty_page(rig: Rig) -> None:
    rig.emulator.script("POST", LIST, overstate_total(by=100), times=99)
    pages = await list_pages(rig.client(page_size=5))
    assert len({r.key for r in records_of(pages)}) == SEEDED
    assert pages[-1].records == []
    assert pages[-1].done
    assert rig.emulator.hits("POST", LIST) == 4  # pages 0-2, then the empty page 3


async def test_a_server_ignoring_the_page_number_is_a_repeated_cursor(rig: Rig) -> None:
    rig.emulator.script("POST", LIST, ignore_page_number, times=99)
    with pytest.raises(RepeatedCursorError) as raised:
        await list_pages(rig.client(page_size=5))
    assert raised.value.vendor == "beproduct"
    assert rig.emulator.hits("POST", LIST) == 2


async def test_a_page_of_the_wrong_shape_is_a_protocol_error(rig: Rig) -> None:
    rig.emulator.script("POST", LIST, answer({"result": "nope", "total": 3}))
    with pytest.raises(ProtocolError):
        await list_pages(rig.client())


async def test_a_folder_scopes_the_listing_and_its_cursor(rig: Rig) -> None:
    folder = next(iter(rig.emulator.store.owners))
    pages = await list_pages(rig.client(folder_id=folder, page_size=2))
    expected = {v["id"] for v in await rig.catalog() if v["owner"] == folder}
    assert {r.key for r in records_of(pages)} == expected
    assert len(expected) == SEEDED // 3
    with pytest.raises(ConfigError, match="folder"):
        await list_pages(rig.client(page_size=2), pages[0].cursor)


async def test_the_next_listing_starts_where_this_one_started_less_the_overlap(rig: Rig) -> None:
    client = rig.client(page_size=5, watermark_overlap=60)
    start = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    catalog = await rig.catalog()
    just_before, edited = rig.emulator.store.image(catalog[0]["id"]), catalog[3]["id"]
    assert just_before is not None
    rig.emulator.clock = lambda: (start - timedelta(seconds=30)).timestamp()
    rig.emulator.admin_edit(just_before, {"description": "just before"}, None)
    rig.emulator.clock = lambda: start.timestamp()
    final = (await list_pages(client))[-1].cursor
    assert final["watermark"] == "2026-06-01T11:59:00.000Z"
    rig.emulator.clock = lambda: (start + timedelta(hours=1)).timestamp()
    image = rig.emulator.store.image(edited)
    assert image is not None
    rig.emulator.admin_edit(image, {"description": "changed in the UI"}, None)

    since = client.next_sync_cursor(final)
    assert since["since"] == final["watermark"]
    records = records_of(await list_pages(client, since))
    # The overlap lists again the header changed 30 s before the listing started.
    assert {r.key for r in records} == {edited, just_before.id}
    assert next(r for r in records if r.key == edited).alt == "changed in the UI"


async def test_tombstones_are_listed_only_when_asked(rig: Rig) -> None:
    gone = next(rig.emulator.store.iter_images())
    rig.emulator.admin_delete(gone)
    assert gone.id not in {r.key for r in records_of(await list_pages(rig.client()))}
    records = records_of(await list_pages(rig.client(show_deleted=True)))
    assert [r.key for r in records if r.deleted] == [gone.id]
    assert len(records) == SEEDED


async def test_headers_without_an_image_are_left_out(rig: Rig) -> None:
    emulator = rig.emulator
    folder = next(iter(emulator.store.owners.values()))
    empty = emulator.catalog.create(
        str(uuid.uuid4()), folder, {"header_name": "empty"}, UI_USER, emulator.now()
    )
    pages = await list_pages(rig.client(page_size=5))
    keys = [r.key for r in records_of(pages)]
    assert empty.id not in keys
    assert len(keys) == SEEDED
    assert pages[-1].done


async def test_open_streams_the_original_in_chunks(rig: Rig) -> None:
    records = records_of(await list_pages(rig.client()))
    catalog = {v["id"]: v for v in await rig.catalog()}
    large = max(records, key=lambda r: catalog[r.key]["size"])
    assert catalog[large.key]["size"] > 1_000_000
    client = rig.client()
    chunks = []
    async with client.open(large) as stream:
        async for chunk in stream:
            chunks.append(chunk)
    assert len(chunks) > 1
    assert hashlib.sha256(b"".join(chunks)).hexdigest() == catalog[large.key]["sha256"]
    assert not any("Authorization" in s.headers for s in rig.emulator.seen if "/files/" in s.path)


async def test_open_without_a_url_reads_it_from_the_header(rig: Rig) -> None:
    record = records_of(await list_pages(rig.client()))[0]
    async with rig.client().open(replace(record, url=None)) as stream:
        data = b"".join([chunk async for chunk in stream])
    catalog = {v["id"]: v for v in await rig.catalog()}
    assert hashlib.sha256(data).hexdigest() == catalog[record.key]["sha256"]
    with pytest.raises(NotFoundError):
        async with rig.client().open(replace(record, key=str(uuid.uuid4()), url=None)):
            pass


async def test_an_unknown_company_domain_is_a_config_error(rig: Rig) -> None:
    with pytest.raises(ConfigError, match=r"beproduct\.company_domain"):
        await list_pages(rig.client(company_domain="acme"))
