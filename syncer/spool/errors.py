"""The spool's errors: what a user sees when an item's bytes cannot be used.

Bytes refused for one item are :class:`~syncer.errors.ValidationError` subclasses (skippable:
the engine skips the item with the message and goes on; no retry would change them). A blob
missing from disk is a :class:`~syncer.errors.StateError` (the spool lost it: download again).
Proposal for the lead: move these into ``syncer/errors.py`` as an ``ItemDataError`` branch.
"""

from __future__ import annotations

from syncer import display
from syncer.errors import StateError, ValidationError


class BlobRejectedError(ValidationError):
    """The bytes of one item cannot be used as they are (too large, wrong checksum, undecodable).

    A :class:`~syncer.errors.ValidationError` so the engine skips the item with this message
    and goes on: nothing a retry would change. ``vendor`` is ``syncer`` (no vendor refused it).
    """

    def __init__(self, message: str, *, operation: str, item: str | None = None) -> None:
        super().__init__(message, vendor="syncer", operation=operation, item=item)


class BlobTooLargeError(BlobRejectedError):
    """A stream or image over a byte limit; ``limit`` is that limit in bytes."""

    def __init__(self, message: str, *, operation: str, limit: int, item: str | None = None):
        super().__init__(message, operation=operation, item=item)
        self.limit = limit


class ChecksumMismatchError(BlobRejectedError):
    """The bytes read do not hash to the sha256 the source declared (nothing is kept)."""

    def __init__(self, *, expected: str, actual: str, item: str | None = None) -> None:
        super().__init__(
            f"the bytes hash to {actual}, not the sha256 {expected} the source declared; "
            "the source changed or corrupted the file: list it again",
            operation="spool",
            item=item,
        )
        self.expected = expected
        self.actual = actual


class BlobMissingError(StateError):
    """A blob the caller expected in the spool is gone (pruned or removed): download it again."""


def human_bytes(count: int) -> str:
    """``16.0 MB``-style size for messages (``syncer.display.human_bytes``, in ``bytes``
    below a kilobyte)."""
    return display.human_bytes(count, "bytes")
