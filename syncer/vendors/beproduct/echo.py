"""What a BeProduct listing shows back of what syncer pushed (:mod:`syncer.vendors.echo`): the
folder, the alt text (``description``) and the title (``header_name``, as a create or an update
writes it: the title, else the file name's stem, else the key)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncer.records import ImageRecord
from syncer.vendors.beproduct.mapping import title_of
from syncer.vendors.echo import pushed_record, text


def expected(key: str, pushed: Mapping[str, Any]) -> dict[str, Any]:
    record = pushed_record(key, pushed)
    return {"owner": record.owner, "alt": text(record.alt), "title": title_of(record)}


def shown(record: ImageRecord) -> dict[str, Any]:
    return {"owner": record.owner, "alt": text(record.alt), "title": record.title}
