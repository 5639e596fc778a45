"""The JSON request bodies of list, select and delete, checked the way FastAPI would.

A body that is not JSON, or does not fit the schema, answers 422 with FastAPI's validation list.
The Content-Type is not checked; unknown keys are ignored (pydantic's default).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from syncer.emulators.partium.cursor import decode_cursor
from syncer.emulators.partium.descriptions import PROJECTABLE
from syncer.emulators.partium.errors import Loc, Problems, invalid

#: An absent body (no bytes at all), told apart from a JSON ``null``.
ABSENT: Any = object()
_OBJECT_MSG = "Input should be a valid dictionary or object to extract fields from"


async def read_json_body(request: web.Request) -> Any:
    """The parsed JSON body, ABSENT when there is none; 422 ``json_invalid`` when it is broken."""
    raw = await request.read()
    if not raw.strip():
        return ABSENT
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise invalid(
            ("body", exc.pos), "json_invalid", "JSON decode error", {}, {"error": exc.msg}
        ) from None
    except UnicodeDecodeError:
        raise invalid(
            ("body", 0), "json_invalid", "JSON decode error", {}, {"error": "invalid UTF-8"}
        ) from None


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A checked ``POST /1/catalog/images/list`` body."""

    part_ids: frozenset[str] | None
    limit: int
    after_seq: int
    projection: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class SelectQuery:
    """A checked ``POST /1/catalog/images/select`` body."""

    image_ids: tuple[str, ...]
    projection: tuple[str, ...] | None


def parse_list_query(body: Any, default_limit: int, max_limit: int) -> ListQuery:
    """The list request; every part of the body is optional (an empty body lists everything)."""
    problems = Problems()
    root = _optional_object(body, ("body",), problems, root=True)
    query = _optional_object(root.get("query"), ("body", "query"), problems)
    paging = _optional_object(root.get("paging"), ("body", "paging"), problems)
    part_ids = _string_list(query.get("part_ids"), ("body", "query", "part_ids"), problems)
    limit = _limit(paging.get("limit"), default_limit, max_limit, problems)
    after_seq = _cursor(paging.get("last_object_id"), problems)
    projection = _projection(root.get("projection"), problems)
    problems.check()
    return ListQuery(
        frozenset(part_ids) if part_ids is not None else None, limit, after_seq, projection
    )


def parse_select_query(body: Any) -> SelectQuery:
    """The select request: ``image_ids`` is required, ``projection`` optional."""
    problems = Problems()
    root = _required_object(body, problems)
    if root is not None and root.get("image_ids") is None:
        problems.missing(("body", "image_ids"), root)
    root = root or {}
    ids = _string_list(root.get("image_ids"), ("body", "image_ids"), problems)
    projection = _projection(root.get("projection"), problems)
    problems.check()
    return SelectQuery(tuple(ids or ()), projection)


def parse_id_array(body: Any) -> list[str]:
    """The delete request: a bare JSON array of image ids."""
    problems = Problems()
    if body is ABSENT or body is None:
        problems.missing(("body",), None)
    ids = _string_list(None if body is ABSENT else body, ("body",), problems)
    problems.check()
    return ids or []


# -- field checks ------------------------------------------------------------------------------


def _optional_object(
    value: Any, loc: Loc, problems: Problems, root: bool = False
) -> dict[str, Any]:
    if value is None or (root and value is ABSENT):
        return {}
    if not isinstance(value, dict):
        problems.add(loc, "model_attributes_type", _OBJECT_MSG, value)
        return {}
    return value


def _required_object(value: Any, problems: Problems) -> dict[str, Any] | None:
    if value is ABSENT or value is None:
        problems.missing(("body",), None)
        return None
    if not isinstance(value, dict):
        problems.add(("body",), "model_attributes_type", _OBJECT_MSG, value)
        return None
    return value


def _string_list(value: Any, loc: Loc, problems: Problems) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        problems.add(loc, "list_type", "Input should be a valid list", value)
        return None
    for index, item in enumerate(value):
        if not isinstance(item, str):
            problems.add((*loc, index), "string_type", "Input should be a valid string", item)
    return [item for item in value if isinstance(item, str)]


def _limit(value: Any, default: int, maximum: int, problems: Problems) -> int:
    loc = ("body", "paging", "limit")
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(loc, "int_type", "Input should be a valid integer", value)
        return default
    if value < 1:
        problems.add(
            loc,
            "greater_than_equal",
            "Input should be greater than or equal to 1",
            value,
            {"ge": 1},
        )
    elif value > maximum:
        problems.add(
            loc,
            "less_than_equal",
            f"Input should be less than or equal to {maximum}",
            value,
            {"le": maximum},
        )
    return value


def _cursor(value: Any, problems: Problems) -> int:
    loc = ("body", "paging", "last_object_id")
    if value is None:
        return 0
    if not isinstance(value, str):
        problems.add(loc, "string_type", "Input should be a valid string", value)
        return 0
    seq = decode_cursor(value)
    if seq is None:
        problems.add(
            loc,
            "value_error",
            "Value error, last_object_id is not an object id issued by this catalog",
            value,
            {"error": "invalid last_object_id"},
        )
        return 0
    return seq


def _projection(value: Any, problems: Problems) -> tuple[str, ...] | None:
    names = _string_list(value, ("body", "projection"), problems)
    if names is None:
        return None
    allowed = ", ".join(f"'{name}'" for name in PROJECTABLE[:-1]) + f" or '{PROJECTABLE[-1]}'"
    for index, name in enumerate(value):
        if isinstance(name, str) and name not in PROJECTABLE:
            problems.add(
                ("body", "projection", index),
                "literal_error",
                f"Input should be {allowed}",
                name,
                {"expected": allowed},
            )
    return tuple(names)
