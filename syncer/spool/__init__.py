"""The spool and image conversion: each image downloaded once per run, read by every target.

:class:`Spool` stores image bytes by sha256 (streamed with aiofiles, never held whole);
:func:`convert` and :func:`shrink` re-encode a blob with Pillow off the event loop for targets
that refuse its type or size, cached in the spool. See :mod:`syncer.spool.store` for the
on-disk layout and crash safety, :mod:`syncer.spool.imaging` for what a conversion keeps.
"""

from syncer.spool.errors import (
    BlobMissingError,
    BlobRejectedError,
    BlobTooLargeError,
    ChecksumMismatchError,
    human_bytes,
)
from syncer.spool.imaging import (
    ENCODERS,
    TooManyPixelsError,
    UndecodableImageError,
    UnsupportedConversionError,
    convert,
    shrink,
)
from syncer.spool.sniff import OCTET_STREAM, sniff_mime
from syncer.spool.store import CHUNK_SIZE, Spool

__all__ = [
    "CHUNK_SIZE",
    "ENCODERS",
    "OCTET_STREAM",
    "BlobMissingError",
    "BlobRejectedError",
    "BlobTooLargeError",
    "ChecksumMismatchError",
    "Spool",
    "TooManyPixelsError",
    "UndecodableImageError",
    "UnsupportedConversionError",
    "convert",
    "human_bytes",
    "shrink",
    "sniff_mime",
]
