"""Checking the upsert's items one by one: what fails lands in ``errors``, the rest is stored.

Item errors are keyed by ``image_id``; an entry without a usable string id is keyed by its
position, ``images[<index>]``.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from PIL import Image

from syncer.emulators.images import decodes, sniff_format
from syncer.emulators.partium.descriptions import image_id_problem, info_problem
from syncer.emulators.partium.upload import UploadedFile, pair_files


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry that passed the metadata checks, with its file (bytes still to be checked)."""

    image_id: str
    part_id: str
    info: str
    file: UploadedFile


@dataclass(slots=True)
class UpsertResult:
    """The answer of ``POST /1/catalog/images``."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "errors": self.errors}


def check_entries(
    entries: list[Any],
    files: list[UploadedFile],
    *,
    part_exists: Callable[[str], bool],
    max_file_bytes: int,
    errors: dict[str, str],
) -> list[Candidate]:
    """The entries whose metadata and file presence are fine; the others go to ``errors``."""
    ids = [_entry_id(entry) for entry in entries]
    counts = Counter(image_id for image_id in ids if image_id is not None)
    paired = pair_files(ids, files)
    candidates: list[Candidate] = []
    for index, (entry, image_id, file) in enumerate(zip(entries, ids, paired, strict=True)):
        key = image_id if image_id else f"images[{index}]"
        problem = _id_problem(entry, image_id, counts)
        if problem is None and image_id is not None:
            problem = _entry_problem(entry, file, part_exists, max_file_bytes)
        if problem is not None:
            errors[key] = problem
        elif image_id is not None and file is not None:
            candidates.append(Candidate(image_id, entry["part_id"], entry.get("info") or "", file))
    return candidates


async def check_files(
    candidates: list[Candidate], formats: tuple[str, ...], errors: dict[str, str]
) -> list[tuple[Candidate, str]]:
    """The candidates whose bytes decode as an accepted format, with that format (checked in a
    worker thread: decoding is CPU bound); the others go to ``errors``."""
    if not candidates:
        return []
    found = await anyio.to_thread.run_sync(lambda: [image_format(c.file.data) for c in candidates])
    accepted: list[tuple[Candidate, str]] = []
    for candidate, fmt in zip(candidates, found, strict=True):
        if fmt is None:
            errors[candidate.image_id] = "The file is not a readable image"
        elif fmt not in formats:
            errors[candidate.image_id] = (
                f"Unsupported image type {fmt!r}; accepted: {', '.join(formats)}"
            )
        else:
            accepted.append((candidate, fmt))
    return accepted


def image_format(data: bytes) -> str | None:
    """The format of ``data`` when it fully decodes as an image, else None (CPU-bound)."""
    if not decodes(data):
        return None
    if fmt := sniff_format(data):
        return fmt
    with Image.open(io.BytesIO(data)) as image:
        return (image.format or "").lower() or None


def _entry_id(entry: Any) -> str | None:
    if isinstance(entry, dict) and isinstance(entry.get("image_id"), str):
        return str(entry["image_id"]) or None
    return None


def _id_problem(entry: Any, image_id: str | None, counts: Counter[str]) -> str | None:
    if not isinstance(entry, dict):
        return "An image description must be a JSON object"
    if image_id is None and entry.get("image_id") is None:
        return "image_id is missing"
    if image_id is None:
        return "image_id must be a non-empty string"
    problem = image_id_problem(image_id)
    if problem is None and counts[image_id] > 1:
        problem = "image_id appears more than once in this request"
    return problem


def _entry_problem(
    entry: dict[str, Any],
    file: UploadedFile | None,
    part_exists: Callable[[str], bool],
    max_file_bytes: int,
) -> str | None:
    part_id = entry.get("part_id")
    if part_id is None:
        return "part_id is missing"
    if not isinstance(part_id, str) or not part_id:
        return "part_id must be a non-empty string"
    if not part_exists(part_id):
        return f"Part type {part_id!r} does not exist"
    info = entry.get("info")
    problem = info_problem("" if info is None else info)
    if problem is not None:
        return problem
    if file is None:
        return "No file was sent for this image"
    if not file.data:
        return "The file is empty"
    if max_file_bytes and len(file.data) > max_file_bytes:
        return f"The file is larger than {max_file_bytes} bytes"
    return None
