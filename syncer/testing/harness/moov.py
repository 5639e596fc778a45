"""How the conformance kit drives Moov: the client against the Moov emulator.

The kit seeds several owners (Moov accounts) and expects a listing of all of them, while a Moov
client lists the accounts it is configured with. So the harness remembers the emulator it made
last and configures the client with every account that emulator holds, in creation order.
"""

from __future__ import annotations

from typing import Any, ClassVar

from syncer.emulators.base import VendorEmulator
from syncer.emulators.moov.auth import PASSWORD, USERNAME
from syncer.emulators.moov.emulator import MoovEmulator
from syncer.emulators.moov.views import ACCOUNT_KIND, ALT_TEXT
from syncer.testing.conformance import VendorHarness
from syncer.vendors.moov.client import MoovClient
from syncer.vendors.moov.settings import AUTH_SETTING, MoovSettings


class MoovHarness(VendorHarness):
    vendor: ClassVar[str] = "moov"
    emulator_class: ClassVar[type[VendorEmulator]] = MoovEmulator
    client_class: ClassVar[type[MoovClient]] = MoovClient
    auth_setting: ClassVar[str] = AUTH_SETTING
    formats: ClassVar[tuple[str, ...]] = ("png", "jpeg", "webp")

    def __init__(self) -> None:
        self._emulator: VendorEmulator | None = None

    def emulator(self) -> VendorEmulator:
        self._emulator = super().emulator()
        return self._emulator

    def accounts(self) -> list[str]:
        """The accounts of the emulator made last, oldest first (none before one exists)."""
        if self._emulator is None:
            return []
        return [owner.id for owner in self._emulator.store.owners_of(ACCOUNT_KIND)]

    def settings(
        self, url: str, *, wrong_credentials: bool = False, page_size: int | None = None
    ) -> MoovSettings:
        accounts = self.accounts()
        options: dict[str, Any] = {}
        if accounts:
            options.update(account_id=accounts[0], more_account_ids=tuple(accounts[1:]))
        if page_size is not None:
            options["page_size"] = page_size
        return MoovSettings(
            base_url=url,
            username=USERNAME,
            password=PASSWORD + "-wrong" if wrong_credentials else PASSWORD,
            **options,
        )

    def target_owner(self, emulator: VendorEmulator) -> str:
        accounts = emulator.store.owners_of(ACCOUNT_KIND)
        return accounts[0].id if accounts else emulator.admin_add_owner({}).id

    def stored_alt(self, view: dict[str, Any]) -> str | None:
        alt = view["fields"].get(ALT_TEXT)
        return None if alt is None else str(alt)
