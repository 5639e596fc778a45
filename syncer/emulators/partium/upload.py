"""Reading the upsert's multipart body and pairing its ``files`` with its ``images`` entries.

The body holds one ``images`` part (JSON text: an array of image descriptions), sent either as a
plain form field or as a file part, and ``files`` parts, one image file each. Other parts are
ignored. Whole-request problems answer 4xx here; item problems are left to the caller.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from aiohttp import BodyPartReader, web

from syncer.emulators.base import EmulatedError
from syncer.emulators.partium.errors import invalid

IMAGES_FIELD = "images"
FILES_FIELD = "files"
_IMAGES_LOC = ("body", IMAGES_FIELD)


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """One ``files`` part as received."""

    filename: str | None
    content_type: str | None
    data: bytes

    def names(self) -> set[str]:
        """The image ids this file names: its filename and its filename without extension."""
        if not self.filename:
            return set()
        return {self.filename, PurePosixPath(self.filename).stem}


@dataclass(frozen=True, slots=True)
class UpsertForm:
    """The parsed upsert request: the raw ``images`` entries and the files, in order."""

    entries: list[Any]
    files: list[UploadedFile]


async def read_upsert_form(request: web.Request, max_bytes: int) -> UpsertForm:
    """Parse the multipart body; 422 when ``images`` is missing or not a JSON array, 400 when the
    body is not valid multipart, 413 above ``max_bytes``."""
    if request.content_type != "multipart/form-data":
        raise invalid(_IMAGES_LOC, "missing", "Field required", None)
    images: list[bytes] = []
    files: list[UploadedFile] = []
    total = 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise EmulatedError(400, "Nested multipart bodies are not supported")
            data = bytes(await part.read(decode=True))
            total += len(data)
            if total > max_bytes:
                raise EmulatedError(413, f"Request body larger than {max_bytes} bytes")
            if part.name == IMAGES_FIELD:
                images.append(data)
            elif part.name == FILES_FIELD:
                files.append(UploadedFile(part.filename, part.headers.get("Content-Type"), data))
    except (ValueError, RuntimeError, AssertionError):
        raise EmulatedError(400, "There was an error parsing the body") from None
    return UpsertForm(_entries(images), files)


def _entries(images: list[bytes]) -> list[Any]:
    if not images:
        raise invalid(_IMAGES_LOC, "missing", "Field required", None)
    if len(images) > 1:
        raise EmulatedError(400, "The images field may be given only once")
    try:
        entries = json.loads(images[0])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        text = images[0].decode("utf-8", "replace")
        raise invalid(
            _IMAGES_LOC, "json_invalid", f"Invalid JSON: {exc}", text, {"error": str(exc)}
        ) from None
    if not isinstance(entries, list):
        raise invalid(_IMAGES_LOC, "list_type", "Input should be a valid list", entries)
    return entries


def pair_files(image_ids: list[str | None], files: list[UploadedFile]) -> list[UploadedFile | None]:
    """The file of each image entry (None where there is none).

    By position when there are as many files as entries (more files are refused earlier).
    With fewer files, by name when every file names a distinct entry (``<image_id>.<ext>``),
    else by position with the trailing entries left without a file.
    """
    if len(files) >= len(image_ids):
        return list(files[: len(image_ids)])
    by_name = _files_by_name(image_ids, files)
    if by_name is not None:
        return [by_name.get(image_id) if image_id else None for image_id in image_ids]
    return [*files, *([None] * (len(image_ids) - len(files)))]


def _files_by_name(
    image_ids: list[str | None], files: list[UploadedFile]
) -> dict[str, UploadedFile] | None:
    wanted = {image_id for image_id in image_ids if image_id}
    paired: dict[str, UploadedFile] = {}
    for file in files:
        matches = file.names() & wanted
        if len(matches) != 1:
            return None
        (image_id,) = matches
        if image_id in paired:
            return None
        paired[image_id] = file
    return paired
