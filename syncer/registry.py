"""Name -> class look-up shared by the client and the emulator registries.

Neutral ground: :mod:`syncer.vendors` and :mod:`syncer.emulators` both use it and never import
each other.
"""

from __future__ import annotations

import importlib
from typing import Any


class UnknownVendorError(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown vendor {name!r}; known vendors: {', '.join(sorted(known))}")


def resolve(table: dict[str, str], name: str) -> Any:
    """The object ``table`` names as ``"module:attr"`` under ``name`` (case-insensitive)."""
    try:
        target = table[name.lower()]
    except KeyError:
        raise UnknownVendorError(name, list(table)) from None
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
