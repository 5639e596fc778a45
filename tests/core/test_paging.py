"""Paginators: every item exactly once from any saved cursor, and loops refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncer.errors import ConfigError, RepeatedCursorError
from syncer.paging import (
    KeysetPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    Paginator,
    RepeatedCursor,
    SinceIdPaginator,
    advancing,
)

# Each fake server serves a stable catalog of ``n`` items the way its vendor does, and returns
# the keys of one page after advancing the paginator with what the vendor would answer.
Fetch = Callable[[Any, int], list[str]]


def keyset_page(p: KeysetPaginator, n: int) -> list[str]:
    start = 0 if p.last_object_id is None else int(p.last_object_id.removeprefix("obj")) + 1
    keys = [f"k{i}" for i in range(start, min(n, start + p.limit))]
    last = f"obj{start + len(keys) - 1}" if keys else None
    p.advance(last, more_data=start + len(keys) < n)
    return keys


def since_id_page(p: SinceIdPaginator, n: int) -> list[str]:
    ids = [i for i in range(1, n + 1) if i > p.since_id][: p.limit]
    p.advance(ids)
    return [f"k{i - 1}" for i in ids]


def offset_page(p: OffsetPaginator, n: int) -> list[str]:
    keys = [f"k{i}" for i in range(p.skip, min(n, p.skip + p.count))]
    p.advance(keys)
    return keys


def page_number_page(p: PageNumberPaginator, n: int) -> list[str]:
    start = p.page * p.size
    keys = [f"k{i}" for i in range(start, min(n, start + p.size))]
    p.advance(keys, total=n)
    return keys


SCHEMES: dict[str, tuple[Callable[[int], Paginator], Fetch]] = {
    "keyset": (lambda size: KeysetPaginator(limit=size), keyset_page),
    "since_id": (lambda size: SinceIdPaginator(limit=size), since_id_page),
    "offset": (lambda size: OffsetPaginator(count=size), offset_page),
    "page_number": (lambda size: PageNumberPaginator(size=size), page_number_page),
}


def drain(paginator: Paginator, fetch: Fetch, n: int, pages: int | None = None) -> list[str]:
    keys: list[str] = []
    taken = 0
    while not paginator.done and (pages is None or taken < pages):
        keys += fetch(paginator, n)
        taken += 1
        assert taken <= n + 2, "paging did not end"
    return keys


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
@given(n=st.integers(0, 120), size=st.integers(1, 17), stop=st.integers(0, 30))
def test_resuming_from_any_saved_cursor_yields_every_item_exactly_once(
    scheme: str, n: int, size: int, stop: int
) -> None:
    make, fetch = SCHEMES[scheme]
    first = make(size)
    before = drain(first, fetch, n, pages=stop)
    checkpoint = json.loads(json.dumps(first.to_json()))  # what the state store keeps
    resumed = type(first).from_json(checkpoint)
    after = drain(resumed, fetch, n)
    assert before + after == [f"k{i}" for i in range(n)]


def test_keyset_refuses_a_repeated_cursor() -> None:
    paginator = KeysetPaginator(limit=2)
    paginator.advance("abc", more_data=True)
    with pytest.raises(RepeatedCursor, match="came back twice"):
        paginator.advance("abc", more_data=True)


def test_keyset_refuses_more_data_without_a_cursor() -> None:
    with pytest.raises(RepeatedCursor, match="no last_object_id"):
        KeysetPaginator().advance(None, more_data=True)


def test_since_id_refuses_ids_that_do_not_move_forward() -> None:
    paginator = SinceIdPaginator(limit=2, since_id=10)
    with pytest.raises(RepeatedCursor, match="did not move forward"):
        paginator.advance([3, 10])


@pytest.mark.parametrize("paginator", [OffsetPaginator(count=2), PageNumberPaginator(size=2)])
def test_a_server_ignoring_the_cursor_is_caught(paginator: OffsetPaginator) -> None:
    paginator.advance(["a", "b"])
    with pytest.raises(RepeatedCursor, match="same page came back twice"):
        paginator.advance(["a", "b"])  # BeProduct's async SDK bug, seen from our side


def test_page_number_stops_on_an_empty_page_when_total_overstates() -> None:
    paginator = PageNumberPaginator(size=2)
    paginator.advance(["a", "b"], total=10)
    paginator.advance([], total=10)  # rows deleted mid-scan: total lies
    assert paginator.done


def test_page_number_without_total_stops_on_a_short_page() -> None:
    paginator = PageNumberPaginator(size=3, page=1)
    paginator.advance(["a", "b", "c"])
    assert not paginator.done
    paginator.advance(["d"])
    assert paginator.done
    assert paginator.page == 3


def test_a_checkpoint_of_another_scheme_is_refused() -> None:
    with pytest.raises(ConfigError, match="'offset' cursor cannot resume keyset"):
        KeysetPaginator.from_json(OffsetPaginator().to_json())


def test_page_number_says_when_the_total_dropped_under_the_listing() -> None:
    paginator = PageNumberPaginator(size=2)
    paginator.advance(["a", "b"], total=6)
    assert not paginator.shifted
    paginator.advance(["d", "e"], total=5)  # "c" moved into the page already read
    assert paginator.shifted
    resumed = PageNumberPaginator.from_json(json.loads(json.dumps(paginator.to_json())))
    assert resumed.shifted
    resumed.advance(["f"], total=6)  # growing again does not undo it
    assert resumed.shifted


def test_advancing_turns_a_repeated_cursor_into_the_vendors_terminal_error() -> None:
    paginator = OffsetPaginator(count=2)
    paginator.advance(["a", "b"])
    repeated = pytest.raises(RepeatedCursorError, match="same page came back twice")
    with repeated as error, advancing(vendor="moov", operation="list", item="acct"):
        paginator.advance(["a", "b"])
    assert (error.value.vendor, error.value.operation, error.value.item) == ("moov", "list", "acct")
    assert not error.value.transient
