"""Reading and checking Moov's multipart upload/replace body and its ``metadata``.

The body is ``multipart/form-data`` with a required part ``image`` (the file; its declared
Content-Type is ignored, the magic bytes decide) and an optional JSON part ``metadata``
(``{"altText": ...}``). Refusals, in the vendor's shapes: a request over the size limit (413, or
400 by knob) ``{"error"}``; not multipart or unreadable ``{"error"}`` (400); a missing, empty,
unsupported or undecodable image ``{"image": ...}`` (422); a malformed metadata part ``{"error"}``
(400); a bad ``altText`` ``{"metadata": {"altText": ...}}`` (422).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import anyio
from aiohttp import BodyPartReader, web

from syncer.emulators.base import EmulatedError
from syncer.emulators.images import decodes, sniff_format

ACCEPTED_FORMATS = ("png", "jpeg", "webp")
IMAGE_PART = "image"
METADATA_PART = "metadata"
CHUNK = 256 * 1024
#: After refusing an oversize request we read (and drop) at most this much of it, so the client
#: gets to read our answer; past that the connection is simply closed.
DRAIN_LIMIT = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Upload:
    """A checked upload: the image bytes, their format, and the metadata part if one was sent."""

    data: bytes
    fmt: str
    filename: str
    #: None when no ``metadata`` part was sent (a replace then keeps the existing metadata).
    metadata: dict[str, Any] | None


class InvalidAltTextError(ValueError):
    """An ``altText`` value Moov would refuse with 422."""


def check_alt_text(value: Any, max_length: int) -> str | None:
    """The ``altText`` to store (None clears it); raises InvalidAltTextError when refused."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidAltTextError("must be a string")
    if len(value) > max_length:
        raise InvalidAltTextError(f"the length must be no more than {max_length}")
    return value


def _oversize(max_bytes: int, status: int) -> EmulatedError:
    return EmulatedError(status, f"request body is larger than the {max_bytes}-byte (16MB) limit")


async def _drain(request: web.Request) -> None:
    drained = 0
    while drained < DRAIN_LIMIT:
        chunk = await request.content.readany()
        if not chunk:
            return
        drained += len(chunk)


class _Budget:
    """Counts body bytes read so far against the request-size limit."""

    def __init__(self, max_bytes: int, status: int) -> None:
        self.max_bytes = max_bytes
        self.status = status
        self.used = 0

    def spend(self, amount: int) -> bool:
        self.used += amount
        return self.used <= self.max_bytes


async def _read_part(part: BodyPartReader, budget: _Budget) -> bytes | None:
    """The part's bytes, or None when reading it went over the budget."""
    chunks: list[bytes] = []
    while chunk := await part.read_chunk(CHUNK):
        if not budget.spend(len(chunk)):
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_parts(request: web.Request, budget: _Budget) -> dict[str, tuple[str | None, bytes]]:
    """The first ``image`` and ``metadata`` parts by name, with their file names."""
    found: dict[str, tuple[str | None, bytes]] = {}
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise EmulatedError(400, "nested multipart bodies are not supported")
            data = await _read_part(part, budget)
            if data is None:
                await _drain(request)
                raise _oversize(budget.max_bytes, budget.status)
            if part.name in (IMAGE_PART, METADATA_PART) and part.name not in found:
                found[part.name] = (part.filename, data)
    except (ValueError, AssertionError) as exc:
        raise EmulatedError(400, f"malformed multipart body: {exc}") from None
    return found


async def _image_problem(data: bytes | None) -> str | None:
    """Why Moov would refuse these image bytes with 422, or None when they are fine."""
    if data is None:
        return "image is required: send the file as multipart part 'image'"
    if not data:
        return "image file is empty"
    fmt = sniff_format(data)
    if fmt not in ACCEPTED_FORMATS:
        return "unsupported image type: only PNG, JPEG and WebP are accepted"
    if not await anyio.to_thread.run_sync(decodes, data):
        return f"image could not be decoded as {fmt.upper()}"
    return None


def parse_metadata(raw: bytes) -> dict[str, Any]:
    """The metadata part as a JSON object; malformed JSON or another type is a 400."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EmulatedError(400, f"malformed JSON in the metadata part: {exc}") from None
    if not isinstance(body, dict):
        raise EmulatedError(400, "the metadata part must be a JSON object")
    return body


async def read_upload(
    request: web.Request, max_bytes: int, oversize_status: int, alt_text_max: int
) -> Upload:
    """Read and check an upload or replace request body.

    Field problems are reported together, as Moov's validation does: ``{"image": ...,
    "metadata": {"altText": ...}}`` with whichever keys apply.
    """
    declared = request.content_length
    if declared is not None and declared > max_bytes:
        await _drain(request)
        raise _oversize(max_bytes, oversize_status)
    if request.content_type != "multipart/form-data":
        raise EmulatedError(
            400,
            "expected a multipart/form-data body with an 'image' part (and optional "
            f"'metadata'), got {request.content_type!r}",
        )
    parts = await _read_parts(request, _Budget(max_bytes, oversize_status))
    filename, data = parts.get(IMAGE_PART, (None, None))
    problems: dict[str, Any] = {}
    metadata = None
    if METADATA_PART in parts:
        metadata = parse_metadata(parts[METADATA_PART][1])
        try:
            metadata = {"altText": check_alt_text(metadata.get("altText"), alt_text_max)}
        except InvalidAltTextError as exc:
            problems[METADATA_PART] = {"altText": str(exc)}
    image_problem = await _image_problem(data)
    if image_problem is not None:
        problems[IMAGE_PART] = image_problem
    if problems or data is None:
        raise EmulatedError(422, "invalid image upload", body=problems)
    fmt = sniff_format(data) or ""
    return Upload(data=data, fmt=fmt, filename=filename or f"upload.{fmt}", metadata=metadata)
