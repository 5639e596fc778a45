"""The old images of a plan's replaces and deletes, read back from their targets.

A plan shows the image a replace takes away and the one a delete removes. Their bytes have left
the spool, and a run keeps thumbnails of what it pushed only within a time budget
(:mod:`syncer.spool.thumbcache`); for the rest, the target still holds them. Each such target is
listed as ``syncer check`` lists it (:func:`syncer.engine.check.lister`), until every wanted item
is found or :data:`LISTING_SECONDS` pass, and each wanted item's bytes are read into a temporary
file and made a thumbnail, kept for the plan and in the cache. Best effort: a target that cannot
be listed, or an item not found in time, keeps its placeholder; the plan never fails for it.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import anyio

from syncer.engine.check import lister
from syncer.engine.targets import Target
from syncer.errors import SyncerError, VendorError
from syncer.records import ImageRecord
from syncer.spool.thumbcache import Thumb, ThumbCache
from syncer.vendors.contract import Source

log = logging.getLogger("syncer.engine")

#: Seconds a plan lists one target for the old images it lacks.
LISTING_SECONDS = 20.0
#: Old images read back at most per plan.
MOST = 500
#: Bytes of one old image read at most (a larger one keeps its placeholder).
MAX_BYTES = 50_000_000


@dataclass
class Wanted:
    """The old images a plan lacks: per target, target id → sha256, and the owners to list."""

    items: dict[str, dict[str, str]] = field(default_factory=dict)
    owners: dict[str, set[str]] = field(default_factory=dict)
    count: int = 0

    def add(self, target: str, target_id: str | None, sha256: str, owner: str | None) -> None:
        if not target_id or self.count >= MOST:
            return
        self.items.setdefault(target, {})[target_id] = sha256
        if owner:
            self.owners.setdefault(target, set()).add(owner)
        self.count += 1


async def read_back(
    wanted: Wanted,
    targets: dict[str, Target],
    session: aiohttp.ClientSession,
    cache: ThumbCache,
    embed: Callable[[str, str], None],
) -> int:
    """Read the wanted old images from their targets; how many were made thumbnails."""
    made = 0
    for name, items in wanted.items.items():
        target = targets[name]
        try:
            with anyio.move_on_after(LISTING_SECONDS):
                owners = wanted.owners.get(name, set())
                made += await _from(target, items, owners, session, cache, embed)
        except (SyncerError, OSError) as exc:  # best effort: the placeholder stays
            log.warning("plan: old images of %s not read back: %s", name, exc)
    return made


async def _from(
    target: Target,
    items: dict[str, str],
    owners: set[str],
    session: aiohttp.ClientSession,
    cache: ThumbCache,
    embed: Callable[[str, str], None],
) -> int:
    mapping = target.config.mapping
    owners |= {o for o in (mapping.default_owner, *(mapping.owners or {}).values()) if o}
    client = lister(target.config, session, owners)
    left, made = dict(items), 0
    async for page in client.pages(None):
        for record in page.records:
            sha = left.pop(record.key, None)
            if sha is not None and await _thumbnail(client, record, sha, cache, embed):
                made += 1
        if not left:
            break
    return made


async def _thumbnail(
    client: Source,
    record: ImageRecord,
    sha256: str,
    cache: ThumbCache,
    embed: Callable[[str, str], None],
) -> bool:
    """One old image: its bytes into a temporary file, then its thumbnail (in a thread)."""
    from syncer.spool.thumbs import make_thumbnail, pixel_size

    with tempfile.TemporaryDirectory(prefix="syncer-old-") as folder:
        path = Path(folder) / "image"
        if not await _download(client, record, path):
            return False
        uri = await anyio.to_thread.run_sync(make_thumbnail, path)
        if uri is None:
            return False
        size = await anyio.to_thread.run_sync(pixel_size, path)
    thumb = Thumb(uri, *(size or (None, None)))
    await anyio.to_thread.run_sync(cache.put, sha256, thumb)
    embed(sha256, uri)
    return True


async def _download(client: Source, record: ImageRecord, path: Path) -> bool:
    total = 0
    try:
        async with client.open(record) as chunks, await anyio.open_file(path, "wb") as out:
            async for chunk in chunks:
                total += len(chunk)
                if total > MAX_BYTES:
                    return False
                await out.write(chunk)
    except VendorError as exc:  # this item only, as in a check; a refused key stops
        if not exc.skippable:
            raise
        return False
    return True
