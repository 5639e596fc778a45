"""Two-stage uploads over raw HTTP: refusals, processing knobs, status routes, served files."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from syncer.emulators.beproduct.emulator import BeProductEmulator
from syncer.emulators.faults import with_changes
from tests.emulators.beproduct.helpers import MISSING, Api, assert_vendor_error, image_bytes


@pytest.fixture
def header_id(emulator: BeProductEmulator) -> str:
    return next(emulator.store.iter_images()).id


def tune(emulator: BeProductEmulator, **knobs: object) -> None:
    emulator.knobs = with_changes(emulator.knobs, knobs)


async def status(api: Api, upload_id: str, route: str = "Style") -> dict[str, object]:
    if route == "query":
        reply = await api.get(f"/api/demo/Image/GetImageProcessingStatus?imageId={upload_id}")
    else:
        reply = await api.get(f"/api/demo/{route}/GetImageProcessingStatus/{upload_id}")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    body: dict[str, object] = reply.body
    return body


async def test_upload_answers_an_upload_id_and_processing_takes_polls(
    api: Api, emulator: BeProductEmulator, header_id: str
) -> None:
    tune(emulator, processing_polls=3)
    before = (await api.get(f"/api/demo/Image/Header/{header_id}")).body

    reply = await api.upload(header_id, image_bytes(5), filename="v2.png")
    assert reply.status == 200
    assert set(reply.body) == {"imageId"}
    upload_id = reply.body["imageId"]
    answers = [
        await status(api, upload_id, route) for route in ("Style", "Image", "Block", "query")
    ]

    assert answers[:3] == [{"finished": False, "errorOccured": False, "message": "Processing"}] * 3
    assert answers[3] == {"finished": True, "errorOccured": False, "message": ""}
    after = (await api.get(f"/api/demo/Image/Header/{header_id}")).body
    assert after["headerData"]["preview"]["origin"].endswith("/v2.png")
    assert before["headerData"]["preview"]["origin"] in after["files"]  # older version kept
    assert [v["name"] for v in after["headerData"]["variations"]][-1] == "v2.png"
    assert await status(api, upload_id) == answers[3]  # a finished upload stays finished


async def test_served_origin_and_preview_carry_the_bytes(
    api: Api, emulator: BeProductEmulator, header_id: str
) -> None:
    image = emulator.store.image(header_id)
    assert image is not None
    header = (await api.get(f"/api/demo/Image/Header/{header_id}")).body
    for url in header["headerData"]["preview"].values():
        async with api.session.get(url) as response:
            assert response.status == 200
            assert response.content_type == image.mime
            assert await response.read() == emulator.store.data(image)
        async with api.session.head(url) as response:
            assert int(response.headers["Content-Length"]) == image.size
    gone = await api.get(header["headerData"]["preview"]["origin"] + "x", auth=False)
    assert_vendor_error(gone, 404, "File not found")


async def test_chunked_upload_is_accepted(api: Api, header_id: str) -> None:
    data = image_bytes(8, "jpeg")

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 1000):
            yield data[start : start + 1000]

    form = aiohttp.FormData()
    form.add_field(
        "file", chunks(), filename="streamed.jpg", content_type="application/octet-stream"
    )
    reply = await api.post(f"/api/demo/Image/Header/{header_id}/Image/Upload", data=form)
    assert reply.status == 200
    await status(api, reply.body["imageId"])
    assert (await status(api, reply.body["imageId"]))["finished"] is True
    header = (await api.get(f"/api/demo/Image/Header/{header_id}")).body
    assert header["headerData"]["preview"]["origin"].endswith("/streamed.jpg")


async def test_position_route_is_accepted_for_images(api: Api, header_id: str) -> None:
    reply = await api.upload(header_id, image_bytes(9), suffix="/Position/front")
    assert reply.status == 200
    assert "imageId" in reply.body


async def test_upload_refusals(api: Api, emulator: BeProductEmulator, header_id: str) -> None:
    tune(emulator, max_upload_bytes=5000)
    form = aiohttp.FormData()
    form.add_field("other", b"x", filename="x.png")
    cases = [
        (await api.upload(header_id, b""), 400, "empty"),
        (await api.upload(header_id, b"%PDF-1.4 not an image"), 400, "not a supported image"),
        (await api.upload(header_id, image_bytes(1, "png")[:200]), 400, "not a supported image"),
        (await api.upload(header_id, b"\x89PNG" + bytes(6000)), 413, "too large"),
        (await api.upload(MISSING, image_bytes(2)), 404, "Image not found"),
        (
            await api.post(f"/api/demo/Image/Header/{header_id}/Image/Upload", data=form),
            400,
            "'file'",
        ),
        (
            await api.post(f"/api/demo/Image/Header/{header_id}/Image/Upload", json={"file": "x"}),
            400,
            "multipart",
        ),
    ]
    for reply, code, text in cases:
        assert_vendor_error(reply, code, text)


def test_size_cap_default_is_fifty_megabytes() -> None:
    assert BeProductEmulator().knobs.max_upload_bytes == 50 * 1024 * 1024


async def test_processing_error_rate_fails_uploads(
    api: Api, emulator: BeProductEmulator, header_id: str
) -> None:
    tune(emulator, processing_error_rate=1.0, processing_polls=0)
    upload_id = (await api.upload(header_id, image_bytes(4))).body["imageId"]
    body = await status(api, upload_id)
    assert body["finished"] is True
    assert body["errorOccured"] is True
    assert "failed" in str(body["message"])
    image = emulator.store.image(header_id)
    assert image is not None
    assert len(image.fields["versions"]) == 1


async def test_deleting_a_header_while_processing_fails_the_upload(
    api: Api, header_id: str
) -> None:
    upload_id = (await api.upload(header_id, image_bytes(6))).body["imageId"]
    await api.get(f"/api/demo/Image/Header/Delete/{header_id}")
    await status(api, upload_id)
    body = await status(api, upload_id)
    assert body["errorOccured"] is True
    assert "Image not found" in str(body["message"])
    assert_vendor_error(await api.upload(header_id, image_bytes(6)), 404, "Image not found")


async def test_unknown_upload_id(api: Api) -> None:
    for path in (
        f"/api/demo/Style/GetImageProcessingStatus/{MISSING}",
        "/api/demo/Image/GetImageProcessingStatus?imageId=nonsense",
        "/api/demo/Image/GetImageProcessingStatus",
    ):
        assert_vendor_error(await api.get(path), 404, "Upload not found")
