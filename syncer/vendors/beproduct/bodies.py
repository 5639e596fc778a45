"""The multipart body of an image upload, streamed from the spooled file and rebuilt per attempt.

The vendor's own SDKs re-send a spent body on retry (async: a 0-byte ``file`` part; sync: a hang).
Here :func:`upload_body` is the body *factory* handed to :meth:`HttpClient.request`, which calls
it for every attempt; the file is opened only while a body is being written, read in chunks
in worker threads, and closed after, so nothing is held in memory and nothing leaks when an attempt
fails before sending.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import anyio
from aiohttp.abc import AbstractStreamWriter
from aiohttp.payload import Payload

CHUNK = 256 * 1024
#: The part's Content-Type, as the official SDK sends it (captured wire format).
PART_TYPE = "application/octet-stream"


class SpooledFilePayload(Payload):
    """A file's bytes as a payload of known size, read while it is written."""

    _autoclose = True  # nothing is open between writes

    def __init__(self, path: Path, size: int, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        self._path = path
        self._length = size
        self._size = size  # what aiohttp reads for the part's (and body's) Content-Length

    async def write(self, writer: AbstractStreamWriter) -> None:
        await self.write_with_length(writer, None)

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        remaining = self._length if content_length is None else min(self._length, content_length)
        # Opened here, without a thread: an open awaited in a worker thread leaks the file when
        # aiohttp cancels the write meanwhile (an early answer, a reset). Opening a local spool
        # file does not block; the reads, which may, run in threads.
        handle = self._path.open("rb")
        try:
            while remaining > 0:
                chunk = await anyio.to_thread.run_sync(handle.read, min(CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                await writer.write(chunk)
        finally:
            handle.close()

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        raise TypeError("an image upload is binary; it has no text form")


def upload_body(path: Path, size: int, filename: str) -> aiohttp.MultipartWriter:
    """A fresh ``multipart/form-data`` body with the one part ``file`` (sized, not chunked)."""
    writer = aiohttp.MultipartWriter("form-data")
    part = SpooledFilePayload(path, size, content_type=PART_TYPE)
    # The file name goes as it is (UTF-8, quotes escaped), as browsers and the vendor's blocking
    # SDK send it; aiohttp's default would percent-encode it ("a b.png" -> "a%20b.png"), and
    # the server keeps what it gets as the name the origin URL ends with.
    part.set_content_disposition("form-data", quote_fields=False, name="file", filename=filename)
    writer.append_payload(part)
    return writer
