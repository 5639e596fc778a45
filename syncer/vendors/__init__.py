"""The vendor registry: each vendor is one package under ``syncer.vendors``.

Adding a vendor means adding its package and one line to :data:`VENDORS`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syncer.testing.emulator import VendorEmulator

#: vendor name -> "module:EmulatorClass"
VENDORS: dict[str, str] = {
    "beproduct": "syncer.vendors.beproduct.emulator:BeProductEmulator",
    "moov": "syncer.vendors.moov.emulator:MoovEmulator",
    "partium": "syncer.vendors.partium.emulator:PartiumEmulator",
    "spiffy": "syncer.vendors.spiffy.emulator:SpiffyEmulator",
}


class UnknownVendorError(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown vendor {name!r}; known vendors: {', '.join(sorted(VENDORS))}")


def emulator_class(name: str) -> type[VendorEmulator]:
    """The emulator class of a vendor, by its registry name."""
    try:
        target = VENDORS[name.lower()]
    except KeyError:
        raise UnknownVendorError(name) from None
    module, _, attr = target.partition(":")
    cls: type[VendorEmulator] = getattr(importlib.import_module(module), attr)
    return cls
