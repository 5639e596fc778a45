"""How the conformance kit drives Spiffy: the client against the in-process emulator."""

from __future__ import annotations

from typing import Any, ClassVar

import aiohttp

from syncer.emulators.base import VendorEmulator
from syncer.emulators.spiffy.auth import API_KEY, API_PASSWORD
from syncer.emulators.spiffy.emulator import SpiffyEmulator
from syncer.http import Lane, RetryPolicy
from syncer.testing.conformance import FAST_RETRY, VendorHarness
from syncer.vendors.spiffy.client import SpiffyClient
from syncer.vendors.spiffy.mapping import PRODUCTS, owner_ref
from syncer.vendors.spiffy.settings import BASIC_SETTING, SpiffySettings


class SpiffyHarness(VendorHarness):
    """Spiffy for the kit: Basic credentials ``demo``/``demo``; target images go under a fresh
    product made through the emulator's admin side."""

    vendor: ClassVar[str] = "spiffy"
    emulator_class: ClassVar[type[VendorEmulator]] = SpiffyEmulator
    auth_setting: ClassVar[str] = BASIC_SETTING
    formats: ClassVar[tuple[str, ...]] = ("png", "jpeg", "gif")

    def client(
        self,
        url: str,
        session: aiohttp.ClientSession,
        *,
        wrong_credentials: bool = False,
        page_size: int | None = None,
        lane: Lane | None = None,
        retry: RetryPolicy = FAST_RETRY,
    ) -> SpiffyClient:
        settings = SpiffySettings(
            base_url=url,
            api_key=API_KEY,
            password="not-the-password" if wrong_credentials else API_PASSWORD,
            page_limit=page_size or 50,
        )
        return SpiffyClient(settings, session, lane=lane, retry=retry)

    def target_owner(self, emulator: VendorEmulator) -> str:
        if not isinstance(emulator, SpiffyEmulator):
            raise TypeError(f"a Spiffy emulator is needed, got {type(emulator).__name__}")
        owner = emulator.admin_add_owner({"kind": PRODUCTS})
        return owner_ref(PRODUCTS, owner.id)

    def stored_alt(self, view: dict[str, Any]) -> str | None:
        vendor = view.get("vendor") or {}
        alt = vendor.get("alt")
        return alt if isinstance(alt, str) else None
