"""What a target's own listing shows back of the metadata syncer pushed there, per vendor; pure.

``syncer check`` lists each target as a source would and compares every linked item with the
link's ``pushed_json`` (:func:`syncer.engine.plan.metadata_of` of the record pushed). A vendor
keeps only some of those fields, and some in its own form, so each vendor has an :class:`Echo`:
the fields its listing shows, the form the pushed values take there (:meth:`Echo.expected`),
and the values a listed record holds (:meth:`Echo.shown`). A field a vendor does not keep (a
Moov file name, a Partium alt text) is never compared, so it can never look changed.

The listed record's ``key`` is the target id every link keeps, for the four vendors: Spiffy's
image id, Moov's ``imageID``, Partium's ``image_id``, BeProduct's header id.

Fields left out on purpose: Spiffy's ``position`` (Spiffy renumbers an owner's images whenever
one is added, moved or removed, by syncer or not), the title and roles that Spiffy and Moov do
not keep, and file names wherever the vendor rewrites them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from syncer.records import ImageRecord
from syncer.vendors.beproduct.mapping import title_of
from syncer.vendors.partium.mapping import FLAGS
from syncer.vendors.spiffy.mapping import target_filename

Values = dict[str, Any]


def pushed_record(key: str, pushed: Mapping[str, Any]) -> ImageRecord:
    """The record a link's pushed metadata describes (enough of it for the vendors' mapping)."""
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


def _text(value: Any) -> str | None:
    """Blank text and None are the same to every vendor (an alt text never set)."""
    return value if isinstance(value, str) and value != "" else None


@dataclass(frozen=True)
class Echo:
    """One vendor's view: ``expected(key, pushed)`` and ``shown(record)`` give the compared
    fields, the first in the form the vendor stores what syncer pushed."""

    expected: Callable[[str, Mapping[str, Any]], Values]
    shown: Callable[[ImageRecord], Values]


def _spiffy_expected(key: str, pushed: Mapping[str, Any]) -> Values:
    record = pushed_record(key, pushed)
    values: Values = {"alt": _text(record.alt), "filename": target_filename(record)}
    kind, _, ref = record.owner.partition("/")
    if ref.isdigit():  # an owner given by handle is listed by id: not comparable
        values["owner"] = f"{kind}/{int(ref)}"
    return values


def _spiffy_shown(record: ImageRecord) -> Values:
    return {"owner": record.owner, "alt": _text(record.alt), "filename": record.filename}


def _moov_expected(key: str, pushed: Mapping[str, Any]) -> Values:
    return {"owner": pushed.get("owner"), "alt": _text(pushed.get("alt"))}


def _moov_shown(record: ImageRecord) -> Values:
    return {"owner": record.owner, "alt": _text(record.alt)}


def _partium_expected(key: str, pushed: Mapping[str, Any]) -> Values:
    roles = sorted(role for role in pushed.get("roles") or () if role in FLAGS)
    position = pushed.get("position")
    shows_position = "display" in roles and isinstance(position, int) and position >= 0
    return {
        "owner": pushed.get("owner"),
        "roles": roles,
        "position": position if shows_position else None,
    }


def _partium_shown(record: ImageRecord) -> Values:
    return {"owner": record.owner, "roles": sorted(record.roles), "position": record.position}


def _beproduct_expected(key: str, pushed: Mapping[str, Any]) -> Values:
    record = pushed_record(key, pushed)
    return {"owner": record.owner, "alt": _text(record.alt), "title": title_of(record)}


def _beproduct_shown(record: ImageRecord) -> Values:
    return {"owner": record.owner, "alt": _text(record.alt), "title": record.title}


ECHOES: dict[str, Echo] = {
    "spiffy": Echo(_spiffy_expected, _spiffy_shown),
    "moov": Echo(_moov_expected, _moov_shown),
    "partium": Echo(_partium_expected, _partium_shown),
    "beproduct": Echo(_beproduct_expected, _beproduct_shown),
}


def differences(
    vendor: str, key: str, pushed: Mapping[str, Any], record: ImageRecord
) -> dict[str, tuple[Any, Any]]:
    """The compared fields whose value on the target differs from what syncer pushed:
    ``{field: (pushed, now)}``, in the vendor's form; empty for a vendor without an echo."""
    echo = ECHOES.get(vendor)
    if echo is None:
        return {}
    wanted, now = echo.expected(key, pushed), echo.shown(record)
    return {
        name: (value, now.get(name)) for name, value in wanted.items() if now.get(name) != value
    }


def target_meta(
    pushed: Mapping[str, Any], changed: Mapping[str, tuple[Any, Any]]
) -> dict[str, Any]:
    """``pushed`` with the changed fields as the target holds them now: what a repair stores
    on the link, so the planner sees the target's values and plans them back."""
    return {**pushed, **{name: now for name, (_, now) in changed.items()}}
