"""The canonical record's own helpers."""

from __future__ import annotations

from dataclasses import fields, replace

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
