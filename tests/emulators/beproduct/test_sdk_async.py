"""The official SDK's async client (``BeProductAsync``), unmodified, against the emulator.

Its paging iterator never advances ``pageNumber`` (documented SDK bug), so listing is shown with
raw page calls through the client's own ``raw_api`` instead.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from beproduct.sdk import BeProductAsync

from syncer.emulators.beproduct.emulator import BeProductEmulator
from tests.emulators.beproduct.helpers import SEEDED, sdk_client

pytestmark = pytest.mark.skipif(
    sys.version_info < (3, 12),
    reason="beproduct's async module is a SyntaxError before Python 3.12 (nested f-string)",
)


@pytest.fixture
def aclient(served: str) -> Any:
    return sdk_client(served, cls=BeProductAsync)


async def settle(aclient: Any, upload_id: str) -> tuple[bool, bool, str]:
    for _ in range(5):
        status: tuple[bool, bool, str] = await aclient.image.upload_status(upload_id)
        if status[0]:
            return status
    raise AssertionError("processing never finished")


async def test_raw_page_calls_walk_every_header(aclient: Any, emulator: BeProductEmulator) -> None:
    seen: list[str] = []
    for number in range(4):
        page = await aclient.raw_api.post(
            f"Image/Headers?folderId=&pageSize=5&pageNumber={number}",
            body={"filters": [], "colorwayFilters": None},
        )
        assert page["total"] == SEEDED
        seen += [h["id"] for h in page["result"]]

    assert seen == [image.id for image in emulator.store.iter_images()]


async def test_get_create_update(aclient: Any, emulator: BeProductEmulator) -> None:
    folder_id = (await aclient.image.folders())[1]["id"]
    created = await aclient.image.attributes_create(
        folder_id=folder_id, fields={"header_name": "Async"}
    )
    updated = await aclient.image.attributes_update(
        header_id=created["id"], fields={"description": "changed"}
    )
    fetched = await aclient.image.attributes_get(header_id=created["id"])

    assert created["folder"]["id"] == folder_id
    assert fetched == updated
    assert {f["id"]: f["value"] for f in fetched["headerData"]["fields"]}[
        "description"
    ] == "changed"


async def test_chunked_upload_of_a_local_file_then_status(
    aclient: Any, emulator: BeProductEmulator, png_file: Path
) -> None:
    header_id = next(emulator.store.iter_images()).id
    sent = await anyio.Path(png_file).read_bytes()

    answer = await aclient.image.attributes_upload(header_id=header_id, filepath=str(png_file))
    assert set(answer) == {"imageId"}  # the async client returns the whole dict
    assert await aclient.image.upload_status(answer["imageId"]) == (False, False, "Processing")
    assert await settle(aclient, answer["imageId"]) == (True, False, "")

    header = await aclient.image.attributes_get(header_id=header_id)
    assert header["headerData"]["preview"]["origin"].endswith("/new-artwork.png")
    image = emulator.store.image(header_id)
    assert image is not None
    assert emulator.store.data(image) == sent


async def test_upload_from_url_head_then_get(aclient: Any, emulator: BeProductEmulator) -> None:
    source, target = list(emulator.store.iter_images())[:2]
    origin = (await aclient.image.attributes_get(header_id=source.id))["headerData"]["preview"][
        "origin"
    ]

    answer = await aclient.image.attributes_image_version_upload(
        header_id=target.id, fileurl=origin
    )
    assert await settle(aclient, answer["imageId"]) == (True, False, "")

    copied = emulator.store.image(target.id)
    assert copied is not None
    assert (copied.sha256, copied.filename, copied.mime) == (
        source.sha256,
        source.filename,
        source.mime,
    )
    assert len(copied.fields["versions"]) == 2
