"""How the failure of one item is worded: which target, which source key, which file.

A conversion, a download or a vendor refusal of one item fails its op; the op's stored error
and the run's output must let a user find the item at the source without reading the spool.
:func:`item_failure` words any :class:`~syncer.errors.VendorError` as vendor errors are
(``vendor operation [item]: message (HTTP status)``), with the target and, as the item, the
source key and file name. Names may hold anything (control characters, quotes, terminal
escapes): they are shown as Python literals, bounded, and the whole text is one printable line.
"""

from __future__ import annotations

import re
from typing import Final

from syncer.display import NAME_CHARS, printable, shown
from syncer.errors import VendorError

__all__ = ["NAME_CHARS", "item_failure", "printable", "shown"]

_SHA256: Final = re.compile(r"[0-9a-f]{64}")


def item_failure(exc: VendorError, target: str | None, key: str, filename: str | None) -> str:
    """``exc`` worded for the item it failed: ``target`` (None: every target), ``key`` and
    ``filename`` at the source. What ``exc`` named as its item (a spool sha256, a vendor id)
    goes to the end of the message. ``exc`` itself is left as it is (a batch shares one)."""
    place = f" for target {shown(target)}" if target is not None else ""
    item = f"key {shown(key)}" + (f", file {shown(filename)}" if filename is not None else "")
    return printable(exc.worded(item, place=place, tail=_former_item(exc.item, key)))


def _former_item(item: str | None, key: str) -> str:
    if not item or item == key:
        return ""
    if _SHA256.fullmatch(item):
        return f" (spool blob {item})"
    return f" (item {shown(item)})"
