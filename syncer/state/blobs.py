"""The spool index: which spooled file holds the bytes of each sha256."""

from __future__ import annotations

import sqlalchemy as sa

from syncer.state import convert
from syncer.state.base import StoreBase
from syncer.state.models import blobs
from syncer.state.rows import BlobRow
from syncer.state.sql import upsert


class Blobs(StoreBase):
    """Recording and finding spooled files."""

    async def put_blob(self, blob: BlobRow) -> None:
        """Record (or move) a spooled file under its sha256."""
        values = {"sha256": blob.sha256, "size": blob.size, "mime": blob.mime, "path": blob.path}
        async with self._write() as conn:
            await upsert(
                conn,
                blobs,
                [{**values, "created_at": self._now()}],
                ("sha256",),
                keep=("created_at",),
            )

    async def blob(self, sha256: str) -> BlobRow | None:
        """The spooled file with these bytes, if any."""
        async with self._read() as conn:
            row = (await conn.execute(sa.select(blobs).where(blobs.c.sha256 == sha256))).first()
        return convert.blob_row(row) if row else None
