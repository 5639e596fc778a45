"""The official ``moovio-sdk`` (blocking client), unmodified, against the Moov emulator."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from moovio_sdk import Moov
from moovio_sdk.models import components, errors
from PIL import Image

from syncer.emulators.images import sniff_format
from syncer.emulators.moov.emulator import MoovEmulator
from tests.emulators.moov.helpers import ACCOUNT, SEEDED, image_bytes, sdk_image


def test_list_pages_through_the_account_with_skip_and_count(
    moov: Moov, emulator: MoovEmulator
) -> None:
    pages: list[list[components.ImageMetadata]] = []
    skip = 0
    while True:
        page = moov.images.list(account_id=ACCOUNT, skip=skip, count=10).result
        pages.append(page)
        if len(page) < 10:
            break
        skip += 10
    assert [len(page) for page in pages] == [10, 10, 5]
    ids = [image.image_id for page in pages for image in page]
    assert ids == [image.id for image in emulator.store.images_of(ACCOUNT)]
    assert len(set(ids)) == SEEDED


def test_list_without_paging_params_answers_the_default_count_of_20(moov: Moov) -> None:
    assert len(moov.images.list(account_id=ACCOUNT).result) == 20


def test_list_past_the_end_is_an_empty_array(moov: Moov) -> None:
    assert moov.images.list(account_id=ACCOUNT, skip=SEEDED, count=5).result == []


def test_get_metadata_matches_the_listed_image(moov: Moov, base_url: str) -> None:
    listed = moov.images.list(account_id=ACCOUNT, count=3).result[2]
    got = moov.images.get_metadata(account_id=ACCOUNT, image_id=listed.image_id).result
    assert got == listed
    assert got.link == f"{base_url}/images/{got.public_id}"
    assert got.created_on.tzinfo is not None


def test_upload_answers_the_new_image_metadata(moov: Moov, emulator: MoovEmulator) -> None:
    data = image_bytes("webp", 1)
    result = moov.images.upload(
        account_id=ACCOUNT,
        image=sdk_image(data, "photo.webp"),
        metadata={"alt_text": "Blue oat milk carton"},
    ).result
    assert result.alt_text == "Blue oat milk carton"
    assert result.disabled_on is None
    assert result.created_on == result.updated_on
    stored = emulator.store.image(result.image_id)
    assert stored is not None
    assert emulator.store.data(stored) == data
    assert stored.mime == "image/webp"
    listed = moov.images.list(account_id=ACCOUNT, skip=SEEDED).result
    assert [image.image_id for image in listed] == [result.image_id]


def test_replace_keeps_the_ids_and_moves_updated_on(moov: Moov, emulator: MoovEmulator) -> None:
    before = moov.images.list(account_id=ACCOUNT, count=1).result[0]
    first = moov.images.get_public(public_id=before.public_id)
    first.result.close()
    new_bytes = image_bytes("png", 2)
    after = moov.images.update(
        account_id=ACCOUNT, image_id=before.image_id, image=sdk_image(new_bytes)
    ).result
    assert (after.image_id, after.public_id, after.link) == (
        before.image_id,
        before.public_id,
        before.link,
    )
    assert after.created_on == before.created_on
    assert after.updated_on > before.updated_on
    assert after.alt_text == before.alt_text  # no metadata part: metadata kept
    stored = emulator.store.image(before.image_id)
    assert stored is not None
    assert emulator.store.data(stored) == new_bytes
    public = moov.images.get_public(public_id=before.public_id)
    public.result.close()
    assert public.headers["etag"] != first.headers["etag"]
    assert public.headers["content-type"] == ["image/png"]


def test_replace_with_a_metadata_part_replaces_alt_text(moov: Moov) -> None:
    image = moov.images.list(account_id=ACCOUNT, count=1).result[0]
    renamed = moov.images.update(
        account_id=ACCOUNT,
        image_id=image.image_id,
        image=sdk_image(image_bytes("jpeg", 3), "new.jpg"),
        metadata={"alt_text": "replaced"},
    ).result
    assert renamed.alt_text == "replaced"
    cleared = moov.images.update(
        account_id=ACCOUNT,
        image_id=image.image_id,
        image=sdk_image(image_bytes("jpeg", 4), "newer.jpg"),
        metadata={},
    ).result
    assert cleared.alt_text is None


def test_update_metadata_is_a_full_replace(moov: Moov) -> None:
    image = moov.images.list(account_id=ACCOUNT, count=1).result[0]
    named = moov.images.update_metadata(
        account_id=ACCOUNT, image_id=image.image_id, alt_text="New! Updated recipe"
    ).result
    assert named.alt_text == "New! Updated recipe"
    assert named.updated_on > image.updated_on
    cleared = moov.images.update_metadata(account_id=ACCOUNT, image_id=image.image_id).result
    assert cleared.alt_text is None
    assert cleared.updated_on > named.updated_on


def test_delete_only_disables_the_image(moov: Moov) -> None:
    image = moov.images.list(account_id=ACCOUNT, count=1).result[0]
    data = image_bytes("png", 5)
    image = moov.images.update(
        account_id=ACCOUNT, image_id=image.image_id, image=sdk_image(data)
    ).result
    moov.images.delete(account_id=ACCOUNT, image_id=image.image_id)  # raises unless 204
    disabled = moov.images.get_metadata(account_id=ACCOUNT, image_id=image.image_id).result
    assert disabled.disabled_on is not None
    assert disabled.updated_on == image.updated_on
    listed = moov.images.list(account_id=ACCOUNT, count=1).result[0]
    assert listed.image_id == image.image_id
    assert listed.disabled_on == disabled.disabled_on
    assert moov.images.get_public(public_id=image.public_id).result.read()
    with pytest.raises(errors.GenericError):  # a disabled image still counts as a duplicate
        moov.images.upload(account_id=ACCOUNT, image=sdk_image(data))
    moov.images.delete(account_id=ACCOUNT, image_id=image.image_id)  # again: still 204
    again = moov.images.get_metadata(account_id=ACCOUNT, image_id=image.image_id).result
    assert again.disabled_on == disabled.disabled_on


def test_duplicate_upload_raises_generic_error_for_the_sdk_version(moov: Moov) -> None:
    data = image_bytes("png", 6)
    moov.images.upload(account_id=ACCOUNT, image=sdk_image(data))
    with pytest.raises(errors.GenericError) as caught:
        moov.images.upload(account_id=ACCOUNT, image=sdk_image(data, "again.png"))
    assert caught.value.raw_response.status_code == 409
    assert "duplicate" in caught.value.data.error
    assert "imageID" not in json.loads(caught.value.body)  # v2026.07.00: no metadata


def test_replace_with_the_same_bytes_is_a_duplicate(moov: Moov) -> None:
    image = moov.images.list(account_id=ACCOUNT, count=1).result[0]
    data = image_bytes("jpeg", 7)
    moov.images.update(account_id=ACCOUNT, image_id=image.image_id, image=sdk_image(data))
    with pytest.raises(errors.GenericError):
        moov.images.update(account_id=ACCOUNT, image_id=image.image_id, image=sdk_image(data))


@contextmanager
def _moov_speaking(base_url: str, version: str) -> Iterator[Moov]:
    """The unmodified SDK whose requests an httpx hook re-labels with another version."""

    def relabel(request: httpx.Request) -> None:
        request.headers["X-Moov-Version"] = version

    security = components.Security(username="demo", password="demo")
    with httpx.Client(event_hooks={"request": [relabel]}) as client:
        yield Moov(server_url=base_url, security=security, client=client)


def test_duplicate_from_v2026_10_carries_the_existing_image(base_url: str, moov: Moov) -> None:
    data = image_bytes("png", 8)
    first = moov.images.upload(account_id=ACCOUNT, image=sdk_image(data)).result
    with (
        _moov_speaking(base_url, "v2026.10.00") as newer,
        pytest.raises(errors.GenericError) as caught,
    ):
        newer.images.upload(account_id=ACCOUNT, image=sdk_image(data))
    body = json.loads(caught.value.body)
    assert caught.value.data.error
    assert components.ImageMetadata.model_validate(body) == first


def test_metadata_only_duplicate_body_breaks_the_sdk(
    base_url: str, moov: Moov, emulator: MoovEmulator
) -> None:
    emulator.knobs = type(emulator.knobs)(duplicate_body="metadata")
    data = image_bytes("png", 9)
    moov.images.upload(account_id=ACCOUNT, image=sdk_image(data))
    with (
        _moov_speaking(base_url, "v2026.10.00") as newer,
        pytest.raises(errors.ResponseValidationError),
    ):
        newer.images.upload(account_id=ACCOUNT, image=sdk_image(data))


def test_wrong_credentials_raise_api_error_401(base_url: str) -> None:
    security = components.Security(username="demo", password="wrong")
    with Moov(server_url=base_url, security=security) as stranger:
        with pytest.raises(errors.APIError) as caught:
            stranger.images.list(account_id=ACCOUNT)
        assert caught.value.raw_response.status_code == 401
        with pytest.raises(errors.APIError) as upload:
            stranger.images.upload(account_id=ACCOUNT, image=sdk_image(image_bytes("png", 10)))
        assert upload.value.raw_response.status_code == 401


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (image_bytes("gif", 11), "anim.gif"),
        (b"just some text, not an image", "notes.txt"),
        (b"", "empty.png"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "broken.png"),
    ],
    ids=["gif", "text", "empty", "corrupt-png"],
)
def test_refused_files_raise_the_typed_422(moov: Moov, data: bytes, name: str) -> None:
    with pytest.raises(errors.ImageRequestValidationError) as caught:
        moov.images.upload(account_id=ACCOUNT, image=sdk_image(data, name))
    assert caught.value.raw_response.status_code == 422
    assert caught.value.data.image
    assert caught.value.data.metadata is None


def test_too_long_alt_text_raises_the_typed_metadata_422(moov: Moov) -> None:
    image = moov.images.list(account_id=ACCOUNT, count=1).result[0]
    with pytest.raises(errors.ImageMetadataValidationError) as caught:
        moov.images.update_metadata(
            account_id=ACCOUNT, image_id=image.image_id, alt_text="x" * 1001
        )
    assert caught.value.data.alt_text
    with pytest.raises(errors.ImageRequestValidationError) as upload:
        moov.images.upload(
            account_id=ACCOUNT,
            image=sdk_image(image_bytes("png", 12)),
            metadata={"alt_text": "y" * 1001},
        )
    assert upload.value.data.metadata is not None
    assert upload.value.data.metadata.alt_text
    assert upload.value.data.image is None


def test_oversize_upload_is_refused_with_413(moov: Moov) -> None:
    data = image_bytes("png", 13) + b"\0" * (16 * 1024 * 1024)
    with pytest.raises(errors.APIError) as caught:
        moov.images.upload(account_id=ACCOUNT, image=sdk_image(data))
    assert caught.value.raw_response.status_code == 413
    assert "limit" in json.loads(caught.value.body)["error"]


def test_oversize_status_knob_400_gives_the_typed_error(moov: Moov, emulator: MoovEmulator) -> None:
    emulator.knobs = type(emulator.knobs)(max_bytes=50_000, oversize_status=400)
    image = moov.images.list(account_id=ACCOUNT, count=1).result[0]
    data = image_bytes("png", 14) + b"\0" * 60_000
    with pytest.raises(errors.GenericError) as caught:
        moov.images.update(account_id=ACCOUNT, image_id=image.image_id, image=sdk_image(data))
    assert caught.value.raw_response.status_code == 400


def test_image_cap_refuses_uploads_past_the_limit(moov: Moov, emulator: MoovEmulator) -> None:
    emulator.knobs = type(emulator.knobs)(image_cap=SEEDED + 1)
    moov.images.upload(account_id=ACCOUNT, image=sdk_image(image_bytes("png", 15)))
    with pytest.raises(errors.GenericError) as caught:
        moov.images.upload(account_id=ACCOUNT, image=sdk_image(image_bytes("png", 16)))
    assert caught.value.raw_response.status_code == 400
    assert "limit" in caught.value.data.error


def test_unknown_account_and_image_raise_api_error_404(moov: Moov) -> None:
    stranger = "22222222-2222-4222-8222-222222222222"
    with pytest.raises(errors.APIError) as account:
        moov.images.list(account_id=stranger)
    assert account.value.raw_response.status_code == 404
    with pytest.raises(errors.APIError) as image:
        moov.images.get_metadata(account_id=ACCOUNT, image_id=stranger)
    assert image.value.raw_response.status_code == 404
    with pytest.raises(errors.APIError):
        moov.images.get_public(public_id="noSuchPublicId")


def test_get_public_serves_a_resized_rendition_with_an_etag(moov: Moov) -> None:
    image = moov.images.list(account_id=ACCOUNT, count=1).result[0]
    response = moov.images.get_public(public_id=image.public_id, size="120x0")
    body = response.result.read()
    assert response.headers["etag"][0].startswith('"')
    mime = response.headers["content-type"][0]
    assert mime in ("image/jpeg", "image/png")  # the SDK's Accept refuses WebP
    assert f"image/{sniff_format(body)}" == mime
    with Image.open(io.BytesIO(body)) as picture:
        assert picture.width == 120
    default = moov.images.get_public(public_id=image.public_id)
    with Image.open(io.BytesIO(default.result.read())) as picture:
        assert picture.size == (400, 400)
    assert default.headers["etag"] != response.headers["etag"]
