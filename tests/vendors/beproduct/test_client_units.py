"""Pure parts of the BeProduct client: mapping, the listing cursor, settings and the token
endpoint's answers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from syncer.errors import AuthenticationError, ConfigError, ProtocolError, VendorError
from syncer.http import OAuthRefreshAuth
from syncer.paging import RepeatedCursor
from syncer.records import ImageRecord
from syncer.vendors.beproduct.auth import beproduct_auth
from syncer.vendors.beproduct.listing import ListingQuery, ListingState, vendor_time
from syncer.vendors.beproduct.mapping import (
    MappingError,
    create_fields,
    later,
    matches_number,
    to_record,
    update_fields,
    upload_filename,
)
from syncer.vendors.beproduct.settings import REAL_TOKEN_URL, BeProductSettings

FOLDER = "6f1c2a9e-3b7d-4e0a-9c55-1d2e3f405162"
ORIGIN = "https://cdn.example/files/demo/images/h1/u2/Charcoal%20Stripe%20%231.webp?sig=x"


def header(**overrides: Any) -> dict[str, Any]:
    """A header as the vendor answers it (TypeScript schema), with ``overrides``."""
    body: dict[str, Any] = {
        "id": "h1",
        "headerNumber": "IMG-000001",
        "headerName": "Charcoal Stripe",
        "folder": {"id": FOLDER, "name": "Prints"},
        "headerData": {
            "fields": [
                {"id": "header_number", "value": "IMG-000001"},
                {"id": "header_name", "value": "Charcoal Stripe"},
                {"id": "description", "value": "stripes, charcoal"},
                {"id": "keywords", "value": ["a", "b"]},
            ],
            "preview": {"preview": "https://cdn.example/p.webp", "origin": ORIGIN},
            "variations": [{"id": "u1"}, {"id": "u2"}],
        },
        "isDeleted": False,
        "createdAt": "2026-01-01T00:01:00.000Z",
        "modifiedAt": "2026-01-02T00:00:00.000Z",
    }
    body.update(overrides)
    return body


# -- mapping -----------------------------------------------------------------------------------


def test_a_header_becomes_a_record() -> None:
    record = to_record(header())
    assert (record.key, record.owner) == ("h1", FOLDER)
    assert record.filename == "Charcoal Stripe #1.webp"
    assert (record.title, record.alt) == ("Charcoal Stripe", "stripes, charcoal")
    assert (record.version, record.url, record.deleted) == (
        "2026-01-02T00:00:00.000Z",
        ORIGIN,
        False,
    )
    assert record.extra["header_number"] == "IMG-000001"
    assert record.extra["upload_id"] == "u2"
    assert record.extra["fields"]["keywords"] == "a,b"
    assert record.extra["folder_name"] == "Prints"


def test_a_bare_preview_url_and_a_missing_preview_are_understood() -> None:
    bare = header()
    bare["headerData"] = {**bare["headerData"], "preview": ORIGIN}
    assert to_record(bare).url == ORIGIN
    empty = header(isDeleted=True)
    empty["headerData"] = {"fields": [], "preview": None, "variations": None}
    record = to_record(empty)
    assert (record.url, record.filename, record.alt, record.deleted) == (
        None,
        "IMG-000001",
        None,
        True,
    )
    assert record.extra["upload_id"] is None


@pytest.mark.parametrize("broken", [{"id": None}, {"id": ""}, {"folder": None}, {"folder": {}}])
def test_a_header_without_id_or_folder_is_refused(broken: dict[str, Any]) -> None:
    with pytest.raises(MappingError):
        to_record(header(**broken))


def test_a_record_becomes_header_fields() -> None:
    record = ImageRecord(key="src-9", owner=FOLDER, filename="dir/Blue Logo.png", alt="blue")
    assert create_fields(record) == [
        {"id": "header_number", "value": "src-9"},
        {"id": "header_name", "value": "Blue Logo"},
        {"id": "description", "value": "blue"},
    ]
    titled = ImageRecord(key="k", owner=FOLDER, filename="", title=" Named ")
    assert update_fields(titled) == [
        {"id": "header_name", "value": "Named"},
        {"id": "description", "value": ""},
    ]
    bare = ImageRecord(key="k", owner=FOLDER, filename="")
    assert update_fields(bare)[0] == {"id": "header_name", "value": "k"}


def test_upload_file_names() -> None:
    record = ImageRecord(key="k", owner=FOLDER, filename="C:\\exports\\a b.png")
    assert upload_filename(record, "image/png") == "a b.png"
    assert upload_filename(ImageRecord("k", FOLDER, ""), "image/jpeg") == "k.jpg"


def test_the_match_is_exact_in_folder_and_live() -> None:
    assert matches_number(header(), "IMG-000001", FOLDER.upper())
    assert not matches_number(header(), "img-000001", FOLDER)  # the server ignores case; we do not
    assert not matches_number(header(), "IMG-000001", "another-folder")
    assert not matches_number(header(isDeleted=True), "IMG-000001", FOLDER)


def test_later_compares_instants() -> None:
    assert later("2026-01-01T01:00:00.000Z", "2026-01-01T02:30:00+02:00") == (
        "2026-01-01T01:00:00.000Z"
    )
    assert later(None, "2026-01-01T00:00:00Z") == "2026-01-01T00:00:00Z"
    assert later("2026-01-01T00:00:00Z", None) == "2026-01-01T00:00:00Z"


# -- listing state and cursor ------------------------------------------------------------------


def test_the_cursor_round_trips_through_json() -> None:
    state = ListingState.start(ListingQuery(FOLDER, "2026-01-01T00:00:00Z", True), page_size=2)
    state.advance(["a", "b"], 5, ["2026-01-03T00:00:00.000Z", "2026-01-02T00:00:00.000Z"])
    cursor = json.loads(json.dumps(state.to_cursor()))
    resumed = ListingState.from_cursor(cursor, FOLDER)
    assert resumed.query == state.query
    assert resumed.paginator.request() == {"page": 1, "size": 2}
    assert resumed.watermark == state.watermark == "2026-01-02T23:55:00.000Z"
    assert resumed.query.params(1, 2) == {
        "folderId": FOLDER,
        "pageSize": "2",
        "pageNumber": "1",
        "showDeleted": "true",
    }
    assert resumed.query.body()["filters"] == [
        {"field": "ModifiedAt", "operator": "Gte", "value": "2026-01-01T00:00:00Z"}
    ]
    with pytest.raises(RepeatedCursor):  # the page before the cursor, served again
        resumed.advance(["a", "b"], 5, [None, None])


def test_the_next_sync_starts_at_the_watermark_from_page_zero() -> None:
    state = ListingState.start(ListingQuery(None), page_size=3)
    state.advance(["a"], 1, ["2026-02-01T00:00:00.000Z"])
    following = state.next_sync()
    assert following.query.since == "2026-01-31T23:55:00.000Z"  # the default 300 s overlap
    assert following.paginator.request() == {"page": 0, "size": 3}
    assert not following.paginator.done
    assert ListingQuery().params(0, 3)["folderId"] == ""


def test_the_watermark_is_the_vendor_clock_at_the_first_page_less_the_overlap() -> None:
    state = ListingState.start(ListingQuery(None), page_size=1, overlap=60)
    answered = vendor_time("Tue, 01 Dec 2026 12:00:00 GMT")
    state.advance(["old"], 3, ["2026-01-01T00:00:00.000Z"], answered)
    assert state.watermark == "2026-12-01T11:59:00.000Z"
    # Later pages with newer stamps, and a resume, leave it where the listing started.
    state.advance(
        ["new"], 3, ["2026-12-01T12:30:00.000Z"], vendor_time("Tue, 01 Dec 2026 13:00:00 GMT")
    )
    resumed = ListingState.from_cursor(json.loads(json.dumps(state.to_cursor())), None)
    resumed.advance(["newer"], 3, ["2026-12-01T14:00:00.000Z"])
    assert resumed.next_sync().query.since == "2026-12-01T11:59:00.000Z"


def test_without_a_date_the_first_page_stamps_bound_the_watermark() -> None:
    state = ListingState.start(ListingQuery(None, "2026-01-01T00:00:00.000Z"), 2, overlap=0)
    state.advance(["a", "b"], 2, ["2026-03-01T00:00:00.000Z", None], vendor_time("garbage"))
    assert state.watermark == "2026-03-01T00:00:00.000Z"
    empty = ListingState.start(ListingQuery(None, "2026-01-01T00:00:00.000Z"), 2)
    empty.advance([], 0, [], None)
    assert empty.next_sync().query.since == "2026-01-01T00:00:00.000Z"  # nothing new known


def test_a_shifted_listing_hands_on_its_own_since() -> None:
    state = ListingState.start(ListingQuery(None, "2026-01-01T00:00:00.000Z"), 1, overlap=0)
    state.advance(["a"], 3, [], vendor_time("Tue, 01 Dec 2026 12:00:00 GMT"))
    state.advance(["c"], 2, [])  # total dropped: "b" moved into page 0, already read
    assert state.paginator.shifted
    assert state.next_sync().query.since == "2026-01-01T00:00:00.000Z"


def test_a_version_1_cursor_resumes_with_its_since_as_the_watermark() -> None:
    cursor = {
        "vendor": "beproduct",
        "version": 1,
        "folder_id": None,
        "since": "2026-01-01T00:00:00.000Z",
        "show_deleted": False,
        "watermark": "2026-06-01T00:00:00.000Z",  # the latest stamp seen: unsafe
        "paging": {"scheme": "page_number", "size": 2, "page": 1, "done": True},
    }
    resumed = ListingState.from_cursor(cursor, None)
    assert resumed.paginator.page == 1
    assert resumed.next_sync().query.since == "2026-01-01T00:00:00.000Z"
    assert resumed.to_cursor()["version"] == 2


@pytest.mark.parametrize(
    ("cursor", "folder"),
    [
        ({"vendor": "moov", "version": 1}, None),
        ({"vendor": "beproduct", "version": 99}, None),
        ({"vendor": "beproduct", "version": 1}, None),
        ({"vendor": "beproduct", "version": 2}, None),
        ({"vendor": "beproduct", "version": 2, "folder_id": FOLDER, "paging": {}}, None),
        ({"vendor": "beproduct", "version": 2, "paging": {"scheme": "offset"}}, None),
    ],
)
def test_a_foreign_cursor_is_refused(cursor: dict[str, Any], folder: str | None) -> None:
    with pytest.raises(ConfigError):
        ListingState.from_cursor(cursor, folder)


# -- settings ----------------------------------------------------------------------------------


def test_settings_defaults_and_checks() -> None:
    real = BeProductSettings(company_domain="acme", client_secret="s3cret-value")
    assert real.token_endpoint == REAL_TOKEN_URL
    assert real.api_url == "https://developers.beproduct.com/api/acme"
    assert "s3cret-value" not in repr(real)
    local = BeProductSettings(base_url="http://127.0.0.1:8101/", company_domain="demo")
    assert local.token_endpoint == "http://127.0.0.1:8101/ids/connect/token"
    for bad in ({"company_domain": " "}, {"page_size": 0}, {"poll_interval": 0}):
        with pytest.raises(ConfigError, match="beproduct"):
            BeProductSettings(**{"company_domain": "demo", **bad})  # type: ignore[arg-type]


# -- retries and the token endpoint ------------------------------------------------------------


def auth() -> OAuthRefreshAuth:
    return beproduct_auth("http://127.0.0.1:1/ids/connect/token", "id", "secret", "refresh")


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_a_token_endpoint_hiccup_is_transient(status: int) -> None:
    with pytest.raises(VendorError) as failed:
        auth()._grant(status, '{"error": "temporarily_unavailable"}', "3")
    assert failed.value.transient
    assert failed.value.retry_after == 3.0


@pytest.mark.parametrize(
    ("status", "code", "setting"),
    [
        (400, "invalid_grant", "check beproduct.refresh_token"),
        (401, "invalid_client", "check beproduct.client_id / beproduct.client_secret"),
        (400, "invalid_request", "beproduct.client_id / beproduct.client_secret / beproduct.ref"),
    ],
)
def test_a_refusal_names_the_setting_to_fix(status: int, code: str, setting: str) -> None:
    with pytest.raises(AuthenticationError, match=setting.replace(".", r"\.")) as refused:
        auth()._grant(status, json.dumps({"error": code}), None)
    assert refused.value.vendor == "beproduct"


def test_a_grant_without_a_token_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        auth()._grant(200, '{"truncated": [1, 2', None)
    assert (
        auth()._grant(200, '{"access_token": "t", "expires_in": 60}', None)["access_token"] == "t"
    )
