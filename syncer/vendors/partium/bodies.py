"""The upsert's ``multipart/form-data`` body, streamed from spooled files.

One ``images`` part (JSON array of descriptions, ``Content-Type: application/json``, as in the
vendor's HTTP example) and one ``files`` part per description, in the same order and named
``<image_id>.<ext>``, so the files pair with their descriptions whether Partium pairs by position
or by filename. File parts stream from disk in chunks: a batch of 50 images is never held in
memory. A body is single use; the client builds a fresh one for every attempt.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import aiohttp
import anyio
from aiohttp.abc import AbstractStreamWriter
from aiohttp.payload import BytesPayload, Payload

from syncer.records import Blob
from syncer.vendors.names import safe_filename
from syncer.vendors.partium.mapping import extension_for

IMAGES_FIELD = "images"
FILES_FIELD = "files"
CHUNK = 256 * 1024


@dataclass(frozen=True, slots=True)
class UploadPart:
    """One image of an upsert: its description and the spooled bytes that go with it."""

    description: dict[str, str]
    blob: Blob

    @property
    def image_id(self) -> str:
        return self.description["image_id"]

    @property
    def filename(self) -> str:
        extension = extension_for(self.blob.mime)
        return safe_filename(f"{self.image_id}.{extension}", f"image.{extension}")


class FilePayload(Payload):
    """A file sent in chunks from disk, opened only while it is written (no handle to leak when
    an attempt fails before its body is sent). Its size is known, so the body has a length."""

    _autoclose = True

    def __init__(self, path: Path, size: int, *, content_type: str) -> None:
        super().__init__(path, content_type=content_type)
        self._path = path
        self._size = size

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return self._path.read_bytes().decode(encoding, errors)

    async def write(self, writer: AbstractStreamWriter) -> None:
        await self.write_with_length(writer, None)

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        remaining = content_length
        file = self._open()
        try:
            while remaining is None or remaining > 0:
                wanted = CHUNK if remaining is None else min(CHUNK, remaining)
                chunk = await anyio.to_thread.run_sync(file.read, wanted)
                if not chunk:
                    return
                await writer.write(chunk)
                if remaining is not None:
                    remaining -= len(chunk)
        finally:
            file.close()  # synchronous: runs even when aiohttp cancels the body writer

    def _open(self) -> BinaryIO:
        """The spooled file, opened without awaiting (an open abandoned by a cancellation
        would leak its handle); opening a local file does not block for long."""
        return self._path.open("rb")


def upsert_body(parts: Sequence[UploadPart]) -> aiohttp.MultipartWriter:
    """A fresh multipart body for one upsert request."""
    writer = aiohttp.MultipartWriter("form-data")
    entries = json.dumps([part.description for part in parts]).encode()
    images = BytesPayload(entries, content_type="application/json")
    images.set_content_disposition("form-data", name=IMAGES_FIELD)
    writer.append_payload(images)
    for part in parts:
        payload = FilePayload(part.blob.path, part.blob.size, content_type=part.blob.mime)
        payload.set_content_disposition("form-data", name=FILES_FIELD, filename=part.filename)
        writer.append_payload(payload)
    return writer
