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
