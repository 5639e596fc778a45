"""Image headers kept in the shared catalog store, and the changes a BeProduct user can make.

One :class:`StoredImage` is one image header. Its ``fields`` hold the attribute ``values``, the
list of finished image ``versions`` (the last one is current) and who created and last modified
it. ``filename``/``mime``/``size``/``sha256`` mirror the current version; a header with no
finished upload yet has an empty ``sha256`` and size 0. Deletes are soft: ``deleted`` is set
and the header stays in the store as a tombstone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from syncer.emulators.base import iso
from syncer.emulators.beproduct.schema import FIELDS, HEADER_NUMBER
from syncer.emulators.store import CatalogStore, Owner, StoredImage

FOLDER_KIND = "folder"
#: Who changes headers through the public API (the demo credentials' user) ...
API_USER = {"id": "5e0a8d35-8582-4de6-84a1-22f330b12e00", "name": "Demo Integration"}
#: ... and who changes them in BeProduct's own UI (seeding and the admin API).
UI_USER = {"id": "22f330b1-2e00-4783-8a5e-0a8d358582de", "name": "Demo Designer"}

_NUMBER_KEY = "beproduct.next_header_number"
_MILLISECOND = timedelta(milliseconds=1)

Predicate = Callable[[StoredImage], bool]


def stamp_after(previous: str | None, now: datetime) -> str:
    """``now`` as a timestamp, nudged to be strictly later than ``previous``."""
    if previous:
        earlier = datetime.fromisoformat(previous)
        if now <= earlier:
            now = earlier + _MILLISECOND
    return iso(now)


def versions_of(image: StoredImage) -> list[dict[str, Any]]:
    versions: list[dict[str, Any]] = image.fields.setdefault("versions", [])
    return versions


def values_of(image: StoredImage) -> dict[str, str]:
    values: dict[str, str] = image.fields.setdefault("values", {})
    return values


def attach_version(image: StoredImage, version: dict[str, Any]) -> None:
    """Append ``version`` and mirror it as the image's current file (no stamp, not stored)."""
    versions_of(image).append(version)
    image.filename = version["filename"]
    image.mime = version["mime"]
    image.size = version["size"]
    image.sha256 = version["sha256"]


class HeaderCatalog:
    """Reads and changes image headers and folders in a :class:`CatalogStore`."""

    def __init__(self, store: CatalogStore) -> None:
        self.store = store

    # -- reading -------------------------------------------------------------------------------

    def folders(self) -> list[Owner]:
        return self.store.owners_of(FOLDER_KIND)

    def folder(self, folder_id: str) -> Owner | None:
        owner = self.store.owners.get(folder_id)
        return owner if owner is not None and owner.kind == FOLDER_KIND else None

    def live(self, header_id: str) -> StoredImage | None:
        """The header with this id unless it is unknown or deleted."""
        image = self.store.image(header_id)
        return image if image is not None and not image.deleted else None

    def select(
        self, folder_id: str | None, predicates: Iterable[Predicate], show_deleted: bool
    ) -> list[StoredImage]:
        """Headers in catalog order that pass every predicate (AND), tombstones on request."""
        tests = list(predicates)
        return [
            image
            for image in self.store.iter_images(owner=folder_id)
            if (show_deleted or not image.deleted) and all(test(image) for test in tests)
        ]

    # -- numbering -----------------------------------------------------------------------------

    def allocate_number(self) -> str:
        """The next automatic header number (``IMG-000042``), durable across restarts."""
        number = int(self.store.meta.get(_NUMBER_KEY, 0)) + 1
        self.store.set_meta(_NUMBER_KEY, number)
        return f"IMG-{number:06d}"

    def reserve_numbers(self, upto: int) -> None:
        """Make automatic numbering continue after ``upto`` (seeded headers use 1..upto)."""
        if int(self.store.meta.get(_NUMBER_KEY, 0)) < upto:
            self.store.set_meta(_NUMBER_KEY, upto)

    # -- changes -------------------------------------------------------------------------------

    def build(
        self,
        header_id: str,
        folder: Owner,
        values: dict[str, str],
        user: dict[str, str],
        when: datetime,
    ) -> StoredImage:
        """A new header (not yet stored); unset fields are empty, the number is allocated."""
        stored = {f.id: "" for f in FIELDS}
        stored.update(values)
        if not stored[HEADER_NUMBER]:
            stored[HEADER_NUMBER] = self.allocate_number()
        stamp = iso(when)
        fields = {
            "values": stored,
            "versions": [],
            "createdBy": dict(user),
            "modifiedBy": dict(user),
        }
        return StoredImage(
            id=header_id,
            owner=folder.id,
            filename="",
            mime="",
            size=0,
            sha256="",
            created_at=stamp,
            updated_at=stamp,
            fields=fields,
        )

    def create(
        self,
        header_id: str,
        folder: Owner,
        values: dict[str, str],
        user: dict[str, str],
        when: datetime,
    ) -> StoredImage:
        return self.store.put_image(self.build(header_id, folder, values, user, when))

    def update(
        self, image: StoredImage, values: dict[str, str], user: dict[str, str], when: datetime
    ) -> StoredImage:
        """Apply a partial update; every update call is a modification (``modifiedAt`` moves)."""
        values_of(image).update(values)
        return self._touch(image, user, when)

    def delete(self, image: StoredImage, user: dict[str, str], when: datetime) -> None:
        image.deleted = True
        self._touch(image, user, when)

    def add_version(
        self, image: StoredImage, version: dict[str, Any], user: dict[str, str], when: datetime
    ) -> StoredImage:
        """Make a processed upload the header's current image."""
        attach_version(image, version)
        return self._touch(image, user, when)

    def _touch(self, image: StoredImage, user: dict[str, str], when: datetime) -> StoredImage:
        image.updated_at = stamp_after(image.updated_at, when)
        image.fields["modifiedBy"] = dict(user)
        return self.store.put_image(image)
