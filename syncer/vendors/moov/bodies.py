"""Moov's upload body: multipart, rebuilt for every attempt, streamed from the spooled file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

import aiohttp

from syncer.records import Blob


class MultipartImage:
    """Moov's upload and replace body: part ``image`` (the file, with its name and type) and a
    JSON part ``metadata``, rebuilt for every attempt and streamed from the spooled file (with a
    Content-Length, as the SDK sends). :meth:`close` closes every file it opened."""

    def __init__(self, blob: Blob, filename: str, metadata: Mapping[str, Any]) -> None:
        self.blob = blob
        self.filename = filename
        self.metadata = json.dumps(dict(metadata))
        self._files: list[IO[bytes]] = []

    def __call__(self) -> aiohttp.FormData:
        handle = self.blob.path.open("rb")
        self._files.append(handle)
        form = aiohttp.FormData()
        form.add_field("image", handle, filename=self.filename, content_type=self.blob.mime)
        form.add_field("metadata", self.metadata, content_type="application/json")
        return form

    def close(self) -> None:
        for handle in self._files:
            handle.close()
        self._files.clear()
