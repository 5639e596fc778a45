"""The official ``beproduct`` SDK's blocking client, unmodified, against the emulator."""

from __future__ import annotations

import urllib.error
from pathlib import Path

import pytest
import requests
from beproduct._exception import BeProductException
from beproduct.sdk import BeProduct

from syncer.emulators.beproduct.emulator import BeProductEmulator
from syncer.emulators.images import decodes
from tests.emulators.beproduct.helpers import SEEDED, image_bytes, sdk_client

HEADER_KEYS = {
    "id",
    "headerNumber",
    "headerName",
    "folder",
    "headerData",
    "files",
    "isDeleted",
    "createdBy",
    "modifiedBy",
    "createdAt",
    "modifiedAt",
}


def first_folder(client: BeProduct) -> str:
    folder_id: str = client.image.folders()[0]["id"]
    return folder_id


def settle(client: BeProduct, upload_id: str) -> tuple[bool, bool, str]:
    """Poll like the SDK docs do, bounded: the emulator finishes after one unfinished poll."""
    for _ in range(5):
        status: tuple[bool, bool, str] = client.image.upload_status(upload_id)
        if status[0]:
            return status
    raise AssertionError("processing never finished")


def test_paging_iterator_walks_every_header_page_by_page(
    client: BeProduct, emulator: BeProductEmulator
) -> None:
    headers = list(client.image.attributes_list(page_size=5))

    expected = [image.id for image in emulator.store.iter_images()]
    assert [h["id"] for h in headers] == expected
    pages = [
        n
        for (method, route, status), n in emulator.requests.items()
        if method == "POST" and route.endswith("{Headers}") and status == 200
    ]
    assert pages == [3]  # 12 headers, 5 a page


def test_get_returns_the_full_header(client: BeProduct, emulator: BeProductEmulator) -> None:
    image = next(emulator.store.iter_images())
    header = client.image.attributes_get(header_id=image.id)

    assert set(header) >= HEADER_KEYS
    assert header["folder"] == {
        "id": image.owner,
        "name": emulator.store.owners[image.owner].fields["name"],
    }
    assert header["headerData"]["preview"]["origin"].endswith("/" + image.filename)
    fields = {f["id"]: f["value"] for f in header["headerData"]["fields"]}
    assert fields["header_number"] == header["headerNumber"] == "IMG-000001"
    assert header["isDeleted"] is False


def test_create_answers_the_header_a_later_get_returns(client: BeProduct) -> None:
    created = client.image.attributes_create(
        folder_id=first_folder(client),
        fields={"header_name": "Sunset Print", "status": "NotAnOption", "keywords": "sun"},
    )

    assert created == client.image.attributes_get(header_id=created["id"])
    assert created["headerNumber"] == f"IMG-{SEEDED + 1:06d}"  # numbering continues
    fields = {f["id"]: f["value"] for f in created["headerData"]["fields"]}
    assert fields["status"] == ""  # a drop-down value outside master data is blanked
    assert fields["keywords"] == "sun"
    assert created["headerData"]["preview"] is None


def test_update_changes_only_the_given_fields(client: BeProduct) -> None:
    created = client.image.attributes_create(
        folder_id=first_folder(client), fields={"header_name": "Before", "keywords": "k1"}
    )
    updated = client.image.attributes_update(
        header_id=created["id"], fields={"header_name": "After"}
    )

    assert updated["headerName"] == "After"
    fields = {f["id"]: f["value"] for f in updated["headerData"]["fields"]}
    assert fields["keywords"] == "k1"
    assert updated["modifiedAt"] > created["modifiedAt"]
    assert updated["createdAt"] == created["createdAt"]


def test_upload_from_a_local_file_switches_the_preview_only_when_processed(
    client: BeProduct, png_file: Path
) -> None:
    header_id = client.image.attributes_create(
        folder_id=first_folder(client), fields={"header_name": "Upload me"}
    )["id"]
    before = client.image.attributes_get(header_id=header_id)

    upload_id = client.image.attributes_upload(header_id=header_id, filepath=str(png_file))
    assert upload_id
    assert upload_id != header_id
    assert client.image.upload_status(upload_id) == (False, False, "Processing")
    assert client.image.attributes_get(header_id=header_id) == before

    assert client.image.upload_status(upload_id) == (True, False, "")
    after = client.image.attributes_get(header_id=header_id)
    origin = after["headerData"]["preview"]["origin"]
    assert origin.endswith("/new-artwork.png")
    assert after["modifiedAt"] > before["modifiedAt"]
    served = requests.get(origin, timeout=10)
    assert served.status_code == 200
    assert served.content == png_file.read_bytes()


def test_upload_from_url_reposts_bytes_the_emulator_serves(
    client: BeProduct, emulator: BeProductEmulator
) -> None:
    source = next(emulator.store.iter_images())
    origin = client.image.attributes_get(header_id=source.id)["headerData"]["preview"]["origin"]
    target = client.image.attributes_create(
        folder_id=first_folder(client), fields={"header_name": "Copy"}
    )["id"]

    upload_id = client.image.attributes_image_version_upload(header_id=target, fileurl=origin)
    assert settle(client, upload_id) == (True, False, "")

    copied = emulator.store.image(target)
    assert copied is not None
    assert (copied.sha256, copied.filename) == (source.sha256, source.filename)
    got = client.image.attributes_get(header_id=target)["headerData"]["preview"]["origin"]
    assert got.endswith("/" + source.filename)
    assert decodes(requests.get(got, timeout=10).content)


def test_processing_can_fail_and_then_leaves_the_header_alone(
    client: BeProduct, tmp_path: Path
) -> None:
    header_id = client.image.attributes_create(
        folder_id=first_folder(client), fields={"header_name": "Doomed"}
    )["id"]
    path = tmp_path / "fail-processing.png"
    path.write_bytes(image_bytes(3))

    upload_id = client.image.attributes_upload(header_id=header_id, filepath=str(path))
    finished, failed, message = settle(client, upload_id)

    assert (finished, failed) == (True, True)
    assert "processing failed" in message.lower()
    assert client.image.attributes_get(header_id=header_id)["headerData"]["preview"] is None


def test_delete_is_soft_and_a_later_get_says_not_found(
    client: BeProduct, emulator: BeProductEmulator
) -> None:
    header_id = next(emulator.store.iter_images()).id

    assert client.image.attributes_delete(header_id=header_id) is True
    with pytest.raises(BeProductException, match="Image not found"):
        client.image.attributes_get(header_id=header_id)
    assert header_id not in {h["id"] for h in client.image.attributes_list()}
    tombstones = [
        h for h in client.image.attributes_list(showDeleted="true") if h["id"] == header_id
    ]
    assert [h["isDeleted"] for h in tombstones] == [True]


def test_search_by_header_number_and_modified_watermark(client: BeProduct) -> None:
    found = client.image.attributes_get_by_number("IMG-000004")
    assert found is not None
    assert found["headerNumber"] == "IMG-000004"

    watermark = found["modifiedAt"]
    later = list(
        client.image.attributes_list(
            filters=[{"field": "ModifiedAt", "operator": "Gt", "value": watermark}], page_size=4
        )
    )
    assert [h["headerNumber"] for h in later] == [f"IMG-{n:06d}" for n in range(5, SEEDED + 1)]


def test_wrong_client_secret_fails_at_the_token_endpoint(served: str) -> None:
    client = sdk_client(served, client_secret="wrong")
    with pytest.raises(urllib.error.HTTPError) as caught:
        client.image.folders()
    with caught.value as error:
        assert error.code == 401
        assert b"invalid_client" in error.read()


def test_wrong_refresh_token_is_an_invalid_grant(served: str) -> None:
    client = sdk_client(served, refresh_token="stale")
    with pytest.raises(urllib.error.HTTPError) as caught:
        client.image.folders()
    with caught.value as error:
        assert error.code == 400
        assert b"invalid_grant" in error.read()


def test_unknown_access_token_is_refused(served: str) -> None:
    client = sdk_client(
        served, access_token="forged", client_id=None, client_secret=None, refresh_token=None
    )
    with pytest.raises(BeProductException, match="Status code: 401"):
        client.image.folders()
