"""Where a Spiffy listing stands: owner kinds, owners by ``since_id``, each owner's images by page.

Spiffy scopes images per owner, so a listing walks the owner kinds in order (by default
products, standard collections, super collections), the owners of each kind, and the images of
each owner. :class:`Listing` is that walk as a pure state machine (no I/O); the client feeds it
what each request returned. Its JSON form is the composite cursor stored with every page::

    {"format": "spiffy/owners-images", "version": 1,
     "kind": "products",                       # null once the listing is finished
     "owners": {SinceIdPaginator state},       # owners of that kind, by id
     "pending": [100004, 100005],              # owners listed but not started yet
     "owner": 100003,                          # the owner whose images are being listed
     "images": {PageNumberPaginator state}}    # its image pages (1-based)

Owners are paged with ``since_id`` over ids (a true keyset: owners are listed in id order and
new ones get higher ids), not with page numbers, which shift when an owner is added or removed
mid-run. An owner's images are paged by ``page``: Spiffy lists them by position and ``since_id``
only filters them. An image inserted mid-listing shifts the pages by one: the repeat is dropped
(by the previous page's keys, which the cursor keeps). A deletion from a page already read moves
the next image into it, unseen: for an owner whose first page was full, the reader asks
``count.json`` after that page and again at the owner's end, and a count that dropped marks the
listing :attr:`Listing.shifted` (so the engine deletes nothing by its absence this time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from syncer.errors import ConfigError
from syncer.paging import PageNumberPaginator, SinceIdPaginator
from syncer.records import Cursor

CURSOR_FORMAT = "spiffy/owners-images"
CURSOR_VERSION = 1


@dataclass
class Listing:
    """The position of one listing; ``kind`` is None once everything was listed."""

    kinds: tuple[str, ...]
    limit: int
    kind: str | None
    owners: SinceIdPaginator
    pending: list[int] = field(default_factory=list)
    owner: int | None = None
    images: PageNumberPaginator | None = None
    #: An owner's image count dropped while its pages were read (this run only, not saved).
    shifted: bool = False

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def start(cls, kinds: Sequence[str], limit: int) -> Listing:
        """A listing from the very beginning."""
        listing = cls(tuple(kinds), limit, kinds[0], SinceIdPaginator(limit=limit))
        listing.settle()
        return listing

    @classmethod
    def resume(cls, cursor: Cursor, kinds: Sequence[str], limit: int) -> Listing:
        """The listing a stored cursor describes; a foreign or broken one is a ConfigError."""
        if cursor.get("format") != CURSOR_FORMAT or cursor.get("version") != CURSOR_VERSION:
            raise ConfigError(
                f"not a Spiffy listing cursor (format {cursor.get('format')!r}, "
                f"version {cursor.get('version')!r}); run again with --restart-listing to list "
                "from the start"
            )
        try:
            listing = cls._parse(cursor, tuple(kinds), limit)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"a broken Spiffy listing cursor ({exc!r}): {cursor!r:.200}; run again with "
                "--restart-listing to list from the start"
            ) from None
        listing.settle()
        return listing

    @classmethod
    def _parse(cls, cursor: Cursor, kinds: tuple[str, ...], limit: int) -> Listing:
        kind = cursor["kind"]
        if kind is not None and kind not in kinds:
            raise ConfigError(
                f"the saved Spiffy cursor is listing {kind!r}, which spiffy.owner_kinds "
                f"({', '.join(kinds)}) no longer includes; run again with --restart-listing to "
                "list from the start"
            )
        owner = cursor["owner"]
        images = cursor["images"]
        if owner is not None and (not _is_id(owner) or not isinstance(images, dict)):
            raise ValueError("an owner without its image paging")
        pending = cursor["pending"]
        if not isinstance(pending, list) or not all(_is_id(item) for item in pending):
            raise ValueError("pending owners must be integer ids")
        return cls(
            kinds,
            limit,
            kind,
            SinceIdPaginator.from_json(cursor["owners"]),
            list(pending),
            owner,
            PageNumberPaginator.from_json(images) if owner is not None else None,
        )

    def to_cursor(self) -> Cursor:
        """The JSON checkpoint that resumes right after what was listed so far."""
        return {
            "format": CURSOR_FORMAT,
            "version": CURSOR_VERSION,
            "kind": self.kind,
            "owners": self.owners.to_json(),
            "pending": list(self.pending),
            "owner": self.owner,
            "images": self.images.to_json() if self.images is not None else None,
        }

    # -- the walk ------------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.kind is None

    @property
    def needs_owners(self) -> bool:
        """The next request lists owners (else, if not finished, it lists images)."""
        return not self.finished and self.owner is None

    def owners_listed(self, ids: Sequence[int]) -> None:
        """One page of owner ids came back (RepeatedCursor if ``since_id`` did not move)."""
        self.owners.advance(ids)
        self.pending = list(ids)
        self.settle()

    def images_listed(self, keys: Sequence[str], count: int | None = None) -> set[str]:
        """One page of the current owner's images came back, with the owner's image ``count``
        when it was asked (see :meth:`wants_count`); returns the keys to drop, those of the
        previous page again (an insertion shifted the pages)."""
        if self.images is None:
            raise RuntimeError("no owner's images are being listed")
        repeated = set(self.images.last_page) & set(keys)
        self.images.advance(keys, count)
        self.shifted |= self.images.shifted
        self.settle()
        return repeated

    def wants_count(self, page_size: int) -> bool:
        """Whether the owner's image count must be asked before this page (of ``page_size``
        images) is recorded: after a full first page (the owner has more pages), and on the
        page that ends an owner whose count was asked (a drop means a deletion shifted it)."""
        images = self.images
        if images is None:
            return False
        if images.total is None:
            return images.page == 1 and page_size >= images.size
        return page_size < images.size or images.seen_items + page_size >= images.total

    def owner_gone(self) -> None:
        """The current owner disappeared mid-run (404): its images are gone with it."""
        if self.images is not None:
            self.images.done = True
        self.settle()

    def settle(self) -> None:
        """Move past finished owners and kinds until the next request is known, or the end."""
        while self.kind is not None:
            if self.owner is not None:
                if self.images is not None and not self.images.done:
                    return
                self.owner, self.images = None, None
            if self.pending:
                self.owner = self.pending.pop(0)
                self.images = PageNumberPaginator(size=self.limit, page=1)
                return
            if not self.owners.done:
                return
            self._next_kind()

    def _next_kind(self) -> None:
        assert self.kind is not None
        index = self.kinds.index(self.kind) + 1
        self.kind = self.kinds[index] if index < len(self.kinds) else None
        self.owners = SinceIdPaginator(limit=self.limit)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
