"""Thumbnails of pushed images, kept after their bytes leave the spool, so a later plan shows the
old image beside the new one for a replace, and the image a delete removes.

One small text file per sha256 under ``<spool>/thumbs/``: the pixel size, then the thumbnail as
a ``data:`` URI (a few KB). Made when a run lets a pushed blob go (:meth:`ThumbCache.remember`),
in a worker thread, within a time budget: :data:`ALLOWANCE` seconds, plus :data:`SHARE` of the
time the run has taken. Decoding an image costs milliseconds of CPU, which a bulk migration would
otherwise pay for every image (measured: 30% of a 200-image migration at 0 ms vendor latency);
within the budget a small sync keeps every thumbnail and a bulk run the first ones and a few of
the rest, so the cache is best effort. At most :data:`MAX_THUMBS` are kept; the oldest go first
(:meth:`ThumbCache.prune`).
"""

from __future__ import annotations

import os
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import anyio

#: Thumbnails kept at most (about 3 KB each).
MAX_THUMBS = 20_000
#: Thumbnails waiting for the thread beyond which a new one is skipped.
MAX_WAITING = 8
#: Seconds of thumbnail making a run may always spend.
ALLOWANCE = 0.15
#: The share of a run's time it may spend on thumbnails beyond :data:`ALLOWANCE`.
SHARE = 0.02


@dataclass(frozen=True, slots=True)
class Thumb:
    uri: str
    width: int | None
    height: int | None


class ThumbCache:
    """The thumbnails of one spool, by sha256."""

    def __init__(self, directory: Path, *, threads: int = 1) -> None:
        self.directory = directory
        self._threads = anyio.CapacityLimiter(threads)
        self._started = time.monotonic()
        #: Seconds spent making thumbnails (the budget is checked against it).
        self.spent = 0.0

    def _path(self, sha256: str) -> Path:
        return self.directory / sha256[:2] / sha256

    def get(self, sha256: str) -> Thumb | None:
        """The thumbnail of ``sha256``, or None when none was kept. Blocking (a small read)."""
        try:
            size, _, uri = self._path(sha256).read_text(encoding="ascii").partition("\n")
        except (OSError, UnicodeDecodeError):
            return None
        width, _, height = size.partition("x")
        if not uri.startswith("data:image/"):
            return None
        return Thumb(
            uri, int(width) if width.isdigit() else None, int(height) if height.isdigit() else None
        )

    def put(self, sha256: str, thumb: Thumb) -> None:
        """Keep ``thumb`` (atomically: a reader never sees half of it). Blocking."""
        path = self._path(sha256)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{sha256}.{os.getpid()}.tmp")
        tmp.write_text(f"{thumb.width or ''}x{thumb.height or ''}\n{thumb.uri}", encoding="ascii")
        os.replace(tmp, path)

    def wants(self) -> bool:
        """Whether the run's budget has room for another thumbnail (checked before anything
        is read: a run past its budget pays nothing per blob)."""
        budget = ALLOWANCE + SHARE * (time.monotonic() - self._started)
        return self.spent < budget and self._threads.statistics().tasks_waiting < MAX_WAITING

    async def remember(self, sha256: str, blob_path: Path) -> None:
        """Make and keep the thumbnail of a blob about to leave the spool, unless one is kept
        already or too many wait for the thread (then skipped: never a long wait)."""
        if not self.wants():
            return
        async with self._threads:
            began = time.monotonic()
            await anyio.to_thread.run_sync(self._make, sha256, blob_path)
            self.spent += time.monotonic() - began

    def _make(self, sha256: str, blob_path: Path) -> None:
        from syncer.spool.thumbs import make_thumbnail, pixel_size

        if self._path(sha256).exists():  # kept already (another target pushed the same bytes)
            return
        uri = make_thumbnail(blob_path)
        if uri is None:
            return
        size = pixel_size(blob_path)
        with suppress(OSError):
            self.put(sha256, Thumb(uri, *(size or (None, None))))

    def prune(self, keep: int = MAX_THUMBS) -> int:
        """Remove the oldest thumbnails beyond ``keep``; how many went. Blocking."""
        found: list[tuple[float, str]] = []
        with suppress(FileNotFoundError):
            for bucket in os.scandir(self.directory):
                if bucket.is_dir(follow_symlinks=False):
                    for entry in os.scandir(bucket.path):
                        with suppress(FileNotFoundError):
                            found.append((entry.stat().st_mtime, entry.path))
        if len(found) <= keep:
            return 0
        found.sort()
        for _, path in found[: len(found) - keep]:
            with suppress(FileNotFoundError):
                os.unlink(path)
        return len(found) - keep


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None
