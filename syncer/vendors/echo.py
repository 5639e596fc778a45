"""What a target's own listing shows back of the metadata syncer pushed there: for ``syncer
check``, which lists each target as a source would and compares every linked item with the
metadata its link says was pushed (:func:`syncer.engine.plan.metadata_of` of the record).

A vendor keeps only some of those fields, and some in its own form, so each vendor package may
have an ``echo`` module (``syncer/vendors/<vendor>/echo.py``, found by that name) with:

- ``expected(key, pushed) -> dict``: the compared fields, in the form the vendor stores what
  syncer pushed (``key``: the source key; ``pushed``: the link's pushed metadata);
- ``shown(record) -> dict``: the same fields as a listed record of the vendor holds them;
- optionally ``listing_settings(settings, owners) -> settings``: the vendor's settings for a
  check's listing, so that it covers the owners the links point to (``owners``).

A field a vendor does not keep is never compared, so it can never look changed; a vendor without
an ``echo`` module has its bytes compared, not its metadata. The listed record's ``key`` must be
the target id a link keeps (``TargetItem.id``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any

from syncer.records import ImageRecord
from syncer.vendors import VENDORS

Values = dict[str, Any]


def echo_of(vendor: str) -> ModuleType | None:
    """The ``echo`` module of ``vendor``'s package, or None when it has none."""
    name = f"{VENDORS[vendor].package}.echo"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


def pushed_record(key: str, pushed: Mapping[str, Any]) -> ImageRecord:
    """The record a link's pushed metadata describes (enough of it for a vendor's mapping)."""
    roles = pushed.get("roles") or ()
    return ImageRecord(
        key=key,
        owner=str(pushed.get("owner") or ""),
        filename=str(pushed.get("filename") or ""),
        alt=pushed.get("alt"),
        title=pushed.get("title"),
        position=pushed.get("position"),
        roles=frozenset(str(role) for role in roles),
    )


def text(value: Any) -> str | None:
    """Blank text and None are the same to every vendor (an alt text never set)."""
    return value if isinstance(value, str) and value != "" else None


def differences(
    vendor: str, key: str, pushed: Mapping[str, Any], record: ImageRecord
) -> dict[str, tuple[Any, Any]]:
    """The compared fields whose value on the target differs from what syncer pushed:
    ``{field: (pushed, now)}``, in the vendor's form; empty for a vendor without an echo."""
    echo = echo_of(vendor)
    if echo is None:
        return {}
    wanted: Values = echo.expected(key, pushed)
    now: Values = echo.shown(record)
    return {
        name: (value, now.get(name)) for name, value in wanted.items() if now.get(name) != value
    }


def target_meta(
    pushed: Mapping[str, Any], changed: Mapping[str, tuple[Any, Any]]
) -> dict[str, Any]:
    """``pushed`` with the changed fields as the target holds them now: what a repair stores
    on the link, so the planner sees the target's values and plans them back."""
    return {**pushed, **{name: now for name, (_, now) in changed.items()}}


def listing_settings(vendor: str, settings: Any, owners: Iterable[str]) -> Any:
    """``settings`` for a check's listing of ``vendor``, covering ``owners`` (as is, unless
    the vendor's echo says otherwise)."""
    echo = echo_of(vendor)
    adapt = getattr(echo, "listing_settings", None)
    return settings if adapt is None else adapt(settings, owners)
