"""The client's pure parts: mapping both ways, the listing state machine, the upload body."""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncer.errors import ConfigError
from syncer.paging import RepeatedCursor
from syncer.records import ImageRecord
from syncer.vendors.spiffy import bodies, mapping
from syncer.vendors.spiffy.bodies import attachment_body
from syncer.vendors.spiffy.listing import Listing
from syncer.vendors.spiffy.mapping import MappingError

IMAGE: dict[str, Any] = {
    "id": 1000007,
    "position": 2,
    "alt": "Blue mug, side",
    "filename": "IMG_1234.JPG",
    "extension": "jpg",
    "digest": "6afd63d0b1a5c3f7e9a1b2c3d4e5f601",
    "src": "http://127.0.0.1:9/sites/1/collections/1000007_img_1234_full.jpg?6afd63d0",
    "variation_ids": [],
    "collection_id": 100004,
}


def record(**changes: Any) -> ImageRecord:
    base: dict[str, Any] = {"key": "k1", "owner": "products/100001", "filename": "mug.png"}
    base.update(changes)
    return ImageRecord(**base)


# -- mapping: vendor -> record -----------------------------------------------------------------


def test_to_record_takes_the_owner_from_the_url_not_collection_id() -> None:
    mapped = mapping.to_record(IMAGE, "super_collections", 100004)
    assert mapped.key == "1000007"
    assert mapped.owner == "super_collections/100004"
    assert mapped.filename == "IMG_1234.JPG"
    assert mapped.mime == "image/jpeg"
    assert (mapped.alt, mapped.position) == ("Blue mug, side", 2)
    assert mapped.version == "1000007:6afd63d0b1a5c3f7e9a1b2c3d4e5f601"
    assert mapped.url == IMAGE["src"]
    assert (mapped.sha256, mapped.size) == (None, None)
    assert mapped.extra["kind"] == "super_collections"
    assert mapped.extra["digest"] == IMAGE["digest"]


def test_version_changes_with_the_digest_only() -> None:
    recreated = {**IMAGE, "digest": "0" * 32}
    moved = {**IMAGE, "position": 9, "alt": "other"}
    assert mapping.version_of(recreated) != mapping.version_of(IMAGE)
    assert mapping.version_of(moved) == mapping.version_of(IMAGE)


@pytest.mark.parametrize(
    ("extension", "filename", "mime"),
    [
        ("png", "a.jpg", "image/png"),  # the extension comes from the bytes and wins
        ("GIF", "a", "image/gif"),
        (None, "photo.JPEG", "image/jpeg"),
        (None, "no-extension", None),
        ("webp", "x.webp", None),
    ],
)
def test_mime_from_extension_then_filename(
    extension: str | None, filename: str, mime: str | None
) -> None:
    assert mapping.mime_of({"extension": extension, "filename": filename}) == mime


@pytest.mark.parametrize("missing", ["id", "filename", "src", "digest"])
def test_to_record_refuses_an_image_without_required_fields(missing: str) -> None:
    broken = {k: v for k, v in IMAGE.items() if k != missing}
    with pytest.raises(MappingError, match=missing):
        mapping.to_record(broken, "products", 1)


def test_to_record_refuses_a_boolean_id() -> None:
    with pytest.raises(MappingError):
        mapping.to_record({**IMAGE, "id": True}, "products", 1)


def test_target_item_carries_id_version_and_sha() -> None:
    item = mapping.to_target_item(IMAGE, "ab" * 32)
    assert (item.id, item.version, item.sha256) == ("1000007", mapping.version_of(IMAGE), "ab" * 32)
    assert item.extra["position"] == 2


# -- owner references --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "kind", "ref"),
    [
        ("products/100001", "products", "100001"),
        (" standard_collections/summer-sale ", "standard_collections", "summer-sale"),
        ("super_collections/7", "super_collections", "7"),
    ],
)
def test_parse_owner(reference: str, kind: str, ref: str) -> None:
    parsed = mapping.parse_owner(reference)
    assert (parsed.kind, parsed.ref) == (kind, ref)
    assert str(parsed) == f"{kind}/{ref}"


@pytest.mark.parametrize(
    "reference", ["100001", "product/1", "collections/1", "products/", "products/a/b", ""]
)
def test_parse_owner_refuses_what_spiffy_cannot_address(reference: str) -> None:
    with pytest.raises(MappingError, match="KIND/ID"):
        mapping.parse_owner(reference)


def test_owner_path_quotes_handles() -> None:
    assert mapping.parse_owner("products/a b?c").path == "/api/products/a%20b%3Fc"


# -- mapping: record -> payloads ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "mime", "stored"),
    [
        ("mug.png", "image/png", "mug.png"),
        ("folder/sub/mug.png", None, "mug.png"),
        ("C:\\photos\\mug.jpg", None, "mug.jpg"),
        ("  spaced name.gif  ", None, "spaced name.gif"),
        ("dir/", "image/gif", "image.gif"),
        ("", None, "image.jpg"),
    ],
)
def test_target_filename_is_what_spiffy_stores(
    filename: str, mime: str | None, stored: str
) -> None:
    assert mapping.target_filename(record(filename=filename, mime=mime)) == stored


def test_a_long_filename_is_shortened_keeping_its_extension() -> None:
    name = mapping.target_filename(record(filename="x" * 300 + ".jpeg"))
    assert len(name) == mapping.MAX_FILENAME
    assert name.endswith("x.jpeg")


def test_create_fields() -> None:
    assert mapping.create_fields(record()) == {"filename": "mug.png"}
    full = record(alt="", position=3)
    assert mapping.create_fields(full) == {"filename": "mug.png", "alt": "", "position": 3}
    assert mapping.create_fields(full, position=1)["position"] == 1
    assert mapping.create_fields(record(position=0))["position"] == 1


@given(
    fields=st.dictionaries(
        st.sampled_from(["filename", "alt", "position"]),
        st.one_of(st.text(), st.integers(min_value=1, max_value=10**6)),
    ),
    data=st.binary(max_size=64),
)
def test_the_attachment_envelope_makes_the_create_json(fields: dict[str, Any], data: bytes) -> None:
    head, tail = mapping.attachment_envelope(fields)
    encoded = base64.b64encode(data)
    assert len(encoded) == mapping.encoded_size(len(data))
    body = json.loads(head + encoded + tail)
    assert body == {"image": {**fields, "attachment": encoded.decode()}}


def test_update_payload_repeats_the_id_and_carries_only_alt_and_position() -> None:
    changed = record(alt="new", position=2, filename="other.png", title="t")
    assert mapping.update_payload(55, changed) == {"image": {"id": 55, "alt": "new", "position": 2}}
    assert mapping.update_payload(55, record()) == {"image": {"id": 55, "alt": ""}}


@given(
    siblings=st.integers(min_value=1, max_value=8),
    data=st.data(),
)
def test_a_replacement_ends_where_it_should(siblings: int, data: st.DataObject) -> None:
    """Model Spiffy's positions: insert the new image (clamped), then delete the old one."""
    old = data.draw(st.integers(min_value=1, max_value=siblings))
    wanted = data.draw(st.one_of(st.none(), st.integers(min_value=1, max_value=siblings)))
    images = [f"i{n}" for n in range(1, siblings + 1)]
    images[old - 1] = "old"
    at = min(max(mapping.replacement_position(old, wanted), 1), len(images) + 1)
    images.insert(at - 1, "new")
    images.remove("old")
    assert images.index("new") + 1 == (old if wanted is None else wanted)


@pytest.mark.parametrize("bad", ["", "12a", "-3", "1.5", "١٢"])
def test_image_id_of_refuses_non_integers(bad: str) -> None:
    with pytest.raises(MappingError):
        mapping.image_id_of(bad)
    assert mapping.image_id_of(" 42 ") == 42


# -- the listing state machine -----------------------------------------------------------------

KINDS = mapping.OWNER_KINDS


def walk_one(listing: Listing, catalog: dict[str, dict[int, list[str]]]) -> list[str]:
    """One request against an in-memory catalog {kind: {owner: [keys]}}, as the client makes it;
    the keys it lists."""
    assert listing.kind is not None
    if listing.needs_owners:
        request = listing.owners.request()
        owners = sorted(catalog[listing.kind])
        listing.owners_listed([o for o in owners if o > request["since_id"]][: request["limit"]])
        return []
    assert listing.owner is not None
    assert listing.images is not None
    request = listing.images.request()
    start = (request["page"] - 1) * request["size"]
    page = catalog[listing.kind][listing.owner][start : start + request["size"]]
    repeated = listing.images_listed(page)
    return [k for k in page if k not in repeated]


def walk(listing: Listing, catalog: dict[str, dict[int, list[str]]]) -> list[str]:
    keys: list[str] = []
    while not listing.finished:
        keys += walk_one(listing, catalog)
    return keys


CATALOG = {
    "products": {1: ["a", "b", "c"], 2: [], 5: ["d"], 6: ["e", "f"]},
    "standard_collections": {},
    "super_collections": {3: ["g", "h", "i", "j"]},
}


def test_the_walk_lists_every_kind_owner_and_image_once() -> None:
    assert walk(Listing.start(KINDS, 2), CATALOG) == list("abcdefghij")


def test_the_walk_follows_the_kinds_asked_for_in_their_order() -> None:
    kinds = ("super_collections", "products")
    assert walk(Listing.start(kinds, 3), CATALOG) == list("ghijabcdef")


def test_every_intermediate_cursor_resumes_exactly_where_it_was() -> None:
    full = walk(Listing.start(KINDS, 2), CATALOG)
    listing = Listing.start(KINDS, 2)
    listed: list[str] = []
    steps = 0
    while True:
        saved = json.loads(json.dumps(listing.to_cursor()))
        assert listed + walk(Listing.resume(saved, KINDS, 2), CATALOG) == full
        if listing.finished:
            break
        listed += walk_one(listing, CATALOG)
        steps += 1
    assert listed == full
    assert steps > 10


def test_a_finished_listing_stays_finished() -> None:
    listing = Listing.start(KINDS, 5)
    walk(listing, CATALOG)
    assert listing.finished
    again = Listing.resume(json.loads(json.dumps(listing.to_cursor())), KINDS, 5)
    assert again.finished


def test_an_insertion_mid_owner_is_not_listed_twice() -> None:
    listing = Listing.start(("products",), 2)
    listing.owners_listed([1])
    assert listing.images_listed(["a", "b"]) == set()
    # "z" was inserted at position 1: page 2 now starts with "b" again
    assert listing.images_listed(["b", "c"]) == {"b"}


def test_an_owner_gone_mid_run_is_skipped() -> None:
    listing = Listing.start(("products",), 2)
    listing.owners_listed([1, 2])
    assert listing.owner == 1
    listing.owner_gone()
    assert (listing.owner, listing.pending) == (2, [])


def test_owners_that_do_not_move_forward_are_a_repeated_cursor() -> None:
    listing = Listing.start(("products",), 2)
    listing.owners_listed([4, 5])
    listing.images_listed([])
    listing.images_listed([])
    with pytest.raises(RepeatedCursor):
        listing.owners_listed([4, 5])


@pytest.mark.parametrize(
    "cursor",
    [
        {"format": "partium/keyset", "version": 1},
        {"format": "spiffy/owners-images", "version": 99},
        {"format": "spiffy/owners-images", "version": 1},
        {
            "format": "spiffy/owners-images",
            "version": 1,
            "kind": "products",
            "owners": {"scheme": "offset"},
            "pending": [],
            "owner": None,
            "images": None,
        },
        {
            "format": "spiffy/owners-images",
            "version": 1,
            "kind": "products",
            "owners": {"scheme": "since_id"},
            "pending": ["x"],
            "owner": None,
            "images": None,
        },
        {
            "format": "spiffy/owners-images",
            "version": 1,
            "kind": "products",
            "owners": {"scheme": "since_id"},
            "pending": [],
            "owner": 3,
            "images": None,
        },
    ],
)
def test_a_foreign_or_broken_cursor_is_a_config_error(cursor: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        Listing.resume(cursor, KINDS, 10)


def test_a_cursor_for_a_kind_no_longer_listed_is_a_config_error() -> None:
    cursor = Listing.start(("super_collections",), 10).to_cursor()
    with pytest.raises(ConfigError, match="owner_kinds"):
        Listing.resume(cursor, ("products",), 10)


# -- the upload body ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 10, 11])
async def test_the_streamed_attachment_is_the_base64_of_the_file(
    size: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bodies, "READ_CHUNK", 4)  # not a multiple of 3: exercises the carry
    data = random.Random(size).randbytes(size)
    path = tmp_path / "blob"
    path.write_bytes(data)
    chunks = [chunk async for chunk in attachment_body(path, b"<", b">")]
    assert b"".join(chunks) == b"<" + base64.b64encode(data) + b">"
