"""Create-or-adopt: the one loop for a create that is not idempotent.

A create whose answer was lost (the connection broke after sending, a 502 from a proxy) may or
may not have been applied: its error says ``ambiguous``. Sending it again could make a
duplicate, so the loop first waits as the retry policy says, then asks ``find`` whether the
attempt made the item, adopts what it finds, and only otherwise sends the create again. A
look-up that fails raises the create's own error (from the look-up's): the outcome is still
unknown, and whoever retries must look again first. A vendor whose create answers a duplicate
itself (Moov's 409 names the existing image) passes no ``find``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from syncer.errors import VendorError
from syncer.http import HttpClient

T = TypeVar("T")


async def create_or_adopt(
    create: Callable[[], Awaitable[T]],
    *,
    http: HttpClient,
    find: Callable[[], Awaitable[T | None]] | None = None,
) -> T:
    """``create()``, tried as often as any request (``http.retry.attempts``); after an
    ambiguous failure, back off (counted as a retry), then adopt what ``find()`` returns."""
    attempts = http.retry.attempts
    for attempt in range(1, attempts + 1):
        try:
            return await create()
        except VendorError as error:
            if not error.ambiguous or attempt == attempts:
                raise
            await http.back_off(attempt, error)
            found = await _look(find, error)
            if found is not None:
                return found
    raise AssertionError("unreachable")


async def _look(find: Callable[[], Awaitable[T | None]] | None, error: VendorError) -> T | None:
    if find is None:
        return None
    try:
        return await find()
    except VendorError as lookup:
        raise error from lookup
