"""Pure pieces: case-insensitive paths, forgiving query strings, filters, schema values."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from syncer.emulators.base import EmulatedError
from syncer.emulators.beproduct.catalog import stamp_after
from syncer.emulators.beproduct.filters import parse_date, parse_filter, stamp_key
from syncer.emulators.beproduct.ratelimit import RateWindows
from syncer.emulators.beproduct.routing import QueryArgs, api_path
from syncer.emulators.beproduct.schema import clean_values, field_named
from syncer.emulators.store import StoredImage


def test_api_path_makes_literals_case_insensitive_and_unique() -> None:
    path = api_path("Image/Header/{id}/Image/Upload")
    assert path == (
        "/{api:(?i:api)}/{domain}/{Image:(?i:Image)}/{Header:(?i:Header)}/{id}"
        "/{Image2:(?i:Image)}/{Upload:(?i:Upload)}"
    )
    pattern = re.sub(r"\{\w+:(\(\?i:\w+\))\}", r"\1", path).replace("{id}", "[^/]+")
    assert re.fullmatch(
        pattern.replace("{domain}", "[^/]+"), "/API/demo/image/HEADER/x/IMAGE/upload"
    )


def test_query_args_are_case_insensitive_and_forgiving() -> None:
    args = QueryArgs({"FolderID": " ", "PAGESIZE": "7", "showdeleted": "True"})
    assert args.guid("folderId") is None
    assert args.integer("pageSize", 30, minimum=1) == 7
    assert args.integer("pageNumber", 0, minimum=0) == 0
    assert args.flag("showDeleted") is True
    with pytest.raises(EmulatedError, match="not valid for folderId"):
        QueryArgs({"folderId": "abc"}).guid("folderId")


@pytest.mark.parametrize(
    "text",
    [
        "2021-07-01 12:00:00Z",
        "2021-07-01T12:00:00Z",
        "2021-07-01T14:00:00+02:00",
        "2021-07-01T12:00:00",
        "2021-07-01T12:00:00.000Z",
    ],
)
def test_dates_in_every_documented_form(text: str) -> None:
    assert parse_date(text) == datetime(2021, 7, 1, 12, tzinfo=UTC)


def test_stored_stamps_sort_like_instants() -> None:
    assert stamp_key("2026-01-01T00:01:00.120Z") == "2026-01-01T00:01:00.120000"
    assert stamp_key("2026-01-01T00:01:00.120Z") < stamp_key("2026-01-01T00:01:00.121Z")


def test_stamp_after_always_moves_forward() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert stamp_after("2026-01-01T00:00:00.000Z", now) == "2026-01-01T00:00:00.001Z"
    assert stamp_after("2025-01-01T00:00:00.000Z", now) == "2026-01-01T00:00:00.000Z"


def _header(number: str) -> StoredImage:
    return StoredImage(
        id="i",
        owner="o",
        filename="",
        mime="",
        size=0,
        sha256="",
        created_at="2026-01-01T00:00:00.000Z",
        updated_at="2026-01-01T00:00:00.000Z",
        fields={"values": {"header_number": number}},
    )


def test_filter_spellings_and_unknown_fields() -> None:
    for spelling in ("header_number", "headerNumber", "HeaderNumber"):
        predicate = parse_filter({"field": spelling, "operator": "eq", "value": "A1"})
        assert predicate is not None
        assert predicate(_header("a1"))
    assert parse_filter({"field": "Colour", "operator": "Eq", "value": "x"}) is None


def test_drop_downs_blank_unknown_values_and_aliases_resolve() -> None:
    assert clean_values({"Status": "inactive", "image_type": "Nope", "color": "x"}) == {
        "status": "Inactive",
        "image_type": "",
    }
    definition = field_named("Header-Name")
    assert definition is not None
    assert definition.id == "header_name"


def test_rate_windows_reset_on_the_boundary() -> None:
    now = [120.0]
    windows = RateWindows(lambda: now[0])
    windows.hit()
    windows.hit()
    limits = {"per_minute": 2, "per_hour": 10, "per_day": 10}
    assert windows.states(limits)[0].used == 2
    assert windows.exhausted(limits) is None
    windows.hit()
    exhausted = windows.exhausted(limits)
    assert exhausted is not None
    assert exhausted.name == "per_minute"
    now[0] = 180.0
    assert windows.states(limits)[0].used == 0
    assert windows.states(limits)[1].used == 3
