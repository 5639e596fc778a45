"""The official ``moovio-sdk`` async methods (``*_async``), unmodified, against the emulator."""

from __future__ import annotations

import io
import json

import pytest
from moovio_sdk import Moov
from moovio_sdk.models import components, errors
from PIL import Image

from syncer.emulators.moov.emulator import MoovEmulator
from tests.emulators.moov.helpers import ACCOUNT, SEEDED, image_bytes, sdk_image


async def test_list_async_pages_with_skip_and_count(amoov: Moov, emulator: MoovEmulator) -> None:
    ids: list[str] = []
    sizes: list[int] = []
    while True:
        page = (await amoov.images.list_async(account_id=ACCOUNT, skip=len(ids), count=7)).result
        sizes.append(len(page))
        ids += [image.image_id for image in page]
        if len(page) < 7:
            break
    assert sizes == [7, 7, 7, 4]
    assert ids == [image.id for image in emulator.store.images_of(ACCOUNT)]


async def test_upload_get_update_and_metadata_async(amoov: Moov) -> None:
    created = (
        await amoov.images.upload_async(
            account_id=ACCOUNT,
            image=sdk_image(image_bytes("jpeg", 21), "a.jpg", content_type="image/jpeg"),
            metadata={"alt_text": "first"},
        )
    ).result
    got = await amoov.images.get_metadata_async(account_id=ACCOUNT, image_id=created.image_id)
    assert got.result == created
    replaced = (
        await amoov.images.update_async(
            account_id=ACCOUNT, image_id=created.image_id, image=sdk_image(image_bytes("png", 22))
        )
    ).result
    assert replaced.image_id == created.image_id
    assert replaced.updated_on > created.updated_on
    assert replaced.alt_text == "first"
    renamed = (
        await amoov.images.update_metadata_async(
            account_id=ACCOUNT, image_id=created.image_id, alt_text="second"
        )
    ).result
    assert renamed.alt_text == "second"
    assert renamed.updated_on > replaced.updated_on


async def test_get_public_async_serves_the_requested_size(amoov: Moov) -> None:
    image = (await amoov.images.list_async(account_id=ACCOUNT, count=1)).result[0]
    response = await amoov.images.get_public_async(public_id=image.public_id, size="0x64")
    body = await response.result.aread()
    with Image.open(io.BytesIO(body)) as picture:
        assert picture.height == 64
    assert response.headers["etag"]


async def test_delete_async_disables_and_keeps_listing(amoov: Moov) -> None:
    image = (await amoov.images.list_async(account_id=ACCOUNT, count=1)).result[0]
    await amoov.images.delete_async(account_id=ACCOUNT, image_id=image.image_id)
    listed = (await amoov.images.list_async(account_id=ACCOUNT, count=SEEDED)).result
    assert len(listed) == SEEDED
    assert listed[0].image_id == image.image_id
    assert listed[0].disabled_on is not None
    assert all(other.disabled_on is None for other in listed[1:])


async def test_duplicate_upload_async_raises_generic_error(amoov: Moov) -> None:
    data = image_bytes("webp", 23)
    await amoov.images.upload_async(account_id=ACCOUNT, image=sdk_image(data, "a.webp"))
    with pytest.raises(errors.GenericError) as caught:
        await amoov.images.upload_async(account_id=ACCOUNT, image=sdk_image(data, "b.webp"))
    assert caught.value.raw_response.status_code == 409
    assert set(json.loads(caught.value.body)) == {"error"}


async def test_wrong_credentials_async_raise_api_error_401(served: str) -> None:
    security = components.Security(username="nobody", password="demo")
    async with Moov(server_url=served, security=security) as stranger:
        with pytest.raises(errors.APIError) as caught:
            await stranger.images.get_metadata_async(account_id=ACCOUNT, image_id="x")
    assert caught.value.raw_response.status_code == 401


async def test_unsupported_type_async_raises_the_typed_422(amoov: Moov) -> None:
    with pytest.raises(errors.ImageRequestValidationError) as caught:
        await amoov.images.upload_async(
            account_id=ACCOUNT, image=sdk_image(image_bytes("gif", 24), "a.gif")
        )
    assert "PNG" in (caught.value.data.image or "")


async def test_oversize_async_is_refused(amoov: Moov, emulator: MoovEmulator) -> None:
    emulator.knobs = type(emulator.knobs)(max_bytes=40_000)
    data = image_bytes("png", 25) + b"\0" * 50_000
    with pytest.raises(errors.APIError) as caught:
        await amoov.images.upload_async(account_id=ACCOUNT, image=sdk_image(data))
    assert caught.value.raw_response.status_code == 413
    assert len(emulator.store) == SEEDED
