"""The vendor registry: each vendor is one package under ``syncer.vendors``.

Adding a vendor means adding its package and one line to :data:`VENDORS`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncer.testing.emulator import VendorEmulator

#: vendor name -> "module:EmulatorClass"
VENDORS: dict[str, str] = {
    "beproduct": "syncer.vendors.beproduct.emulator:BeProductEmulator",
    "moov": "syncer.vendors.moov.emulator:MoovEmulator",
    "partium": "syncer.vendors.partium.emulator:PartiumEmulator",
    "spiffy": "syncer.vendors.spiffy.emulator:SpiffyEmulator",
}


#: vendor name -> "module:ClientClass" (both Source and Target)
CLIENTS: dict[str, str] = {
    "beproduct": "syncer.vendors.beproduct.client:BeProductClient",
    "moov": "syncer.vendors.moov.client:MoovClient",
    "partium": "syncer.vendors.partium.client:PartiumClient",
    "spiffy": "syncer.vendors.spiffy.client:SpiffyClient",
}


class UnknownVendorError(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown vendor {name!r}; known vendors: {', '.join(sorted(VENDORS))}")


def _resolve(table: dict[str, str], name: str) -> Any:
    try:
        target = table[name.lower()]
    except KeyError:
        raise UnknownVendorError(name) from None
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def emulator_class(name: str) -> type[VendorEmulator]:
    """The emulator class of a vendor, by its registry name."""
    cls: type[VendorEmulator] = _resolve(VENDORS, name)
    return cls


def client_class(name: str) -> Any:
    """The client class (Source and Target) of a vendor, by its registry name."""
    return _resolve(CLIENTS, name)
