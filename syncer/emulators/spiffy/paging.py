"""Spiffy's list parameters: ``limit`` (default 30, at most 50), ``page`` (from 1), ``since_id``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from aiohttp import web

from syncer.emulators.base import EmulatedError

DEFAULT_LIMIT = 30
MAX_LIMIT = 50

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Paging:
    limit: int = DEFAULT_LIMIT
    page: int = 1
    since_id: int = 0


def bad_parameter(name: str, message: str) -> EmulatedError:
    """A 400 naming the parameter, in ActiveResource's ``{"errors": {field: [msg]}}`` shape."""
    return EmulatedError(400, f"{name} {message}", body={"errors": {name: [message]}})


def _integer(request: web.Request, name: str, default: int, minimum: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_parameter(name, "must be an integer") from None
    if value < minimum:
        raise bad_parameter(name, f"must be greater than or equal to {minimum}")
    return value


def parse_since_id(request: web.Request) -> int:
    return _integer(request, "since_id", 0, 0)


def parse_paging(request: web.Request) -> Paging:
    """The list parameters; a ``limit`` above 50 is lowered to 50, as the KB's maximum says."""
    limit = min(_integer(request, "limit", DEFAULT_LIMIT, 1), MAX_LIMIT)
    return Paging(limit, _integer(request, "page", 1, 1), parse_since_id(request))


def after(items: Sequence[T], since_id: int, id_of: Callable[[T], int]) -> list[T]:
    """Only the items whose id is above ``since_id`` (in their existing order)."""
    return [item for item in items if id_of(item) > since_id]


def page_of(items: Sequence[T], paging: Paging, id_of: Callable[[T], int]) -> list[T]:
    """The requested page of ``items`` after the ``since_id`` filter."""
    kept = after(items, paging.since_id, id_of)
    start = (paging.page - 1) * paging.limit
    return kept[start : start + paging.limit]
