"""The canonical record's own helpers."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import pytest

from syncer.records import ImageRecord


def test_with_bytes_is_replace_of_the_byte_fields_and_keeps_every_other_field() -> None:
    record = ImageRecord(
        key="k1",
        owner="products/1",
        filename="a.png",
        mime="image/png",
        size=500,
        sha256="aa",
        alt="front",
        position=3,
        roles=frozenset({"main"}),
        title="A",
        version="v1",
        url="http://127.0.0.1/a.png",
        deleted=True,
        extra={"x": 1},
    )
    defaults = ImageRecord("", "", "")
    assert all(getattr(record, f.name) != getattr(defaults, f.name) for f in fields(record))
    changed = record.with_bytes("bb", 9, "image/jpeg")
    assert changed == replace(record, sha256="bb", size=9, mime="image/jpeg")


def test_the_digest_changes_with_every_field_and_only_with_them() -> None:
    from syncer.engine.records_json import record_digest

    record = ImageRecord("k1", "products/1", "a.png", extra={"b": 1, "a": [2]})
    same = ImageRecord("k1", "products/1", "a.png", extra={"a": [2], "b": 1})
    assert record_digest(record) == record_digest(same)  # extra's key order does not count
    changes: dict[str, object] = {
        "key": "k2",
        "owner": "products/2",
        "filename": "b.png",
        "mime": "image/png",
        "size": 1,
        "sha256": "aa",
        "alt": "",
        "position": 0,
        "roles": frozenset({"main"}),
        "title": "t",
        "version": "v",
        "url": "http://127.0.0.1/a.png",
        "deleted": True,
        "extra": {"b": 2, "a": [2]},
    }
    assert set(changes) == {f.name for f in fields(record)}
    digests = {record_digest(replace(record, **{name: value})) for name, value in changes.items()}  # type: ignore[arg-type]
    assert len(digests) == len(changes)
    assert record_digest(record) not in digests


def every_field_set() -> ImageRecord:
    return ImageRecord(
        key="k1",
        owner="products/1",
        filename="tête.png",
        mime="image/png",
        size=500,
        sha256="aa",
        alt="front",
        position=3,
        roles=frozenset({"main", "zoom"}),
        title="A",
        version="v1",
        url="http://127.0.0.1/a.png",
        deleted=True,
        extra={"x": 1, "nested": {"b": [1, 2]}},
    )


def test_a_record_with_every_field_set_round_trips_through_json() -> None:
    import json

    from syncer.engine.records_json import record_from_json, record_to_json

    record = every_field_set()
    stored = json.loads(json.dumps(record_to_json(record)))  # as the state store keeps it
    assert set(stored) == {f.name for f in fields(ImageRecord)}
    assert stored["roles"] == ["main", "zoom"]
    assert record_from_json(stored) == record


def test_json_from_an_older_release_decodes_with_defaults_for_what_it_lacks() -> None:
    from syncer.engine.records_json import record_from_json

    old = {"key": "k1", "owner": "o", "filename": "a.png", "size": "12", "roles": ["b", "a"]}
    record = record_from_json(old)
    assert record == ImageRecord("k1", "o", "a.png", size=12, roles=frozenset({"a", "b"}))
    assert record_from_json({**old, "owner": None, "extra": None}).owner == ""
    other = record_from_json(old)
    assert record.extra == {}
    assert record.extra is not other.extra  # never one shared default
    with pytest.raises(ValueError, match="a stored record has no 'key'"):
        record_from_json({"owner": "o", "filename": "a.png"})


def test_a_field_added_to_the_record_is_stored_read_back_and_digested() -> None:
    """The codec is derived from the fields: a subclass's new field needs no edit to it."""
    from syncer.engine.records_json import RecordCodec

    @dataclass(frozen=True, slots=True)
    class Wider(ImageRecord):
        colour: str | None = None
        labels: frozenset[str] = frozenset()

    codec = RecordCodec(Wider)
    record = Wider("k1", "o", "a.png", colour="red", labels=frozenset({"b", "a"}))
    stored = codec.to_json(record)
    assert (stored["colour"], stored["labels"]) == ("red", ["a", "b"])
    assert codec.from_json(stored) == record
    assert codec.from_json({"key": "k1", "owner": "o", "filename": "a.png"}).colour is None
    assert codec.digest(record) != codec.digest(replace(record, colour="blue"))
    assert codec.digest(record) == codec.digest(replace(record, labels=frozenset({"a", "b"})))


def test_a_field_of_a_type_with_no_storage_is_refused_when_the_codec_is_built() -> None:
    from syncer.engine.records_json import RecordCodec

    @dataclass(frozen=True)
    class Odd:
        key: str
        ratio: float = 0.5

    with pytest.raises(TypeError, match="no JSON storage is defined for a record field"):
        RecordCodec(Odd)


def test_the_record_digest_is_the_stable_digest_of_its_values_in_field_order() -> None:
    """Unchanged from before the one digest (the constant is what the release before gave), so
    the item digests stored by older releases stay valid on upgrade."""
    from syncer.digest import stable_digest
    from syncer.engine.records_json import record_digest

    record = every_field_set()
    values = [getattr(record, f.name) for f in fields(record)]
    assert record_digest(record) == stable_digest(values)
    assert record_digest(record) == "a171dee376b9738f8238ea84de3620dc"
