"""BeProduct's JSON shapes: image headers, folders, schemas, file URLs."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from syncer.emulators.beproduct.catalog import values_of, versions_of
from syncer.emulators.beproduct.knobs import COMPANY_DOMAIN
from syncer.emulators.beproduct.schema import (
    FIELDS,
    HEADER_NAME,
    HEADER_NUMBER,
    SEARCH_ONLY,
    FieldDef,
    schema_entry,
)
from syncer.emulators.store import Owner, StoredImage

#: Where the emulator serves image bytes (BeProduct's CDN), below the server's own origin.
FILES_PREFIX = "/files"


def files_base(request: web.Request) -> str:
    """The URL prefix of served files, on the host the client talked to."""
    return f"{request.scheme}://{request.host}{FILES_PREFIX}/{COMPANY_DOMAIN}"


def origin_url(base: str, header_id: str, version: dict[str, Any]) -> str:
    """The original file's URL; it ends with the uploaded file name."""
    return f"{base}/images/{header_id}/{version['id']}/{quote(version['filename'])}"


def preview_url(base: str, header_id: str, version: dict[str, Any]) -> str:
    return f"{base}/previews/{header_id}/{version['id']}/{quote(version['filename'])}"


def header_view(image: StoredImage, folder: Owner | None, base: str) -> dict[str, Any]:
    """A header exactly as ``GET Image/Header/{id}`` answers it."""
    values = values_of(image)
    versions = versions_of(image)
    current = versions[-1] if versions else None
    preview = None
    if current is not None:
        preview = {
            "preview": preview_url(base, image.id, current),
            "origin": origin_url(base, image.id, current),
        }
    return {
        "id": image.id,
        "headerNumber": values.get(HEADER_NUMBER, ""),
        "headerName": values.get(HEADER_NAME, ""),
        "folder": folder_ref(folder, image.owner),
        "headerData": {
            "fields": [field_item(f, values) for f in FIELDS],
            "preview": preview,
            "variations": [
                variation(base, image.id, number, v) for number, v in enumerate(versions, start=1)
            ],
        },
        "files": [origin_url(base, image.id, v) for v in versions],
        "isDeleted": image.deleted,
        "createdBy": image.fields.get("createdBy"),
        "createdAt": image.created_at,
        "modifiedBy": image.fields.get("modifiedBy"),
        "modifiedAt": image.updated_at,
    }


def folder_ref(folder: Owner | None, folder_id: str) -> dict[str, str]:
    name = str(folder.fields.get("name", "")) if folder is not None else ""
    return {"id": folder_id, "name": name}


def field_item(definition: FieldDef, values: dict[str, str]) -> dict[str, Any]:
    return {
        "id": definition.id,
        "name": definition.name,
        "value": values.get(definition.id, ""),
        "type": definition.type,
        "required": definition.required,
    }


def variation(base: str, header_id: str, number: int, version: dict[str, Any]) -> dict[str, Any]:
    """One image version, oldest first, as a ``headerData.variations`` entry."""
    return {
        "id": version["id"],
        "number": str(number),
        "name": version["filename"],
        "sourceFile": origin_url(base, header_id, version),
        "preview": preview_url(base, header_id, version),
    }


def folder_view(folder: Owner) -> dict[str, Any]:
    return {
        "id": folder.id,
        "name": folder.fields.get("name", ""),
        "description": folder.fields.get("description", ""),
        "active": bool(folder.fields.get("active", True)),
    }


def schema_view(search: bool) -> list[dict[str, Any]]:
    """``Image/FolderSchema`` (attributes) or ``Image/FolderSearchSchema`` (plus system dates)."""
    fields = FIELDS + SEARCH_ONLY if search else FIELDS
    return [schema_entry(f) for f in fields]
