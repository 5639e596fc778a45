"""Reading an image's ``/original`` back: hashed while streaming (``find``), or spooled to a
temporary file (``update``, which must send the current bytes again)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import BinaryIO

import anyio

from syncer.http import HttpClient
from syncer.records import Blob
from syncer.spool import sniff_mime
from syncer.vendors.partium.mapping import original_path


async def hash_original(http: HttpClient, image_id: str, *, operation: str, key: str) -> str:
    """The sha256 of ``image_id``'s original bytes, streamed (never held whole)."""
    digest = hashlib.sha256()
    async with http.stream(
        original_path(image_id), operation=operation, item=key, authenticate=True
    ) as chunks:
        async for chunk in chunks:
            digest.update(chunk)
    return digest.hexdigest()


@asynccontextmanager
async def spooled_original(
    http: HttpClient, image_id: str, *, operation: str, key: str, spool_dir: Path | None
) -> AsyncIterator[Blob]:
    """``image_id``'s original bytes in a temporary file, as a Blob (type sniffed from the
    bytes); the file is deleted when the block ends. The download's connection is released
    before the block's body runs."""
    where = None if spool_dir is None else str(spool_dir)
    async with anyio.TemporaryDirectory(prefix="partium-", dir=where) as directory:
        path = Path(directory) / "original"
        digest, size, head = hashlib.sha256(), 0, b""
        file = _create(path)
        try:
            async with http.stream(
                original_path(image_id), operation=operation, item=key, authenticate=True
            ) as chunks:
                async for chunk in chunks:
                    head = head or chunk[:16]
                    digest.update(chunk)
                    size += len(chunk)
                    await anyio.to_thread.run_sync(file.write, chunk)
        finally:
            file.close()
        mime = sniff_mime(head) or "application/octet-stream"
        yield Blob(path=path, sha256=digest.hexdigest(), size=size, mime=mime)


def _create(path: Path) -> BinaryIO:
    """A new spool file, opened without awaiting (an open abandoned by a cancellation would
    leak its handle); the caller closes it in a ``finally``."""
    return path.open("wb")
