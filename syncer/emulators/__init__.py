"""The emulator registry: each vendor's emulator is one package under ``syncer.emulators``.

Emulators never import :mod:`syncer.vendors`; adding one means adding its package and one line
to :data:`EMULATORS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from syncer.registry import UnknownVendorError, resolve

if TYPE_CHECKING:
    from syncer.emulators.base import VendorEmulator

__all__ = ["EMULATORS", "UnknownVendorError", "emulator_class"]

#: vendor name -> "module:EmulatorClass"
EMULATORS: dict[str, str] = {
    "beproduct": "syncer.emulators.beproduct.emulator:BeProductEmulator",
    "moov": "syncer.emulators.moov.emulator:MoovEmulator",
    "partium": "syncer.emulators.partium.emulator:PartiumEmulator",
    "spiffy": "syncer.emulators.spiffy.emulator:SpiffyEmulator",
}


def emulator_class(name: str) -> type[VendorEmulator]:
    """The emulator class of a vendor, by its registry name."""
    cls: type[VendorEmulator] = resolve(EMULATORS, name)
    return cls
