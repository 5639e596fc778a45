"""How the conformance kit drives BeProduct: the client against the emulator.

The emulator's ``static_token`` is turned off, so every request the kit makes goes through the
OAuth2 refresh-token flow a real tenant needs. Processing is polled every 20 ms (the vendor's
2-3 s would make the kit slow, not more faithful).
"""

from __future__ import annotations

from typing import Any, ClassVar

from syncer.emulators.base import VendorEmulator
from syncer.emulators.beproduct.emulator import BeProductEmulator
from syncer.emulators.beproduct.knobs import CLIENT_ID, CLIENT_SECRET, COMPANY_DOMAIN, REFRESH_TOKEN
from syncer.records import ImageRecord
from syncer.testing.conformance import VendorHarness
from syncer.vendors.beproduct.client import BeProductClient
from syncer.vendors.beproduct.mapping import ALT_FIELD, MATCH_FIELD, TITLE_FIELD, title_of
from syncer.vendors.beproduct.settings import DEFAULT_PAGE_SIZE, BeProductSettings

#: Processing-status poll interval for tests, in seconds.
TEST_POLL_INTERVAL = 0.02


class BeProductHarness(VendorHarness):
    vendor: ClassVar[str] = "beproduct"
    emulator_class: ClassVar[type[VendorEmulator]] = BeProductEmulator
    client_class: ClassVar[type[BeProductClient]] = BeProductClient
    #: The kit's wrong credentials are a wrong refresh token (``invalid_grant``).
    auth_setting: ClassVar[str] = "beproduct.refresh_token"

    def emulator(self) -> VendorEmulator:
        return BeProductEmulator(knobs={"static_token": ""})

    def settings(
        self, url: str, *, wrong_credentials: bool = False, page_size: int | None = None
    ) -> BeProductSettings:
        """Settings for the emulator at ``url`` with its fixed demo credentials."""
        return BeProductSettings(
            base_url=url,
            company_domain=COMPANY_DOMAIN,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            refresh_token="not-the-token" if wrong_credentials else REFRESH_TOKEN,
            page_size=page_size or DEFAULT_PAGE_SIZE,
            poll_interval=TEST_POLL_INTERVAL,
        )

    def target_owner(self, emulator: VendorEmulator) -> str:
        """A new image folder (made as a BeProduct user would, through the admin hook)."""
        return emulator.admin_add_owner({"name": "Conformance"}).id

    def stored_alt(self, view: dict[str, Any]) -> str | None:
        """The ``description`` field of the header (``""`` counts as no alt)."""
        return _field(view, ALT_FIELD) or None

    def stored_matches(self, view: dict[str, Any], record: ImageRecord) -> bool:
        """Alt text in ``description``, title in ``header_name``, source key in
        ``header_number``: everything the client writes."""
        return (
            self.stored_alt(view) == record.alt
            and _field(view, TITLE_FIELD) == title_of(record)
            and _field(view, MATCH_FIELD) == record.key
        )


def _field(view: dict[str, Any], field_id: str) -> str:
    """A header field's value in a catalog entry (``/_emulator/catalog``), "" when absent."""
    header = view.get("vendor") or {}
    fields = (header.get("headerData") or {}).get("fields") or []
    value = next((f.get("value") for f in fields if f.get("id") == field_id), None)
    return str(value) if value else ""
