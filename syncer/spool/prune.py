"""Bounding the spool: removing what no open operation needs, and measuring what is left.

Blocking file work, run by :class:`syncer.spool.store.Spool` in a worker thread. It walks only
the blob folders (``<sha[:2]>/``) and the conversions index, never ``tmp/``: an in-flight
write lives there until its rename, so no prune can take a live write's temp file.

What is kept: every blob whose sha256 ``spared`` says (the caller's keep set, and the blobs the
spool wrote since the previous prune began, so a blob just downloaded for an op not journalled
yet survives), with its ``.mime`` sidecar, and the conversion results recorded for a kept
source (a target that needs the source needs its conversion too). Everything else goes: other
blobs and sidecars, index entries of removed sources, and entries whose result is gone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

_SHA256 = re.compile(r"[0-9a-f]{64}")
_BUCKET = re.compile(r"[0-9a-f]{2}")
MIME_SUFFIX = ".mime"


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What one prune removed: ``blobs`` (image files), ``files`` (blobs, sidecars and index
    entries together) and the ``bytes`` those files held."""

    blobs: int = 0
    files: int = 0
    bytes: int = 0


class _Tally:
    """Counts removals as they happen (a prune cut short still reports what it did)."""

    def __init__(self) -> None:
        self.blobs = self.files = self.bytes = 0

    def unlink(self, path: Path, *, blob: bool = False) -> None:
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:  # gone meanwhile (a discard, another prune): nothing to count
            return
        self.files += 1
        self.bytes += size
        self.blobs += blob

    def report(self) -> PruneReport:
        return PruneReport(self.blobs, self.files, self.bytes)


def prune_directory(directory: Path, spared: Callable[[str], bool]) -> PruneReport:
    """Remove from the spool at ``directory`` what :mod:`this module <syncer.spool.prune>` says
    goes; ``spared(sha256)`` tells a blob that stays. Blocking."""
    tally = _Tally()
    kept_results = _prune_index(directory / "conversions", spared, tally)

    def stays(sha256: str) -> bool:
        return sha256 in kept_results or spared(sha256)

    for bucket in _buckets(directory):
        for entry in _entries(bucket):
            name = entry.name
            sha256 = name.removesuffix(MIME_SUFFIX)
            if not _SHA256.fullmatch(sha256) or stays(sha256):
                continue
            tally.unlink(Path(entry.path), blob=name == sha256)
    _drop_dangling_results(directory, tally)
    return tally.report()


def _prune_index(conversions: Path, spared: Callable[[str], bool], tally: _Tally) -> set[str]:
    """Drop the index entries of sources that go; the results recorded for those that stay."""
    kept: set[str] = set()
    for source in _entries(conversions):
        if not _SHA256.fullmatch(source.name):
            continue
        folder = Path(source.path)
        stays = spared(source.name)
        for recipe in _entries(folder):
            if stays:
                result = _read_sha(Path(recipe.path))
                if result is not None:
                    kept.add(result)
                    continue
            tally.unlink(Path(recipe.path))
        if not stays:
            _rmdir_quietly(folder)
    return kept


def _drop_dangling_results(directory: Path, tally: _Tally) -> None:
    """Index entries of a kept source whose result blob is gone (removed, or never there): the
    conversion is redone when needed, so the entry is only clutter."""
    for source in _entries(directory / "conversions"):
        for recipe in _entries(Path(source.path)):
            result = _read_sha(Path(recipe.path))
            if result is None or not (directory / result[:2] / result).exists():
                tally.unlink(Path(recipe.path))


def discard_blob(directory: Path, sha256: str) -> PruneReport:
    """Remove one blob, its sidecar and the conversions index entries of which it is the
    source (their results stay until a prune finds them unneeded). Blocking."""
    tally = _Tally()
    blob = directory / sha256[:2] / sha256
    tally.unlink(blob, blob=True)
    tally.unlink(blob.with_name(sha256 + MIME_SUFFIX))
    folder = directory / "conversions" / sha256
    for recipe in _entries(folder):
        tally.unlink(Path(recipe.path))
    _rmdir_quietly(folder)
    return tally.report()


def directory_usage(directory: Path) -> int:
    """Bytes of every file under ``directory`` (blobs, sidecars, index, temp files). Blocking."""
    total = 0
    stack = [directory]
    while stack:
        for entry in _entries(stack.pop()):
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                try:
                    total += entry.stat(follow_symlinks=False).st_size
                except FileNotFoundError:
                    continue
    return total


def _buckets(directory: Path) -> Iterator[Path]:
    for entry in _entries(directory):
        if _BUCKET.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
            yield Path(entry.path)


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    """The folder's entries, or none when it is gone (listed at once: the caller removes)."""
    try:
        with os.scandir(folder) as found:
            return list(found)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _read_sha(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return text if _SHA256.fullmatch(text) else None


def _rmdir_quietly(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:  # gone, or a remember() raced in: left for the next prune
        return
