"""Two-stage uploads: the multipart ``file`` part, then processing that status polls advance.

An accepted upload gets an upload id (not the header id) and is recorded in ``store.meta``, so a
restarted emulator still answers its status. Processing finishes on the poll after
``processing_polls`` "not finished" answers; only then does the header's preview switch to the
new version and its ``modifiedAt`` move. Failure is decided when the upload arrives (the
``processing_error_rate`` knob, or the ``processing_fail_marker`` text in the file name) and
leaves the header as it was.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import BodyPartReader, web
from PIL import Image

from syncer.emulators.base import EmulatedError, iso
from syncer.emulators.beproduct.catalog import API_USER, HeaderCatalog
from syncer.emulators.beproduct.knobs import BeProductKnobs
from syncer.emulators.images import EXTENSION, MIME, decodes
from syncer.emulators.store import CatalogStore

_CHUNK = 64 * 1024
_META_PREFIX = "beproduct.upload."
PROCESSING = "processing"
FINISHED = "finished"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class FilePart:
    """The ``file`` part of an upload; ``data`` is None when it went over the size cap."""

    filename: str
    data: bytes | None
    size: int


async def read_file_part(request: web.Request, cap: int) -> FilePart:
    """Read the multipart ``file`` part (sized or chunked), enforcing ``cap`` bytes (0 = none)."""
    if not request.content_type.startswith("multipart/"):
        raise EmulatedError(400, "Expected a multipart/form-data body with a 'file' part.")
    found: FilePart | None = None
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader) and part.name == "file" and found is None:
                found = await _read_capped(part, cap)
            else:
                await part.release()
    except (ValueError, AssertionError) as exc:
        raise EmulatedError(400, f"Malformed multipart body: {exc}") from None
    if found is None:
        raise EmulatedError(400, "No file was uploaded: the multipart part 'file' is missing.")
    if found.data is None:
        raise EmulatedError(
            413, f"The file is too large ({found.size} bytes; the limit is {cap} bytes)."
        )
    if not found.data:
        raise EmulatedError(400, "The uploaded file is empty.")
    return found


async def _read_capped(part: BodyPartReader, cap: int) -> FilePart:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(_CHUNK):
        size += len(chunk)
        if cap and size > cap:
            chunks.clear()  # keep draining so the client reads our answer, not a reset
        else:
            chunks.append(chunk)
    data = None if cap and size > cap else b"".join(chunks)
    return FilePart(filename=base_name(part.filename or ""), data=data, size=size)


def base_name(raw: str) -> str:
    """The file name without any directory a client left in it."""
    return raw.replace("\\", "/").rsplit("/", 1)[-1].strip()


def identify(data: bytes) -> str | None:
    """The MIME type of an image Pillow fully decodes, else None (CPU-bound)."""
    if not decodes(data):
        return None
    with Image.open(io.BytesIO(data)) as image:
        kind = image.format
    if not kind:
        return None
    return Image.MIME.get(kind.upper(), f"image/{kind.lower()}")


def extension_for(mime: str) -> str:
    """A file extension for a MIME type (``image/jpeg`` -> ``jpg``), for unnamed uploads."""
    known = {m: EXTENSION[fmt] for fmt, m in MIME.items()}
    return known.get(mime) or mime.rpartition("/")[2] or "bin"


def status_body(finished: bool, error: bool, message: str) -> dict[str, Any]:
    """A processing status; ``errorOccured`` is the vendor's own spelling."""
    return {"finished": finished, "errorOccured": error, "message": message}


class UploadProcessor:
    """Tracks uploads from acceptance to a finished (or failed) header version."""

    def __init__(self, store: CatalogStore, catalog: HeaderCatalog) -> None:
        self.store = store
        self.catalog = catalog
        self.rng = random.Random("beproduct-processing")
        self._answered: dict[str, int] = {}  # upload id -> "not finished" answers given

    def begin(
        self, upload_id: str, header_id: str, version: dict[str, Any], knobs: BeProductKnobs
    ) -> None:
        """Record an accepted upload; decide now whether its processing will fail."""
        record = {
            "header": header_id,
            "version": version,
            "state": PROCESSING,
            "message": "",
            "fail": self._failure(version["filename"], knobs),
        }
        self.store.set_meta(_META_PREFIX + upload_id, record)

    def _failure(self, filename: str, knobs: BeProductKnobs) -> str | None:
        marker = knobs.processing_fail_marker
        if marker and marker.casefold() in filename.casefold():
            return f"Image processing failed: '{filename}' could not be rendered."
        if knobs.processing_error_rate > 0 and self.rng.random() < knobs.processing_error_rate:
            return "Image processing failed: internal rendering error."
        return None

    def status(self, upload_id: str, polls: int, now: datetime) -> dict[str, Any] | None:
        """Advance and answer one status poll; None for an unknown upload id."""
        record = self.store.meta.get(_META_PREFIX + upload_id)
        if not isinstance(record, dict):
            return None
        if record["state"] == PROCESSING:
            answered = self._answered.get(upload_id, 0)
            if answered < polls:
                self._answered[upload_id] = answered + 1
                return status_body(False, False, "Processing")
            record = self._settle(upload_id, record, now)
        return status_body(True, record["state"] == FAILED, record["message"])

    def _settle(self, upload_id: str, record: dict[str, Any], now: datetime) -> dict[str, Any]:
        header = self.catalog.live(record["header"])
        if record["fail"]:
            record.update(state=FAILED, message=record["fail"])
        elif header is None:
            record.update(state=FAILED, message="Image processing failed: Image not found.")
        else:
            version = dict(record["version"], processedAt=iso(now))
            self.catalog.add_version(header, version, API_USER, now)
            record.update(state=FINISHED)
        self.store.set_meta(_META_PREFIX + upload_id, record)
        self._answered.pop(upload_id, None)
        return record
