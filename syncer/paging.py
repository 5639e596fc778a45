"""Paginators: one class per paging scheme, pure (no I/O) and serialisable to a JSON checkpoint.

A client asks a paginator for the parameters of the next request (:meth:`request`), makes the
request, and tells the paginator what came back (``advance``). The paginator decides when the
listing is done and refuses a cursor that repeats, which would otherwise loop forever.
``to_json()`` is the checkpoint stored with each page; ``from_json`` resumes from it.
Every client calls ``advance`` inside :func:`advancing`, the one place that turns a repeated
cursor into the typed :class:`~syncer.errors.RepeatedCursorError`.

| scheme | vendor | request | ends when |
|---|---|---|---|
| :class:`KeysetPaginator` | Partium | ``limit`` + ``last_object_id`` | ``more_data`` is false |
| :class:`SinceIdPaginator` | Spiffy (owners) | ``limit`` + ``since_id`` | a short page |
| :class:`OffsetPaginator` | Moov | ``skip`` + ``count`` | a short page |
| :class:`PageNumberPaginator` | BeProduct, Spiffy | ``page`` + ``size`` | ``total`` seen; short |
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, Self

from syncer.errors import ConfigError, RepeatedCursorError


class RepeatedCursor(Exception):
    """A paging cursor (or a whole page) came back twice: following it would loop."""


@contextmanager
def advancing(*, vendor: str, operation: str, item: str | None = None) -> Iterator[None]:
    """Around a paginator's ``advance``: a :class:`RepeatedCursor` becomes the terminal
    :class:`~syncer.errors.RepeatedCursorError` of ``vendor``'s ``operation``."""
    try:
        yield
    except RepeatedCursor as exc:
        raise RepeatedCursorError(str(exc), vendor=vendor, operation=operation, item=item) from None


@dataclass
class Paginator(ABC):
    """The common part: a scheme name, ``done``, and the JSON round trip."""

    scheme: ClassVar[str]
    done: bool = field(default=False, kw_only=True)

    @abstractmethod
    def request(self) -> dict[str, Any]:
        """The paging parameters of the next request."""

    def to_json(self) -> dict[str, Any]:
        return {"scheme": self.scheme, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Rebuild from :meth:`to_json`; a checkpoint of another scheme is a ConfigError."""
        if data.get("scheme") != cls.scheme:
            raise ConfigError(f"a {data.get('scheme')!r} cursor cannot resume {cls.scheme} paging")
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class KeysetPaginator(Paginator):
    """``last_object_id`` + ``more_data`` (Partium): the server hands out the next cursor."""

    scheme: ClassVar[str] = "keyset"
    limit: int = 100
    last_object_id: str | None = None
    seen: list[str] = field(default_factory=list)

    def request(self) -> dict[str, Any]:
        paging: dict[str, Any] = {"limit": self.limit}
        if self.last_object_id is not None:
            paging["last_object_id"] = self.last_object_id
        return paging

    def advance(self, last_object_id: str | None, more_data: bool) -> None:
        if not more_data:
            self.done = True
            return
        if last_object_id is None:
            raise RepeatedCursor("more_data is true but no last_object_id came back")
        if last_object_id == self.last_object_id or last_object_id in self.seen:
            raise RepeatedCursor(f"last_object_id {last_object_id!r} came back twice")
        self.seen = [*self.seen[-7:], last_object_id]
        self.last_object_id = last_object_id


@dataclass
class SinceIdPaginator(Paginator):
    """``since_id`` over ascending numeric ids: the next request starts after the largest seen."""

    scheme: ClassVar[str] = "since_id"
    limit: int = 50
    since_id: int = 0

    def request(self) -> dict[str, Any]:
        return {"limit": self.limit, "since_id": self.since_id}

    def advance(self, ids: Sequence[int]) -> None:
        if ids:
            highest = max(ids)
            if highest <= self.since_id:
                raise RepeatedCursor(f"since_id {self.since_id} did not move forward")
            self.since_id = highest
        if len(ids) < self.limit:
            self.done = True


@dataclass
class _CountedPaginator(Paginator):
    """Offset-like schemes: the same page twice in a row means the server ignores the cursor."""

    last_page: list[str] = field(default_factory=list)

    def _check_repeat(self, keys: Sequence[str]) -> None:
        if keys and list(keys) == self.last_page:
            raise RepeatedCursor(f"the same page came back twice ({self.request()})")
        self.last_page = list(keys)


@dataclass
class OffsetPaginator(_CountedPaginator):
    """``skip`` + ``count`` (Moov): no total, a short page ends the listing."""

    scheme: ClassVar[str] = "offset"
    count: int = 50
    skip: int = 0

    def request(self) -> dict[str, Any]:
        return {"skip": self.skip, "count": self.count}

    def advance(self, keys: Sequence[str]) -> None:
        self._check_repeat(keys)
        self.skip += len(keys)
        if len(keys) < self.count:
            self.done = True


@dataclass
class PageNumberPaginator(_CountedPaginator):
    """Page numbers with an optional ``total`` (BeProduct 0-based, Spiffy 1-based).

    Ends when ``total`` items were seen, on an empty page (``total`` may overstate after
    deletes), or, without a total, on a short page. ``shifted`` records that ``total`` dropped
    during the listing: an item deleted from a page already read moves the later ones back, so
    one of them may have been skipped, and this listing cannot prove an item gone.
    """

    scheme: ClassVar[str] = "page_number"
    size: int = 50
    page: int = 0
    seen_items: int = 0
    total: int | None = None
    shifted: bool = False

    def request(self) -> dict[str, Any]:
        return {"page": self.page, "size": self.size}

    def advance(self, keys: Sequence[str], total: int | None = None) -> None:
        self._check_repeat(keys)
        self.seen_items += len(keys)
        if total is not None:
            if self.total is not None and total < self.total:
                self.shifted = True
            self.total = total
        self.page += 1
        if not keys:
            self.done = True
        elif self.total is not None:
            self.done = self.seen_items >= self.total
        elif len(keys) < self.size:
            self.done = True
