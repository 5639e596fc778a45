"""Status codes to typed errors, in one function."""

from __future__ import annotations

import json
from typing import Any

from syncer.errors import (
    ConflictError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    UnavailableError,
    ValidationError,
    VendorError,
)
from syncer.http.retry import parse_retry_after

EXCERPT = 300
VALIDATION_STATUSES = frozenset({400, 405, 406, 411, 413, 415, 422})


def parse_body(text: str) -> Any:
    """The body as JSON when it is JSON, else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "…"


def error_for_status(
    status: int,
    text: str,
    retry_after: str | None,
    *,
    vendor: str,
    operation: str,
    item: str | None,
) -> VendorError:
    """The typed error for a refused request (401/403 are handled with the credentials)."""
    body = parse_body(text)
    context: dict[str, Any] = {
        "vendor": vendor,
        "operation": operation,
        "item": item,
        "status": status,
        "body": body,
    }
    said = excerpt(text) or "no body"
    if status == 404:
        return NotFoundError(f"not found: {said}", **context)
    if status == 409:
        return ConflictError(f"conflict: {said}", **context)
    if status in VALIDATION_STATUSES:
        return ValidationError(f"refused: {said}", **context)
    if status == 429:
        return RateLimitedError(
            f"rate limited: {said}", retry_after=parse_retry_after(retry_after), **context
        )
    if 500 <= status <= 599:
        return UnavailableError(
            f"server error: {said}", retry_after=parse_retry_after(retry_after), **context
        )
    return ProtocolError(f"unexpected HTTP {status}: {said}", **context)
