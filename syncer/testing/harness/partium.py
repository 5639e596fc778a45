"""Partium in the conformance kit: the client against the in-process emulator.

The target owner is a part type the harness adds through the emulator's admin side (Partium has
no part-type route in our sources). Partium stores no alt text (an image is ``image_id``,
``part_id``, ``info`` and bytes), so the kit's metadata edit changes roles and position instead.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from syncer.emulators.base import VendorEmulator
from syncer.emulators.partium.emulator import PartiumEmulator
from syncer.emulators.partium.errors import API_KEY
from syncer.records import ImageRecord
from syncer.testing.conformance import VendorHarness
from syncer.vendors.partium.client import PartiumClient
from syncer.vendors.partium.mapping import info_for, same_info
from syncer.vendors.partium.settings import AUTH_SETTING, PartiumSettings

#: The part type the kit writes its images under.
KIT_PART = "kit-part"


class PartiumHarness(VendorHarness):
    """How the kit drives Partium."""

    vendor: ClassVar[str] = "partium"
    emulator_class: ClassVar[type[VendorEmulator]] = PartiumEmulator
    client_class: ClassVar[type[PartiumClient]] = PartiumClient
    auth_setting: ClassVar[str] = AUTH_SETTING
    formats: ClassVar[tuple[str, ...]] = ("png", "jpeg")
    #: Quick maintenance polling for tests (the default is 10 s).
    maintenance_poll: ClassVar[float] = 0.2

    def settings(
        self, url: str, *, wrong_credentials: bool = False, page_size: int | None = None
    ) -> PartiumSettings:
        return PartiumSettings(
            api_key="not-the-key" if wrong_credentials else API_KEY,
            base_url=url,
            page_size=page_size or 100,
            maintenance_poll=self.maintenance_poll,
            maintenance_wait=30.0,
        )

    def target_owner(self, emulator: VendorEmulator) -> str:
        """A part type made through the admin hook (once per emulator)."""
        if KIT_PART not in emulator.store.owners:
            emulator.admin_add_owner({"id": KIT_PART, "name": "Conformance kit part"})
        return KIT_PART

    def edit(self, record: ImageRecord, note: str) -> ImageRecord:
        """Partium keeps no alt text: a metadata edit makes the image searchable at position 2."""
        return replace(record, roles=record.roles | {"searchable"}, position=2)

    def stored_matches(self, view: dict[str, Any], record: ImageRecord) -> bool:
        """The stored ``info`` tokens are the record's roles and position."""
        return same_info(
            str(view["fields"].get("info", "")), info_for(record.roles, record.position)
        )
