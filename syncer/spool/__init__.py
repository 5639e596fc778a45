"""The spool and image conversion: each image downloaded once per run, read by every target.

:class:`Spool` stores image bytes by sha256 (streamed with aiofiles, never held whole);
:func:`convert` and :func:`shrink` re-encode a blob with Pillow off the event loop for targets
that refuse its type or size, cached in the spool. See :mod:`syncer.spool.store` for the
on-disk layout and crash safety, :mod:`syncer.spool.imaging` for what a conversion keeps.

The conversion names are imported on first use (module ``__getattr__``): Pillow costs more
at start-up than the whole spool, and a run needs it only when a target refuses a file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from syncer.spool.errors import (
    BlobMissingError,
    BlobRejectedError,
    BlobTooLargeError,
    ChecksumMismatchError,
    human_bytes,
)
from syncer.spool.prune import PruneReport
from syncer.spool.sniff import OCTET_STREAM, sniff_mime
from syncer.spool.store import CHUNK_SIZE, Spool

if TYPE_CHECKING:
    from syncer.spool.imaging import (
        ENCODERS,
        TooManyPixelsError,
        UndecodableImageError,
        UnsupportedConversionError,
        convert,
        shrink,
    )

#: The names of :mod:`syncer.spool.imaging`, which is imported when one is first asked for.
_IMAGING = frozenset(
    {
        "ENCODERS",
        "TooManyPixelsError",
        "UndecodableImageError",
        "UnsupportedConversionError",
        "convert",
        "shrink",
    }
)


def __getattr__(name: str) -> Any:
    if name in _IMAGING:
        from syncer.spool import imaging

        return getattr(imaging, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CHUNK_SIZE",
    "ENCODERS",
    "OCTET_STREAM",
    "BlobMissingError",
    "BlobRejectedError",
    "BlobTooLargeError",
    "ChecksumMismatchError",
    "PruneReport",
    "Spool",
    "TooManyPixelsError",
    "UndecodableImageError",
    "UnsupportedConversionError",
    "convert",
    "human_bytes",
    "shrink",
    "sniff_mime",
]
