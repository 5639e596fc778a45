"""Spiffy's catalog rules on top of the shared store: integer ids, owner refs, contiguous positions.

Owners are products, standard collections and super collections (``Owner.kind`` is the plural
used in the URL). Images keep Spiffy's metadata in ``StoredImage.fields``: ``position``, ``alt``,
``variation_ids``, ``digest`` and ``extension``. Id counters live in ``store.meta`` so that an
emulator restarted on the same data directory never reuses an id.
"""

from __future__ import annotations

from dataclasses import dataclass

from syncer.emulators.store import CatalogStore, Owner, StoredImage

PRODUCTS = "products"
STANDARD = "standard_collections"
SUPER = "super_collections"
OWNER_KINDS = (PRODUCTS, STANDARD, SUPER)
#: The JSON root of one owner of each kind.
SINGULAR = {PRODUCTS: "product", STANDARD: "standard_collection", SUPER: "super_collection"}

#: Where each id sequence starts; the ranges differ so a mixed-up id is never silently valid.
COUNTER_START = {"owner": 100_001, "variation": 500_001, "image": 1_000_001}


@dataclass(frozen=True, slots=True)
class Located:
    """An owner found from the URL, with its images in position order."""

    owner: Owner
    images: list[StoredImage]


def is_number(text: str) -> bool:
    """True for an ASCII-digit string (``isdigit`` alone would accept other scripts' digits)."""
    return text.isascii() and text.isdigit()


class SpiffyCatalog:
    """Owners and images of one Spiffy store, kept the way Spiffy keeps them."""

    def __init__(self, store: CatalogStore) -> None:
        self.store = store

    # -- ids -----------------------------------------------------------------------------------

    def allocate(self, counter: str) -> int:
        """The next id of a sequence, persisted before it is handed out."""
        key = f"next_{counter}_id"
        value = int(self.store.meta.get(key, COUNTER_START[counter]))
        self.store.set_meta(key, value + 1)
        return value

    # -- owners --------------------------------------------------------------------------------

    def owners(self, kind: str) -> list[Owner]:
        """The owners of one kind in id order."""
        return sorted(self.store.owners_of(kind), key=lambda owner: int(owner.id))

    def find_owner(self, kind: str, ref: str) -> Owner | None:
        """The owner a URL names by id or handle; an all-digit ref is tried as an id first."""
        if is_number(ref):
            owner = self.store.owners.get(str(int(ref)))
            if owner is not None and owner.kind == kind:
                return owner
        return self.by_handle(kind, ref)

    def by_handle(self, kind: str, handle: str) -> Owner | None:
        for owner in self.store.owners.values():
            if owner.kind == kind and owner.fields.get("handle") == handle:
                return owner
        return None

    def unique_handle(self, kind: str, wanted: str) -> str:
        """``wanted``, or ``wanted-2``, ``wanted-3``... when another owner of the kind has it."""
        handle, suffix = wanted, 1
        while self.by_handle(kind, handle) is not None:
            suffix += 1
            handle = f"{wanted}-{suffix}"
        return handle

    def locate(self, kind: str, ref: str) -> Located | None:
        owner = self.find_owner(kind, ref)
        return None if owner is None else Located(owner, self.images_of(owner.id))

    # -- images --------------------------------------------------------------------------------

    def images_of(self, owner_id: str) -> list[StoredImage]:
        """The owner's images by position."""
        images = self.store.images_of(owner_id)
        return sorted(images, key=lambda image: (image.fields["position"], image.seq))

    def insert(self, image: StoredImage, position: int | None) -> StoredImage:
        """Store a new image at ``position`` (default last + 1), shifting later siblings down."""
        siblings = self.images_of(image.owner)
        index = len(siblings) if position is None else min(max(position, 1), len(siblings) + 1) - 1
        siblings.insert(index, image)
        image.fields["position"] = index + 1
        self.store.put_image(image)
        self._renumber(siblings)
        return image

    def move(self, image: StoredImage, position: int) -> StoredImage:
        """Move ``image`` to ``position`` (clamped to 1..n), shifting the siblings in between."""
        siblings = [other for other in self.images_of(image.owner) if other.id != image.id]
        index = min(max(position, 1), len(siblings) + 1) - 1
        siblings.insert(index, image)
        self._renumber(siblings)
        return image

    def remove(self, image: StoredImage) -> None:
        """Delete ``image`` for good; the siblings after it move up one place."""
        self.store.remove_image(image.id)
        self._renumber(self.images_of(image.owner))

    def _renumber(self, ordered: list[StoredImage]) -> None:
        for number, image in enumerate(ordered, start=1):
            if image.fields.get("position") != number:
                image.fields["position"] = number
                self.store.put_image(image)
