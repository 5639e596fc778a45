"""BeProduct image headers to canonical records and back. Pure functions, no I/O.

**Header to record** (:func:`to_record`):

| record | header |
|---|---|
| ``key`` | ``id`` (the header GUID; stable, never reused) |
| ``owner`` | ``folder.id`` |
| ``filename`` | the last segment of ``headerData.preview.origin`` (URL-unquoted); it ends with the
  uploaded file name. Without an image: ``headerNumber`` |
| ``title`` | the ``header_name`` field (``headerName``) |
| ``alt`` | the ``description`` field (None when blank) |
| ``version`` | ``modifiedAt`` (every change moves it, uploads included) |
| ``url`` | ``headerData.preview.origin`` (a plain, unauthenticated GET serves the original) |
| ``deleted`` | ``isDeleted`` (tombstones are listed only with ``showDeleted``) |
| ``extra`` | ``header_number``, ``folder_name``, every field value (``fields``), the current
  upload id (``upload_id``, from the last ``variations`` entry) and ``created_at`` |

``mime``, ``size`` and ``sha256`` stay None: headers carry no content hash, size or type, so
they are known once the bytes were read.

**Record to header** (:func:`create_fields`, :func:`update_fields`), on the fields every
emulated image folder offers (``Image/FolderSchema``):

| header field | record |
|---|---|
| ``header_number`` (the match field) | ``key``: the *source* key, so that :func:`number_filter`
  finds what an interrupted run created. Written on create only, never updated |
| ``header_name`` (required) | ``title``, else the file name without its extension, else ``key`` |
| ``description`` | ``alt`` (``""`` when None) |

**Owner reference.** A target record's ``owner`` is the GUID of a BeProduct image *folder*
(``GET Image/Folders`` lists them), e.g. ``"6f1c2a9e-3b7d-4e0a-9c55-1d2e3f405162"``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from syncer.records import ImageRecord
from syncer.vendors.names import safe_filename

#: The header field a target writes the source key into, and ``find`` searches.
MATCH_FIELD = "header_number"
#: The header field that holds a record's title (required: never blank).
TITLE_FIELD = "header_name"
#: The header field that holds a record's alt text.
ALT_FIELD = "description"


class MappingError(ValueError):
    """A header lacks what every header has (``id``, ``folder``): the vendor's answer is broken."""


# -- header to record --------------------------------------------------------------------------


def to_record(header: Mapping[str, Any]) -> ImageRecord:
    """The canonical record of a header as ``Image/Headers`` or ``Image/Header/{id}`` answer it."""
    key = _required_text(header, "id")
    folder = header.get("folder")
    if not isinstance(folder, Mapping) or not folder.get("id"):
        raise MappingError(f"header {key} has no folder id")
    values = field_values(header)
    number = str(header.get("headerNumber") or values.get(MATCH_FIELD, ""))
    origin = origin_of(header)
    extra: dict[str, Any] = {
        "header_number": number,
        "folder_name": str(folder.get("name") or ""),
        "fields": values,
        "upload_id": current_upload_id(header),
        "created_at": header.get("createdAt"),
    }
    return ImageRecord(
        key=key,
        owner=str(folder["id"]),
        filename=(filename_of(origin) if origin else "") or number or key,
        alt=values.get(ALT_FIELD) or None,
        title=str(header.get("headerName") or values.get(TITLE_FIELD) or "") or None,
        version=_optional_text(header.get("modifiedAt")),
        url=origin,
        deleted=bool(header.get("isDeleted")),
        extra=extra,
    )


def field_values(header: Mapping[str, Any]) -> dict[str, str]:
    """``headerData.fields`` as ``{field id: value}`` (values as text; lists comma-joined)."""
    data = header.get("headerData")
    items = data.get("fields") if isinstance(data, Mapping) else None
    values: dict[str, str] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            values[item["id"]] = _text(item.get("value"))
    return values


def origin_of(header: Mapping[str, Any]) -> str | None:
    """The original's URL: ``preview.origin``, or ``preview`` itself when it is a bare URL
    (the vendor's schema allows both); None before the first finished upload."""
    data = header.get("headerData")
    preview = data.get("preview") if isinstance(data, Mapping) else None
    if isinstance(preview, Mapping):
        return _optional_text(preview.get("origin")) or _optional_text(preview.get("preview"))
    return _optional_text(preview)


def has_image(header: Mapping[str, Any]) -> bool:
    """Whether a header has a finished upload (headers without one have no bytes to sync)."""
    return origin_of(header) is not None


def current_upload_id(header: Mapping[str, Any]) -> str | None:
    """The upload id of the current version: the last ``headerData.variations`` entry."""
    data = header.get("headerData")
    variations = data.get("variations") if isinstance(data, Mapping) else None
    if isinstance(variations, list) and variations and isinstance(variations[-1], Mapping):
        return _optional_text(variations[-1].get("id"))
    return None


def filename_of(url: str) -> str:
    """The file name an origin URL ends with, unquoted, without query or fragment."""
    return unquote(posixpath.basename(urlsplit(url).path))


def modified_at(header: Mapping[str, Any]) -> str | None:
    return _optional_text(header.get("modifiedAt"))


def later(first: str | None, second: str | None) -> str | None:
    """The later of two ``modifiedAt`` stamps (compared as instants; None loses)."""
    if first is None or second is None:
        return first or second
    return first if parse_stamp(first) >= parse_stamp(second) else second


def parse_stamp(stamp: str) -> datetime:
    """A BeProduct timestamp (ISO 8601, ``Z`` or an offset; naive is UTC) as an aware instant."""
    moment = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# -- record to header --------------------------------------------------------------------------


def title_of(record: ImageRecord) -> str:
    """The required ``header_name``: the title, else the file name's stem, else the key."""
    stem = posixpath.splitext(posixpath.basename(record.filename.replace("\\", "/")))[0]
    return (record.title or "").strip() or stem.strip() or record.key


def create_fields(record: ImageRecord) -> list[dict[str, str]]:
    """The ``{"fields": [...]}`` items of ``Image/Header/Create`` for a record."""
    return [{"id": MATCH_FIELD, "value": record.key}, *update_fields(record)]


def update_fields(record: ImageRecord) -> list[dict[str, str]]:
    """The ``{"fields": [...]}`` items of ``Image/Header/{id}/Update``: title and alt only."""
    return [
        {"id": TITLE_FIELD, "value": title_of(record)},
        {"id": ALT_FIELD, "value": record.alt or ""},
    ]


def upload_filename(record: ImageRecord, mime: str) -> str:
    """The multipart ``filename``: the record's base name, or ``{key}.{ext}`` without one."""
    name = posixpath.basename(record.filename.replace("\\", "/")).strip()
    extension = mime.rpartition("/")[2].replace("jpeg", "jpg") or "bin"
    return safe_filename(name, f"{record.key}.{extension}")


# -- search filters ----------------------------------------------------------------------------


def number_filter(key: str) -> dict[str, str]:
    """The ``Image/Headers`` filter that finds headers whose match field is ``key``."""
    return {"field": MATCH_FIELD, "operator": "Eq", "value": key}


def modified_since_filter(stamp: str) -> dict[str, str]:
    """The watermark filter: headers modified at or after ``stamp`` (``Gte``: a header changed
    in the same millisecond as the watermark is listed again rather than missed)."""
    return {"field": "ModifiedAt", "operator": "Gte", "value": stamp}


def matches_number(header: Mapping[str, Any], key: str, folder_id: str) -> bool:
    """Exactly this match-field value in this folder, live. The server compares text without
    case (SQL Server collation), so the exact test is ours."""
    folder = header.get("folder")
    number = header.get("headerNumber") or field_values(header).get(MATCH_FIELD)
    return (
        number == key
        and isinstance(folder, Mapping)
        and str(folder.get("id", "")).lower() == folder_id.lower()
        and not header.get("isDeleted")
    )


# -- helpers -----------------------------------------------------------------------------------


def _required_text(header: Mapping[str, Any], name: str) -> str:
    value = header.get(name)
    if not isinstance(value, str) or not value:
        raise MappingError(f"a header without {name!r}: {dict(header)!r:.200}")
    return value


def _optional_text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
