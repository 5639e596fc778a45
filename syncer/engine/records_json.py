"""The canonical record as JSON, for the state store (items and the ops journal)."""

from __future__ import annotations

from typing import Any

from syncer.records import ImageRecord

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
