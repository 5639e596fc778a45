"""The create request's body for Spiffy: the file as a Base64 ``attachment``, streamed."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import anyio

#: Bytes read from the spooled file per chunk: a multiple of 3, so chunks encode independently.
READ_CHUNK = 3 * 64 * 1024


async def attachment_body(path: Path, head: bytes, tail: bytes) -> AsyncIterator[bytes]:
    """``head``, the file at ``path`` in Base64, then ``tail``: a create body streamed from the
    spool, so a large image is never held in memory (Base64 alone would add a third).

    The file is opened for each chunk and closed before the chunk is handed on: aiohttp drops a
    body it stops sending (a refused or broken request) without closing it, so nothing may stay
    open across a ``yield``.
    """
    yield head
    carry, offset = b"", 0
    while chunk := await anyio.to_thread.run_sync(_read_at, path, offset, READ_CHUNK):
        offset += len(chunk)
        data = carry + chunk
        cut = len(data) - len(data) % 3
        carry = data[cut:]
        if cut:
            yield base64.b64encode(data[:cut])
    if carry:
        yield base64.b64encode(carry)
    yield tail


def _read_at(path: Path, offset: int, size: int) -> bytes:
    with path.open("rb") as file:
        file.seek(offset)
        return file.read(size)
