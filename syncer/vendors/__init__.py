"""The client registry: each vendor is one package under ``syncer.vendors``.

Adding a vendor means adding its package and one line to :data:`VENDORS` (and its emulator to
:data:`syncer.emulators.EMULATORS`).
"""

from __future__ import annotations

from typing import Any

from syncer.registry import UnknownVendorError, resolve

__all__ = ["VENDORS", "UnknownVendorError", "client_class"]

#: vendor name -> "module:ClientClass" (both Source and Target)
VENDORS: dict[str, str] = {
    "beproduct": "syncer.vendors.beproduct.client:BeProductClient",
    "moov": "syncer.vendors.moov.client:MoovClient",
    "partium": "syncer.vendors.partium.client:PartiumClient",
    "spiffy": "syncer.vendors.spiffy.client:SpiffyClient",
}


def client_class(name: str) -> Any:
    """The client class (Source and Target) of a vendor, by its registry name."""
    return resolve(VENDORS, name)
