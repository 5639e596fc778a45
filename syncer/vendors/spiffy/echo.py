"""What a Spiffy listing shows back of what syncer pushed (:mod:`syncer.vendors.echo`): the owner
(when it was given by id: an owner given by handle is listed by id), the alt text, and the file
name as Spiffy stores it. Not ``position``: Spiffy renumbers an owner's images whenever one is
added, moved or removed, by syncer or not. Spiffy keeps no title or roles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncer.records import ImageRecord
from syncer.vendors.echo import pushed_record, text
from syncer.vendors.spiffy.mapping import target_filename


def expected(key: str, pushed: Mapping[str, Any]) -> dict[str, Any]:
    record = pushed_record(key, pushed)
    values: dict[str, Any] = {"alt": text(record.alt), "filename": target_filename(record)}
    kind, _, ref = record.owner.partition("/")
    if ref.isdigit():
        values["owner"] = f"{kind}/{int(ref)}"
    return values


def shown(record: ImageRecord) -> dict[str, Any]:
    return {"owner": record.owner, "alt": text(record.alt), "filename": record.filename}
