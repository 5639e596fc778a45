"""Partium mapping: ids from source keys, info tokens, descriptions to records and back."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncer.emulators.partium.descriptions import image_id_problem, info_problem
from syncer.records import ImageRecord
from syncer.spool import sniff_mime
from syncer.vendors.partium.mapping import (
    HASH_PREFIX,
    MappingError,
    extension_for,
    image_id_for,
    image_path,
    info_for,
    matches,
    original_path,
    parse_info,
    same_info,
    to_description,
    to_record,
)
from tests.emulators.partium.conftest import gif, jpeg, png

BASE = "http://127.0.0.1:8103"


@pytest.mark.parametrize("key", ["conformance-1", "detail-00001", "1234", "a.b_c-D", "x" * 128])
def test_a_safe_key_is_its_own_image_id(key: str) -> None:
    assert image_id_for(key) == key


@pytest.mark.parametrize(
    "key",
    [
        "folder/front.jpg",
        "with space",
        "ümlaut",
        ".hidden",
        "..",
        "-dash-first",
        "x" * 129,
        "h-looks-like-a-hash",
        "tab\tkey",
    ],
)
def test_other_keys_are_hashed(key: str) -> None:
    expected = HASH_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:40]
    assert image_id_for(key) == expected


def test_the_prefix_namespaces_both_forms() -> None:
    assert image_id_for("123", "moov-") == "moov-123"
    assert image_id_for("a/b", "moov-") == "moov-" + image_id_for("a/b")


def test_a_key_is_required() -> None:
    with pytest.raises(MappingError):
        image_id_for("")


@given(st.text(min_size=1, max_size=300))
def test_every_key_gives_an_id_partium_accepts(key: str) -> None:
    image_id = image_id_for(key)
    assert image_id_problem(image_id) is None
    assert image_id == image_id_for(key)  # deterministic


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_different_keys_never_share_an_id(left: str, right: str) -> None:
    if left != right:
        assert image_id_for(left) != image_id_for(right)


def test_paths_quote_the_id_as_one_segment() -> None:
    assert image_path("a b") == "/1/catalog/images/a%20b"
    assert original_path("front-1") == "/1/catalog/images/front-1/original"


@pytest.mark.parametrize(
    ("info", "roles", "position", "other"),
    [
        ("", set(), None, ()),
        ("searchable", {"searchable"}, None, ()),
        ("display  searchable", {"searchable", "display"}, None, ()),
        ("searchable display position=3", {"searchable", "display"}, 3, ()),
        ("display position=007", {"display"}, 7, ()),
        ("display weight=2 position=-1", {"display"}, None, ("weight=2", "position=-1")),
        ("Display", set(), None, ("Display",)),
    ],
)
def test_parse_info(info: str, roles: set[str], position: int | None, other: tuple[str]) -> None:
    assert parse_info(info) == (frozenset(roles), position, other)


@pytest.mark.parametrize(
    ("roles", "position", "info"),
    [
        (set(), None, ""),
        ({"display", "searchable"}, None, "searchable display"),
        ({"display"}, 0, "display position=0"),
        ({"searchable"}, 2, "searchable"),  # position needs display: dropped
        ({"display"}, -1, "display"),  # negative positions do not exist
        ({"display", "primary", "thumbnail"}, 1, "display position=1"),  # not Partium roles
    ],
)
def test_info_for(roles: set[str], position: int | None, info: str) -> None:
    assert info_for(frozenset(roles), position) == info
    assert info_problem(info) is None  # always what Partium's rules accept


def test_same_info_compares_token_sets() -> None:
    assert same_info("display searchable", "searchable  display display")
    assert not same_info("display", "display position=1")


def test_to_record_maps_a_description() -> None:
    record = to_record(
        {"image_id": "front-1", "part_id": "part-0002", "info": "searchable display position=4"},
        BASE + "/",
    )
    assert record == ImageRecord(
        key="front-1",
        owner="part-0002",
        filename="front-1",
        position=4,
        roles=frozenset({"searchable", "display"}),
        version=None,
        url=BASE + "/1/catalog/images/front-1/original",
        extra={"info": "searchable display position=4", "other_tokens": []},
    )


def test_to_record_takes_a_missing_info_as_empty() -> None:
    record = to_record({"image_id": "a", "part_id": "p"}, BASE)
    assert (record.roles, record.position, record.extra["info"]) == (frozenset(), None, "")


@pytest.mark.parametrize(
    "description",
    [
        [],
        {"part_id": "p", "info": ""},
        {"image_id": "", "part_id": "p"},
        {"image_id": "a", "part_id": None},
        {"image_id": "a", "part_id": "p", "info": 3},
    ],
)
def test_to_record_refuses_broken_descriptions(description: object) -> None:
    with pytest.raises(MappingError):
        to_record(description, BASE)


def test_to_description_and_matches() -> None:
    record = ImageRecord(
        key="k", owner="pump-7", filename="k.png", roles=frozenset({"display"}), position=1
    )
    wanted = to_description(record, "k")
    assert wanted == {"image_id": "k", "part_id": "pump-7", "info": "display position=1"}
    assert matches({"image_id": "k", "part_id": "pump-7", "info": "position=1 display"}, wanted)
    assert not matches({"image_id": "k", "part_id": "pump-8", "info": "display position=1"}, wanted)
    assert not matches({"image_id": "k", "part_id": "pump-7", "info": "display"}, wanted)


def test_to_description_needs_an_owner() -> None:
    with pytest.raises(MappingError, match="owner"):
        to_description(ImageRecord(key="k", owner="", filename="k"), "k")


def test_sniff_mime_and_extension() -> None:
    assert sniff_mime(jpeg()) == "image/jpeg"
    assert sniff_mime(png()) == "image/png"
    assert sniff_mime(gif()) == "image/gif"
    assert sniff_mime(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_mime(b"not an image") is None
    assert [extension_for(m) for m in ("image/jpeg", "image/png", "IMAGE/PNG", "image/x-foo")] == [
        "jpg",
        "png",
        "png",
        "x-foo",
    ]
