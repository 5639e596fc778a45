"""Partium's error answers (FastAPI shapes) and its bearer-key check.

Every error body is FastAPI's ``{"detail": "message"}``, except request bodies that do not parse
or do not fit the schema: those answer FastAPI's 422 validation list,
``{"detail": [{"type", "loc", "msg", "input"}, ...]}``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from syncer.emulators.base import EmulatedError, Handler

#: The fixed, documented API key of the emulator.
API_KEY = "demo"
MAINTENANCE_MESSAGE = (
    "Catalog manager is in maintenance mode - all processing is suspended and changes are "
    "currently not possible"
)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}

Loc = tuple[str | int, ...]


@dataclass(slots=True)
class Problems:
    """FastAPI/pydantic validation problems, collected before answering one 422."""

    items: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self, loc: Loc, kind: str, msg: str, value: Any, ctx: dict[str, Any] | None = None
    ) -> None:
        item: dict[str, Any] = {"type": kind, "loc": list(loc), "msg": msg, "input": value}
        if ctx is not None:
            item["ctx"] = ctx
        self.items.append(item)

    def missing(self, loc: Loc, container: Any) -> None:
        self.add(loc, "missing", "Field required", container)

    def check(self) -> None:
        """Raise the 422 when anything was collected."""
        if self.items:
            raise EmulatedError(422, self.items[0]["msg"], body={"detail": self.items})


def invalid(
    loc: Loc, kind: str, msg: str, value: Any, ctx: dict[str, Any] | None = None
) -> EmulatedError:
    """A 422 with one validation problem."""
    problems = Problems()
    problems.add(loc, kind, msg, value, ctx)
    return EmulatedError(422, msg, body={"detail": problems.items})


def check_bearer(header: str | None) -> None:
    """Refuse a request without ``Authorization: Bearer demo`` (scheme case-insensitive)."""
    if not header:
        raise EmulatedError(401, "Not authenticated", headers=_CHALLENGE)
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or token.strip() != API_KEY:
        raise EmulatedError(401, "Invalid authentication credentials", headers=_CHALLENGE)


def require_bearer(handler: Handler) -> Handler:
    """Wrap a vendor handler so it answers 401 unless the API key is presented."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        check_bearer(request.headers.get("Authorization"))
        return await handler(request)

    return guarded
