"""A content-addressed spool of image bytes, shared by every target of a run.

Each image is downloaded once per run: :meth:`Spool.write` streams the source's chunks into a
temporary file with aiofiles while hashing and counting them (never holding the whole file), then
renames it atomically to ``<dir>/<sha[:2]>/<sha>``. Every target then reads that one file.

Layout under the spool directory::

    ab/ab12...ef          a blob, named by its sha256
    ab/ab12...ef.mime     its MIME type, only when the bytes do not say it (a hint was used)
    tmp/<pid>-<uuid>.part an in-flight write; a killed process leaves these behind
    tmp/.lock             held shared by every open Spool; exclusive means "nobody else is here"
    conversions/<sha>/<recipe>   the sha256 a conversion of <sha> produced (syncer.spool.imaging)

Bounded by :meth:`Spool.prune`: the run passes the sha256 of every blob an open op still needs,
and the rest goes (see :mod:`syncer.spool.prune`). A spool belongs to one job (its lease keeps
one run at a time), so no other process's blobs are missing from that keep set.

Crash safety: a write lands under its final name only complete (rename of a flushed file), so a
blob is never half there. Temp files of a killed process are removed by the next
:meth:`Spool.start` that finds no other process using the spool (the exclusive lock); one that
does find one leaves them for later rather than delete a live write. Linux/POSIX only (``flock``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Collection
from pathlib import Path
from types import TracebackType
from typing import Final

import aiofiles
import anyio

from syncer.records import Blob
from syncer.spool.errors import (
    BlobMissingError,
    BlobTooLargeError,
    ChecksumMismatchError,
    human_bytes,
)
from syncer.spool.prune import PruneReport, directory_usage, discard_blob, prune_directory
from syncer.spool.sniff import HEAD_BYTES, OCTET_STREAM, sniff_mime

#: Bytes per chunk when reading a blob back.
CHUNK_SIZE: Final = 1 << 20
#: A blob written less than this long before a prune is spared by it (see :meth:`Spool.prune`).
FRESH_SECONDS: Final = 60.0
#: Suffix of in-flight writes (what crash cleanup removes).
TMP_SUFFIX: Final = ".part"

_SHA256 = re.compile(r"[0-9a-f]{64}")
_RECIPE = re.compile(r"[A-Za-z0-9._-]+")


class Spool:
    """A content-addressed store of image bytes on local disk, shared by all targets of a run.

    Use it as an async context manager (``async with Spool(path) as spool``): entering takes
    the shared lock and cleans temp files left by a killed process. ``max_bytes`` is the ceiling
    for any one blob (protects the disk from a hostile source); each :meth:`write` may pass a
    smaller limit (a target's). ``durable`` fsyncs each blob before it gets its name, so a
    power cut never leaves a named but empty blob.
    """

    def __init__(
        self,
        directory: Path,
        max_bytes: int | None = None,
        *,
        chunk_size: int = CHUNK_SIZE,
        durable: bool = True,
    ) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.chunk_size = chunk_size
        self.durable = durable
        self._lock_fd: int | None = None

    @property
    def tmp_dir(self) -> Path:
        """Where in-flight writes live (same file system as the blobs, for atomic renames)."""
        return self.directory / "tmp"

    @property
    def conversions_dir(self) -> Path:
        """The index of conversion results (``conversions/<source sha>/<recipe>``)."""
        return self.directory / "conversions"

    async def __aenter__(self) -> Spool:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def start(self) -> None:
        """Create the directories, clean a killed process's temp files, take the shared lock."""
        if self._lock_fd is None:
            with anyio.CancelScope(shield=True):
                self._lock_fd = await anyio.to_thread.run_sync(self._start)

    async def aclose(self) -> None:
        """Release the shared lock. Blobs stay: the spool outlives a run."""
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            os.close(fd)

    def path_for(self, sha256: str) -> Path:
        """Where the blob with this sha256 lives (whether or not it is there)."""
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a lowercase hex sha256: {sha256!r}")
        return self.directory / sha256[:2] / sha256

    async def write(
        self,
        chunks: AsyncIterator[bytes],
        *,
        expected_sha256: str | None = None,
        max_bytes: int | None = None,
        mime_hint: str | None = None,
        item: str | None = None,
    ) -> Blob:
        """Stream ``chunks`` into the spool and return the stored blob.

        The MIME type comes from the bytes; ``mime_hint`` only names what the sniffer does not
        know (the bytes are the truth). Raises :class:`BlobTooLargeError` as soon as the stream
        passes the limit (the smaller of the spool's and ``max_bytes``) and
        :class:`ChecksumMismatchError` when ``expected_sha256`` does not match; ``item`` names
        the item in those messages. On any failure or cancellation no temp file is left.
        """
        if self._lock_fd is None:
            raise RuntimeError("Spool.write needs a started spool: use `async with Spool(...)`")
        limit = _smallest(self.max_bytes, max_bytes)
        tmp = self.tmp_dir / f"{os.getpid()}-{uuid.uuid4().hex}{TMP_SUFFIX}"
        try:
            sha256, size, head = await self._stream_to(tmp, chunks, limit, item)
            if expected_sha256 is not None and expected_sha256.lower() != sha256:
                raise ChecksumMismatchError(expected=expected_sha256, actual=sha256, item=item)
            sniffed = sniff_mime(head)
            mime = sniffed or mime_hint or OCTET_STREAM
            sidecar = None if sniffed else mime_hint
            path = await anyio.to_thread.run_sync(self._publish, tmp, sha256, size, sidecar)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_unlink_quietly, tmp)
            raise
        return Blob(path=path, sha256=sha256, size=size, mime=mime)

    async def _stream_to(
        self, tmp: Path, chunks: AsyncIterator[bytes], limit: int | None, item: str | None
    ) -> tuple[str, int, bytes]:
        """Copy ``chunks`` into ``tmp``: its sha256, size and first bytes."""
        digest, size, head = hashlib.sha256(), 0, b""
        with anyio.CancelScope(shield=True):  # an abandoned open would leak its handle
            file = await aiofiles.open(tmp, "xb")
        try:
            async for chunk in chunks:
                size += len(chunk)
                if limit is not None and size > limit:
                    raise _too_large(limit, size, item)
                if len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                digest.update(chunk)
                await file.write(chunk)
        finally:
            with anyio.CancelScope(shield=True):
                await file.close()
        return digest.hexdigest(), size, head

    def _publish(self, tmp: Path, sha256: str, size: int, sidecar_mime: str | None) -> Path:
        """Give a complete temp file its content name (blocking: runs in a worker thread).

        An existing blob of the same size is kept and the temp file dropped; one of another
        size (damaged on disk) is replaced.
        """
        final = self.path_for(sha256)
        final.parent.mkdir(exist_ok=True)
        if sidecar_mime is not None:
            self._write_atomically(final.with_name(sha256 + ".mime"), sidecar_mime)
        if _size_or_none(final) == size:
            tmp.unlink()
            return final
        if self.durable:
            _fsync(tmp)
        os.replace(tmp, final)
        if self.durable:
            _fsync(final.parent)
        return final

    async def get(self, sha256: str) -> Blob | None:
        """The stored blob with this sha256, or None when the spool does not hold it."""
        path = self.path_for(sha256)
        return await anyio.to_thread.run_sync(self._describe, path)

    def _describe(self, path: Path) -> Blob | None:
        try:
            with path.open("rb") as file:
                head = file.read(HEAD_BYTES)
                size = os.fstat(file.fileno()).st_size
        except FileNotFoundError:
            return None
        mime = sniff_mime(head) or _read_text(path.with_name(path.name + ".mime")) or OCTET_STREAM
        return Blob(path=path, sha256=path.name, size=size, mime=mime)

    async def open(self, blob: Blob) -> AsyncGenerator[bytes]:
        """The blob's bytes in chunks of ``chunk_size``, read from disk as they are consumed.

        An async generator: a caller that may stop early should wrap it in
        ``contextlib.aclosing`` so the file closes at once. Raises :class:`BlobMissingError`
        when the file is gone.
        """
        try:
            with anyio.CancelScope(shield=True):
                file = await aiofiles.open(blob.path, "rb")
        except FileNotFoundError:
            raise BlobMissingError(
                f"blob {blob.sha256} is no longer in the spool ({blob.path}): download it again"
            ) from None
        try:
            while chunk := await file.read(self.chunk_size):
                yield chunk
        finally:
            with anyio.CancelScope(shield=True):
                await file.close()

    async def remove(self, sha256: str) -> bool:
        """Delete one blob (and its MIME note); True when it was there."""
        path = self.path_for(sha256)
        return await anyio.to_thread.run_sync(_remove_blob, path)

    async def discard(self, sha256: str) -> PruneReport:
        """Delete one blob with all the spool keeps about it: its MIME note and the conversions
        index entries of which it is the source (what :meth:`remove` leaves)."""
        self.path_for(sha256)  # validates
        return await anyio.to_thread.run_sync(discard_blob, self.directory, sha256)

    async def prune(self, keep: Collection[str], *, fresh_seconds: float = 0.0) -> PruneReport:
        """Remove every blob whose sha256 is not in ``keep``, with its MIME note and index
        entries, and every conversion result not recorded for a kept blob; what it removed.

        With ``fresh_seconds``, blobs written less than that long before the prune began are
        spared too (by their files' mtime: nothing is kept in memory per blob), so one written a
        moment ago by a run still going, for an op not journalled yet, is not taken: pass it when
        a run may be using the spool (``FRESH_SECONDS`` is a safe choice). Temp files of live
        writes are never looked at.
        """
        kept = frozenset(keep)
        fresh = time.time() - fresh_seconds

        def spared(sha256: str) -> bool:
            if sha256 in kept:
                return True
            return fresh_seconds > 0 and _modified_since(self.path_for(sha256), fresh)

        with anyio.CancelScope(shield=True):  # a prune stopped midway would report nothing
            report = await anyio.to_thread.run_sync(prune_directory, self.directory, spared)
        return report

    async def usage(self) -> int:
        """Bytes the spool holds on disk: blobs, notes, index and in-flight writes."""
        return await anyio.to_thread.run_sync(directory_usage, self.directory)

    async def derived(self, source_sha256: str, recipe: str) -> Blob | None:
        """The blob a transformation ``recipe`` of ``source_sha256`` produced earlier, or None.

        The index lives on disk, so it survives restarts; an entry whose result was removed
        reads as None (the work is done again).
        """
        entry = self._index_entry(source_sha256, recipe)
        result = await anyio.to_thread.run_sync(_read_sha, entry)
        return None if result is None else await self.get(result)

    async def remember(self, source_sha256: str, recipe: str, result_sha256: str) -> None:
        """Record that ``recipe`` applied to ``source_sha256`` gives ``result_sha256``."""
        self.path_for(result_sha256)  # validates
        entry = self._index_entry(source_sha256, recipe)
        await anyio.to_thread.run_sync(self._write_atomically, entry, result_sha256)

    def _index_entry(self, source_sha256: str, recipe: str) -> Path:
        self.path_for(source_sha256)  # validates
        if not _RECIPE.fullmatch(recipe):
            raise ValueError(f"a recipe is letters, digits, '.', '_' and '-': {recipe!r}")
        return self.conversions_dir / source_sha256 / recipe

    def _write_atomically(self, path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.tmp_dir / f"{os.getpid()}-{uuid.uuid4().hex}{TMP_SUFFIX}"
        try:
            tmp.write_text(text, encoding="ascii")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def _start(self) -> int:
        """Make the layout, take the lock (blocking: runs in a worker thread); the lock's fd."""
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self.conversions_dir.mkdir(exist_ok=True)
        fd = os.open(self.tmp_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if _try_exclusive(fd):
                self._clean_tmp()
            fcntl.flock(fd, fcntl.LOCK_SH)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _clean_tmp(self) -> None:
        for path in self.tmp_dir.glob(f"*{TMP_SUFFIX}"):
            path.unlink(missing_ok=True)


def _modified_since(path: Path, moment: float) -> bool:
    try:
        return path.stat().st_mtime >= moment
    except FileNotFoundError:
        return False


def _smallest(*limits: int | None) -> int | None:
    given = [limit for limit in limits if limit is not None]
    return min(given) if given else None


def _too_large(limit: int, size: int, item: str | None) -> BlobTooLargeError:
    return BlobTooLargeError(
        f"the file is over the {human_bytes(limit)} limit ({limit} bytes): stopped after "
        f"{size} bytes; skip the item, choose the shrink policy or raise the limit",
        operation="spool",
        limit=limit,
        item=item,
    )


def _try_exclusive(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _size_or_none(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip() or None
    except FileNotFoundError:
        return None


def _read_sha(path: Path) -> str | None:
    text = _read_text(path)
    return text if text is not None and _SHA256.fullmatch(text) else None


def _remove_blob(path: Path) -> bool:
    path.with_name(path.name + ".mime").unlink(missing_ok=True)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
