"""The canonical image record every vendor maps to and from, and the shapes that carry it.

A source lists :class:`ImageRecord` values in :class:`Page` objects, each with the JSON cursor
that resumes the listing after it. A target receives a record plus a :class:`Blob` (the bytes,
spooled to a file) and answers with a :class:`TargetItem`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

#: A JSON-serialisable checkpoint: what a source needs to resume listing.
Cursor = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """One image as syncer sees it, whatever the vendor.

    ``key`` is the stable id at the source; ``owner`` what it hangs off (part, product,
    collection, folder, account). ``version`` is the vendor's cheap change token (None where
    the vendor has none, as Partium). ``sha256``/``size``/``mime`` are known when the vendor says
    them or once the bytes were read. ``extra`` keeps vendor fields for mapping.
    """

    key: str
    owner: str
    filename: str
    mime: str | None = None
    size: int | None = None
    sha256: str | None = None
    alt: str | None = None
    position: int | None = None
    roles: frozenset[str] = frozenset()
    title: str | None = None
    version: str | None = None
    url: str | None = None
    deleted: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    def with_bytes(self, sha256: str | None, size: int | None, mime: str | None) -> ImageRecord:
        """This record with what its bytes are: ``dataclasses.replace`` without its cost (a
        no-change sync does this for every listed item): one positional constructor call,
        compiled from the fields at import (:func:`_compile_with_bytes`)."""
        return _with_bytes(self, sha256, size, mime)


#: The byte fields :meth:`ImageRecord.with_bytes` sets; every other field is carried over.
_BYTE_FIELDS = ("sha256", "size", "mime")


def _compile_with_bytes() -> Any:
    """``with_bytes`` as one positional constructor call over the fields in their order (the
    way ``dataclasses`` builds ``__init__``): as cheap as a hand-written call, yet a field
    added, moved or renamed in :class:`ImageRecord` is carried over without an edit here."""
    arguments = ", ".join(
        item.name if item.name in _BYTE_FIELDS else f"self.{item.name}"
        for item in fields(ImageRecord)
    )
    source = f"def with_bytes(self, sha256, size, mime):\n    return ImageRecord({arguments})\n"
    namespace: dict[str, Any] = {"ImageRecord": ImageRecord}
    exec(source, namespace)
    return namespace["with_bytes"]


_with_bytes: Callable[[ImageRecord, str | None, int | None, str | None], ImageRecord]
_with_bytes = _compile_with_bytes()


@dataclass(frozen=True, slots=True)
class Page:
    """One listed page: its records and the cursor that resumes after it.

    ``shifted``: the source changed under the listing in a way that may have skipped an item
    (a page-numbered listing whose total dropped), so its end proves no item gone.
    """

    records: list[ImageRecord]
    cursor: Cursor
    done: bool
    shifted: bool = False


@dataclass(frozen=True, slots=True)
class Blob:
    """Image bytes spooled to a file, named by content."""

    path: Path
    sha256: str
    size: int
    mime: str


@dataclass(frozen=True, slots=True)
class TargetItem:
    """What a target holds for a record after a write: its id there, and its change token."""

    id: str
    version: str | None = None
    sha256: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: False when ``find`` found the item without the record's bytes (an upload that never
    #: finished, other bytes): the pusher completes it with ``replace`` before the op is done.
    complete: bool = True
    #: The item was there already (found by ``find``, or a duplicate the vendor answered with),
    #: not made by this write: its link's origin is ``adopted``.
    adopted: bool = False


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The outcome of one item of a batch: the item written, or the error that refused it."""

    key: str
    item: TargetItem | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None
