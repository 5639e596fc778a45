"""The client registry: each vendor is one package under ``syncer.vendors``, and one line here.

A package ``syncer.vendors.<v>`` holds ``client.py`` (the Source and Target client) and
``settings.py`` (its one Settings dataclass, which is also what a job file's ``[source]`` or
``[[targets]]`` table of that vendor accepts: :mod:`syncer.vendors.fields`). Adding a vendor means
adding its package and one line to :data:`VENDORS` (and its emulator to
:data:`syncer.emulators.EMULATORS`); see ``docs/adding-a-vendor.md``.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

from syncer.registry import UnknownVendorError, resolve

__all__ = ["VENDORS", "UnknownVendorError", "Vendor", "client_class", "settings_class"]


class Vendor(NamedTuple):
    """Where a vendor's client and Settings live: ``<package>.client:<client>`` and
    ``<package>.settings:<settings>``."""

    package: str
    client: str
    settings: str


#: vendor name -> its package, client class and Settings class
VENDORS: dict[str, Vendor] = {
    "beproduct": Vendor("syncer.vendors.beproduct", "BeProductClient", "BeProductSettings"),
    "moov": Vendor("syncer.vendors.moov", "MoovClient", "MoovSettings"),
    "partium": Vendor("syncer.vendors.partium", "PartiumClient", "PartiumSettings"),
    "spiffy": Vendor("syncer.vendors.spiffy", "SpiffyClient", "SpiffySettings"),
}


def client_class(name: str) -> Any:
    """The client class (Source and Target) of a vendor, by its registry name."""
    table = {vendor: f"{v.package}.client:{v.client}" for vendor, v in VENDORS.items()}
    return resolve(table, name)


def settings_class(name: str) -> type[Any]:
    """The Settings dataclass of a vendor (imports its ``settings`` module, not its client)."""
    vendor = VENDORS[name]
    cls: type[Any] = getattr(importlib.import_module(f"{vendor.package}.settings"), vendor.settings)
    return cls
