"""The ``Image/Headers`` search filters: ``{field, operator, value[, type]}``, AND-ed.

Fields: ``ModifiedAt`` (``FolderModifiedAt`` is the same here: images have no apps that could
change on their own), ``CreatedAt``, ``Id``, ``Folder``/``FolderId`` and every schema field
(``header_number``, ``headerName``, ``status`` ...), in any spelling. Unknown fields are ignored,
as the vendor does. Text compares case-insensitively (SQL Server's default collation); dates
compare as instants, given as ISO 8601 with ``Z``/an offset or as ``2021-07-01 12:00:00Z``
(naive values are taken as UTC). ``In``/``NotIn`` take a JSON list or the SDK's ``■``-joined text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from syncer.emulators.base import EmulatedError
from syncer.emulators.beproduct.catalog import Predicate, values_of
from syncer.emulators.beproduct.schema import field_named, normalize
from syncer.emulators.store import StoredImage

LIST_SEPARATOR = "■"

Getter = Callable[[StoredImage], str]
Compare = Callable[[str, list[str]], bool]

OPERATORS: dict[str, Compare] = {
    "eq": lambda actual, wanted: actual == wanted[0],
    "neq": lambda actual, wanted: actual != wanted[0],
    "noteq": lambda actual, wanted: actual != wanted[0],
    "ne": lambda actual, wanted: actual != wanted[0],
    "gt": lambda actual, wanted: actual > wanted[0],
    "gte": lambda actual, wanted: actual >= wanted[0],
    "lt": lambda actual, wanted: actual < wanted[0],
    "lte": lambda actual, wanted: actual <= wanted[0],
    "contains": lambda actual, wanted: wanted[0] in actual,
    "in": lambda actual, wanted: actual in wanted,
    "notin": lambda actual, wanted: actual not in wanted,
}
_LISTS = ("in", "notin")


def parse_date(text: str) -> datetime:
    """An instant from ISO 8601 (``Z``, offsets, ``T`` or a space); naive means UTC."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def date_key(moment: datetime) -> str:
    """A sortable text form with microseconds, so dates compare as strings."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def stamp_key(stamp: str) -> str:
    """:func:`date_key` of a stored ``2026-01-01T00:01:00.000Z`` stamp, without parsing it."""
    if len(stamp) == 24 and stamp.endswith("Z"):
        return stamp[:-1] + "000"
    return date_key(parse_date(stamp))


def _date_getter(attribute: str) -> Getter:
    return lambda image: stamp_key(getattr(image, attribute))


_SYSTEM: dict[str, tuple[str, Getter]] = {
    "modifiedat": ("date", _date_getter("updated_at")),
    "foldermodifiedat": ("date", _date_getter("updated_at")),
    "createdat": ("date", _date_getter("created_at")),
    "id": ("text", lambda image: image.id.casefold()),
    "folder": ("text", lambda image: image.owner.casefold()),
    "folderid": ("text", lambda image: image.owner.casefold()),
}


def resolve_field(name: str) -> tuple[str, Getter] | None:
    """(kind, getter) for a filter field name, or None when the field is unknown."""
    system = _SYSTEM.get(normalize(name))
    if system is not None:
        return system
    definition = field_named(name)
    if definition is None:
        return None
    field_id = definition.id
    return "text", lambda image: values_of(image).get(field_id, "").casefold()


def parse_filters(raw: Any) -> list[Predicate]:
    """Predicates for a request's ``filters`` (None or a list); bad filters are a 400."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise EmulatedError(400, "filters must be a list of {field, operator, value}.")
    predicates = (parse_filter(item) for item in raw)
    return [p for p in predicates if p is not None]


def parse_filter(item: Any) -> Predicate | None:
    """One filter as a predicate; None for a field the server does not know (ignored)."""
    if (
        not isinstance(item, dict)
        or not isinstance(item.get("field"), str)
        or not isinstance(item.get("operator"), str)
    ):
        raise EmulatedError(400, f"Invalid filter {item!r}: field and operator are required.")
    resolved = resolve_field(item["field"])
    if resolved is None:
        return None
    operator = item["operator"].strip().casefold()
    compare = OPERATORS.get(operator)
    if compare is None:
        raise EmulatedError(400, f"Unknown filter operator '{item['operator']}'.")
    kind, getter = resolved
    wanted = filter_values(item.get("value"), operator in _LISTS, kind, item["field"])
    return lambda image: compare(getter(image), wanted)


def filter_values(value: Any, is_list: bool, kind: str, field: str) -> list[str]:
    """The filter's value(s) in the same comparable form as the field."""
    if is_list:
        items = value if isinstance(value, list) else str(value or "").split(LIST_SEPARATOR)
    else:
        items = [value]
    texts = ["" if item is None else str(item).strip() for item in items]
    if kind == "text":
        return [text.casefold() for text in texts]
    try:
        return [date_key(parse_date(text)) for text in texts]
    except ValueError:
        raise EmulatedError(400, f"The value {value!r} is not a valid date for {field}.") from None
