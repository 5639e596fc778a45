"""A source record as one target should hold it: owner mapped, field templates applied."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from syncer.jobs import render_fields
from syncer.records import ImageRecord


def map_record(record: ImageRecord, mapping: Any) -> ImageRecord:
    """``record`` with the target's owner (empty when unmapped) and templated fields."""
    owner = mapping.owner_for(record.owner) or ""
    fields = render_fields(mapping.fields or {}, record)
    return replace(
        record,
        owner=owner,
        alt=fields.get("alt", record.alt),
        title=fields.get("title", record.title),
        filename=fields.get("filename", record.filename),
    )
