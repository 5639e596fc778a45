"""Moov's account image library over the shared :class:`CatalogStore`, free of HTTP.

Both the vendor routes and the admin hooks change images through here, so an admin edit is
exactly what the API would have done: replace keeps the ``imageID`` and ``publicID`` and moves
``updatedOn``; delete only disables (sets ``disabledOn``; the image stays listed, stays a
duplicate candidate and keeps its public link).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from syncer.emulators.base import VendorEmulator
from syncer.emulators.images import MIME
from syncer.emulators.moov.views import (
    ACCOUNT_KIND,
    ALT_TEXT,
    DISABLED_ON,
    PUBLIC_ID,
    new_public_id,
    stamp_after,
)
from syncer.emulators.store import CatalogStore, Owner, StoredImage

#: "Keep the current altText" (a replace without a ``metadata`` part).
UNSET: Any = object()


class MoovLibrary:
    """Image operations of one emulator: lookups, create, replace, metadata, disable."""

    def __init__(self, emulator: VendorEmulator) -> None:
        self.emulator = emulator
        self._by_public_id: dict[str, str] = {}

    @property
    def store(self) -> CatalogStore:
        return self.emulator.store

    # -- lookups -------------------------------------------------------------------------------

    def account(self, account_id: str) -> Owner | None:
        owner = self.store.owners.get(account_id)
        return owner if owner is not None and owner.kind == ACCOUNT_KIND else None

    def image(self, owner: Owner, image_id: str) -> StoredImage | None:
        image = self.store.image(image_id)
        return image if image is not None and image.owner == owner.id else None

    def images(self, owner: Owner) -> list[StoredImage]:
        """The account's images in creation order, disabled ones included."""
        return self.store.images_of(owner.id)

    def by_public_id(self, public_id: str) -> StoredImage | None:
        image = self._indexed(public_id)
        if image is None:
            self._reindex()
            image = self._indexed(public_id)
        return image

    def duplicate_of(self, owner: Owner, sha256: str) -> StoredImage | None:
        """The account's image (disabled or not) with exactly these bytes, if any."""
        return next((image for image in self.images(owner) if image.sha256 == sha256), None)

    def _indexed(self, public_id: str) -> StoredImage | None:
        image_id = self._by_public_id.get(public_id)
        image = self.store.image(image_id) if image_id is not None else None
        if image is None or image.fields.get(PUBLIC_ID) != public_id:
            return None
        return image

    def _reindex(self) -> None:
        self._by_public_id = {
            image.fields[PUBLIC_ID]: image.id for image in self.store.iter_images()
        }

    # -- changes -------------------------------------------------------------------------------

    def create(
        self, owner: Owner, data: bytes, fmt: str, filename: str, alt_text: str | None
    ) -> StoredImage:
        """A new image with fresh ``imageID``/``publicID``, stored."""
        public_id = new_public_id()
        while self.by_public_id(public_id) is not None:
            public_id = new_public_id()
        fields: dict[str, Any] = {PUBLIC_ID: public_id}
        if alt_text is not None:
            fields[ALT_TEXT] = alt_text
        image = self.emulator.new_image(
            id=str(uuid.uuid4()),
            owner=owner.id,
            filename=filename,
            data=data,
            mime=MIME[fmt],
            fields=fields,
        )
        self._by_public_id[public_id] = image.id
        return self.store.put_image(image)

    def replace_bytes(
        self,
        image: StoredImage,
        data: bytes,
        fmt: str,
        filename: str,
        alt_text: str | None = UNSET,
    ) -> StoredImage:
        """New bytes under the same ids; ``alt_text`` UNSET keeps the current altText."""
        fields = _with_alt_text(image.fields, alt_text)
        changed = replace(
            image,
            filename=filename,
            mime=MIME[fmt],
            size=len(data),
            sha256=self.store.put_blob(data),
            fields=fields,
            updated_at=stamp_after(image.updated_at),
        )
        return self.store.put_image(changed)

    def set_alt_text(self, image: StoredImage, alt_text: str | None) -> StoredImage:
        """A full replace of the metadata: None clears altText."""
        changed = replace(
            image,
            fields=_with_alt_text(image.fields, alt_text),
            updated_at=stamp_after(image.updated_at),
        )
        return self.store.put_image(changed)

    def disable(self, image: StoredImage) -> StoredImage:
        """Moov's delete: set ``disabledOn`` once; a second delete changes nothing."""
        if image.fields.get(DISABLED_ON):
            return image
        fields = {**image.fields, DISABLED_ON: stamp_after(image.updated_at)}
        return self.store.put_image(replace(image, fields=fields, deleted=True))


def _with_alt_text(fields: dict[str, Any], alt_text: str | None) -> dict[str, Any]:
    if alt_text is UNSET:
        return dict(fields)
    changed = {key: value for key, value in fields.items() if key != ALT_TEXT}
    if alt_text is not None:
        changed[ALT_TEXT] = alt_text
    return changed
