"""Moov's ImageMetadata to the canonical record and back: the pure mapping functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from yarl import URL

from syncer.records import Blob, ImageRecord
from syncer.vendors.moov.mapping import (
    alt_matches,
    check_metadata,
    duplicate_metadata,
    filename_for,
    metadata_payload,
    public_link,
    rendition_url,
    to_item,
    to_record,
    upload_filename,
)

ACCOUNT = "11111111-1111-4111-8111-111111111111"
IMAGE_ID = "0c5c3a2e-4b1f-4d8e-9a51-3f2d8b7e6a10"


def metadata(**changes: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "imageID": IMAGE_ID,
        "publicID": "qJRAaAwwF5hmfeAFdHjIb",
        "altText": "a red shoe",
        "link": "https://api.moov.io/images/qJRAaAwwF5hmfeAFdHjIb",
        "createdOn": "2026-01-01T00:01:00.000Z",
        "updatedOn": "2026-02-03T04:05:06.789Z",
    }
    meta.update(changes)
    return {key: value for key, value in meta.items() if value is not None}


def blob(mime: str = "image/png") -> Blob:
    return Blob(path=Path("/nonexistent"), sha256="ab" * 32, size=10, mime=mime)


def test_a_listed_image_becomes_a_record_that_cannot_know_its_bytes() -> None:
    record = to_record(metadata(), ACCOUNT)
    assert record.key == IMAGE_ID
    assert record.owner == ACCOUNT
    assert record.filename == IMAGE_ID
    assert record.alt == "a red shoe"
    assert record.version == "2026-02-03T04:05:06.789Z"
    assert record.url == "https://api.moov.io/images/qJRAaAwwF5hmfeAFdHjIb"
    assert (record.mime, record.size, record.sha256) == (None, None, None)
    assert not record.deleted
    assert record.extra["original_available"] is False
    assert record.extra["public_id"] == "qJRAaAwwF5hmfeAFdHjIb"


def test_a_disabled_image_is_a_tombstone_and_missing_alt_is_none() -> None:
    record = to_record(metadata(altText=None, disabledOn="2026-03-01T00:00:00.000Z"), ACCOUNT)
    assert record.deleted
    assert record.alt is None
    assert record.extra["disabled_on"] == "2026-03-01T00:00:00.000Z"


@pytest.mark.parametrize(
    "broken",
    [
        [],
        "an image",
        {"imageID": IMAGE_ID},
        metadata(updatedOn=17),
        metadata(altText=["not", "text"]),
    ],
)
def test_anything_but_image_metadata_is_refused(broken: Any) -> None:
    with pytest.raises(ValueError, match="ImageMetadata"):
        check_metadata(broken)


def test_the_filename_gains_the_extension_of_the_bytes_read() -> None:
    record = to_record(metadata(), ACCOUNT)
    assert filename_for(record, "image/webp") == f"{IMAGE_ID}.webp"
    assert filename_for(record, "image/jpeg") == f"{IMAGE_ID}.jpg"
    assert filename_for(record, "application/octet-stream") == IMAGE_ID


def test_a_target_item_keeps_the_uploaded_hash_and_the_change_token() -> None:
    item = to_item(metadata(), "cd" * 32, adopted=True)
    assert item.id == IMAGE_ID
    assert item.version == "2026-02-03T04:05:06.789Z"
    assert item.sha256 == "cd" * 32
    assert item.adopted is True
    assert to_item(metadata()).adopted is False


def test_metadata_always_carries_alt_text_so_a_full_replace_clears_it() -> None:
    record = ImageRecord(key="k", owner=ACCOUNT, filename="a.png", alt=None)
    assert metadata_payload(record) == {"altText": None}
    assert metadata_payload(ImageRecord(key="k", owner=ACCOUNT, filename="a", alt="x")) == {
        "altText": "x"
    }
    assert alt_matches(metadata(altText=None), record)
    assert not alt_matches(metadata(), record)


def test_the_upload_filename_matches_the_bytes_sent() -> None:
    record = ImageRecord(key="sku-1", owner=ACCOUNT, filename="shoe.jpeg")
    assert upload_filename(record, blob("image/png")) == "shoe.png"
    assert upload_filename(record, blob("image/jpeg")) == "shoe.jpg"
    named = ImageRecord(key="sku-1", owner=ACCOUNT, filename="shoe.WEBP")
    assert upload_filename(named, blob("image/webp")) == "shoe.WEBP"
    bare = ImageRecord(key="sku-1", owner=ACCOUNT, filename=IMAGE_ID)
    assert upload_filename(bare, blob("image/webp")) == f"{IMAGE_ID}.webp"


@pytest.mark.parametrize("merged", [True, False])
def test_a_409_names_the_existing_image_merged_or_alone(merged: bool) -> None:
    body = {"error": "duplicate image", **metadata()} if merged else metadata()
    existing = duplicate_metadata(body)
    assert existing is not None
    assert existing["imageID"] == IMAGE_ID


def test_an_old_style_409_names_nothing() -> None:
    assert duplicate_metadata({"error": "duplicate image"}) is None
    assert duplicate_metadata("duplicate image") is None


def test_the_rendition_asked_for_is_the_largest_with_the_aspect_kept() -> None:
    url = URL(rendition_url("https://api.moov.io/images/abc"))
    assert url.path == "/images/abc"
    assert url.query["size"] == "2048x0"
    assert URL(rendition_url("http://127.0.0.1:9/images/abc?v=2")).query["v"] == "2"
    assert public_link("http://127.0.0.1:9/", "abc") == "http://127.0.0.1:9/images/abc"
