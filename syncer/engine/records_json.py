"""The canonical record as JSON, for the state store (items and the ops journal)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from syncer.records import ImageRecord

#: One encoder for every digest (``json.dumps`` with options builds one per call).
_DIGEST_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, sort_keys=True)

_SCALARS = (
    "key",
    "owner",
    "filename",
    "mime",
    "size",
    "sha256",
    "alt",
    "position",
    "title",
    "version",
    "url",
    "deleted",
)


def record_to_json(record: ImageRecord) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(record, name) for name in _SCALARS}
    data["roles"] = sorted(record.roles)
    data["extra"] = dict(record.extra)
    return data


def record_digest(record: ImageRecord) -> str:
    """A short digest of every field of ``record``: equal digests, equal records.

    Kept as an item's ``meta_hash``, so that the next listing tells an unchanged item without
    reading the record back. The fields are encoded as one JSON array, in field order (``extra``
    with sorted keys), which costs half of encoding :func:`record_to_json`.
    """
    text = _DIGEST_ENCODER.encode(
        [
            record.key,
            record.owner,
            record.filename,
            record.mime,
            record.size,
            record.sha256,
            record.alt,
            record.position,
            sorted(record.roles),
            record.title,
            record.version,
            record.url,
            record.deleted,
            record.extra,
        ]
    )
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def record_from_json(data: dict[str, Any]) -> ImageRecord:
    def text(name: str) -> str | None:
        value = data.get(name)
        return None if value is None else str(value)

    def number(name: str) -> int | None:
        value = data.get(name)
        return None if value is None else int(value)

    return ImageRecord(
        key=str(data["key"]),
        owner=str(data.get("owner") or ""),
        filename=str(data.get("filename") or ""),
        mime=text("mime"),
        size=number("size"),
        sha256=text("sha256"),
        alt=text("alt"),
        position=number("position"),
        roles=frozenset(data.get("roles", ())),
        title=text("title"),
        version=text("version"),
        url=text("url"),
        deleted=bool(data.get("deleted")),
        extra=dict(data.get("extra") or {}),
    )
