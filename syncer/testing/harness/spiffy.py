"""How the conformance kit drives Spiffy: the client against the in-process emulator."""

from __future__ import annotations

from typing import Any, ClassVar

from syncer.emulators.base import VendorEmulator
from syncer.emulators.spiffy.auth import API_KEY, API_PASSWORD
from syncer.emulators.spiffy.emulator import SpiffyEmulator
from syncer.testing.conformance import VendorHarness
from syncer.vendors.spiffy.client import SpiffyClient
from syncer.vendors.spiffy.mapping import PRODUCTS, owner_ref
from syncer.vendors.spiffy.settings import BASIC_SETTING, SpiffySettings


class SpiffyHarness(VendorHarness):
    """Spiffy for the kit: Basic credentials ``demo``/``demo``; target images go under a fresh
    product made through the emulator's admin side."""

    vendor: ClassVar[str] = "spiffy"
    emulator_class: ClassVar[type[VendorEmulator]] = SpiffyEmulator
    client_class: ClassVar[type[SpiffyClient]] = SpiffyClient
    auth_setting: ClassVar[str] = BASIC_SETTING
    formats: ClassVar[tuple[str, ...]] = ("png", "jpeg", "gif")

    def settings(
        self, url: str, *, wrong_credentials: bool = False, page_size: int | None = None
    ) -> SpiffySettings:
        return SpiffySettings(
            base_url=url,
            api_key=API_KEY,
            password="not-the-password" if wrong_credentials else API_PASSWORD,
            page_limit=page_size or 50,
        )

    def target_owner(self, emulator: VendorEmulator) -> str:
        if not isinstance(emulator, SpiffyEmulator):
            raise TypeError(f"a Spiffy emulator is needed, got {type(emulator).__name__}")
        owner = emulator.admin_add_owner({"kind": PRODUCTS})
        return owner_ref(PRODUCTS, owner.id)

    def stored_alt(self, view: dict[str, Any]) -> str | None:
        vendor = view.get("vendor") or {}
        alt = vendor.get("alt")
        return alt if isinstance(alt, str) else None
