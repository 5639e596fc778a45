"""Fixtures for the spool and conversion tests: a started spool in a temp dir, and helpers."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image

from syncer.records import Blob
from syncer.spool import Spool


@pytest.fixture
async def spool(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Spool]:
    async with Spool(tmp_path_factory.mktemp("spool")) as started:
        yield started


async def stream(data: bytes, chunk: int = 65_536) -> AsyncIterator[bytes]:
    """``data`` as an async stream of ``chunk``-byte pieces (as a vendor download arrives)."""
    for start in range(0, len(data), chunk):
        yield data[start : start + chunk]


async def put(spool: Spool, data: bytes, mime_hint: str | None = None) -> Blob:
    """``data`` written into ``spool``."""
    return await spool.write(stream(data), mime_hint=mime_hint)


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def decoded(blob: Blob) -> Image.Image:
    """The blob's image, fully loaded, with its ``format`` (the file is closed again)."""
    with Image.open(blob.path) as image:
        image.load()
        copy = image.copy()
        copy.format = image.format
    return copy
