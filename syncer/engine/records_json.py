"""The canonical record as JSON, for the state store (items and the ops journal).

The encoding, the decoding and the digest are derived once, at import, from
``dataclasses.fields(ImageRecord)`` and the fields' types: a field added to the record is
stored, read back and digested without a list to keep in step here. Each field is one of five
kinds, by its type: text (``str``), optional text (``str | None``), optional number
(``int | None``), flag (``bool``), a set of text (``frozenset[str]``, stored as a sorted list)
or a vendor mapping (``Mapping``, stored as a dict). A type outside those fails at import,
so a new field's storage is decided when it is added, not found out in a stored row.

Stored JSON from any earlier release decodes: a key it lacks takes the field's default.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

from syncer.digest import stable_digest
from syncer.records import ImageRecord

#: What ``dict.get`` answers for a key the stored JSON lacks (None is a stored value).
_ABSENT: Any = object()


class Kind(Enum):
    """How a record field is stored as JSON and read back."""

    TEXT = "text"
    OPTIONAL_TEXT = "optional text"
    OPTIONAL_NUMBER = "optional number"
    FLAG = "flag"
    TEXT_SET = "set of text"
    MAPPING = "mapping"


def field_kind(hint: Any) -> Kind:
    """The storage kind of a field with type ``hint``; a ``TypeError`` for any other type."""
    origin = typing.get_origin(hint)
    if hint is str:
        return Kind.TEXT
    if hint is bool:
        return Kind.FLAG
    if hint == str | None:
        return Kind.OPTIONAL_TEXT
    if hint == int | None:
        return Kind.OPTIONAL_NUMBER
    if origin is frozenset:
        return Kind.TEXT_SET
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        return Kind.MAPPING
    raise TypeError(f"no JSON storage is defined for a record field of type {hint!r}")


@dataclasses.dataclass(frozen=True, slots=True)
class FieldCodec:
    """One record field: its name, kind and how to make its default (None when required: a
    factory, so that a missing mapping is a new dict for each record, never one shared)."""

    name: str
    kind: Kind
    default: Callable[[], Any] | None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _optional_number(value: Any) -> int | None:
    return None if value is None else int(value)


_DECODERS: dict[Kind, Callable[[Any], Any]] = {
    Kind.TEXT: _text,
    Kind.OPTIONAL_TEXT: _optional_text,
    Kind.OPTIONAL_NUMBER: _optional_number,
    Kind.FLAG: bool,
    Kind.TEXT_SET: lambda value: frozenset(value or ()),
    Kind.MAPPING: lambda value: dict(value or {}),
}


def codecs_of(record_type: type[Any]) -> tuple[FieldCodec, ...]:
    """The codec of every field of the dataclass ``record_type``, in field order."""
    hints = typing.get_type_hints(record_type)
    codecs = []
    for item in dataclasses.fields(record_type):
        codecs.append(FieldCodec(item.name, field_kind(hints[item.name]), _default_of(item)))
    return tuple(codecs)


def _default_of(item: dataclasses.Field[Any]) -> Callable[[], Any] | None:
    if not isinstance(item.default_factory, dataclasses._MISSING_TYPE):
        return item.default_factory
    if not isinstance(item.default, dataclasses._MISSING_TYPE):
        value = item.default
        return lambda: value
    return None


class RecordCodec:
    """JSON encoding, decoding and digest of one record type, built from its fields once.

    The per-record work is plain loops over precomputed names, which the hot path (a digest and
    often an encoding for every listed item) needs: no type inspection per call.
    """

    def __init__(self, record_type: type[Any]) -> None:
        self.record_type = record_type
        self.fields = codecs_of(record_type)
        self.names = tuple(codec.name for codec in self.fields)
        self._sets = tuple(c.name for c in self.fields if c.kind is Kind.TEXT_SET)
        self._maps = tuple(c.name for c in self.fields if c.kind is Kind.MAPPING)
        self._set_at = tuple(i for i, c in enumerate(self.fields) if c.kind is Kind.TEXT_SET)
        self._decoding = tuple((c.name, _DECODERS[c.kind], c.default) for c in self.fields)

    def to_json(self, record: Any) -> dict[str, Any]:
        """Every field by name: sets as sorted lists, mappings as plain dicts."""
        data = {name: getattr(record, name) for name in self.names}
        for name in self._sets:
            data[name] = sorted(data[name])
        for name in self._maps:
            data[name] = dict(data[name])
        return data

    def from_json(self, data: Mapping[str, Any]) -> Any:
        """The record stored as ``data`` (by this or any earlier release)."""
        values = []
        for name, decode, default in self._decoding:
            value = data.get(name, _ABSENT)
            if value is _ABSENT:
                if default is None:
                    raise ValueError(f"a stored record has no {name!r}")
                values.append(default())
            else:
                values.append(decode(value))
        return self.record_type(*values)

    def digest(self, record: Any) -> str:
        """:func:`syncer.digest.stable_digest` of the fields' values as one list, in field order
        (sets sorted): half the cost of digesting :meth:`to_json`, as no key is encoded."""
        values = [getattr(record, name) for name in self.names]
        for index in self._set_at:
            values[index] = sorted(values[index])
        return stable_digest(values)


_RECORDS = RecordCodec(ImageRecord)


def record_to_json(record: ImageRecord) -> dict[str, Any]:
    """``record`` as the JSON object the state stores."""
    return _RECORDS.to_json(record)


def record_digest(record: ImageRecord) -> str:
    """A short digest of every field of ``record``: equal digests, equal records.

    Kept as an item's ``meta_hash``, so that the next listing tells an unchanged item without
    reading the record back.
    """
    return _RECORDS.digest(record)


def record_from_json(data: dict[str, Any]) -> ImageRecord:
    """The record stored as ``data``; a key missing from older JSON takes the field's default,
    and a missing required field (``key``, ``owner``, ``filename``) is a ``ValueError``."""
    record: ImageRecord = _RECORDS.from_json(data)
    return record
