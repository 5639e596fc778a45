"""The identity server's refresh-token grant and the API's bearer-token checks."""

from __future__ import annotations

import base64
import inspect

import pytest
from beproduct.auth import OAuth2Client

from syncer.emulators.beproduct.emulator import BeProductEmulator
from syncer.emulators.faults import with_changes
from tests.emulators.beproduct.helpers import Api, assert_vendor_error

GOOD = {
    "grant_type": "refresh_token",
    "refresh_token": "demo",
    "client_id": "demo",
    "client_secret": "demo",
}


async def test_token_answer_has_exactly_the_expected_keys(api: Api) -> None:
    reply = await api.post("/ids/connect/token", auth=False, data=GOOD)

    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    assert set(reply.body) == {"access_token", "expires_in", "token_type", "refresh_token", "scope"}
    assert reply.body["token_type"] == "Bearer"
    assert reply.body["expires_in"] >= 600
    sdk_methods = {name for name, _ in inspect.getmembers(OAuth2Client, callable)}
    assert not set(reply.body) & sdk_methods  # the SDK copies every key onto its client
    again = await api.post("/ids/connect/token", auth=False, data=GOOD)
    assert again.body["access_token"] != reply.body["access_token"]  # random per issue


@pytest.mark.parametrize(
    ("changes", "status", "error"),
    [
        ({"client_secret": "nope"}, 401, "invalid_client"),
        ({"client_id": "other"}, 401, "invalid_client"),
        ({"refresh_token": "stale"}, 400, "invalid_grant"),
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
    ],
)
async def test_token_refusals_are_oauth_errors(
    api: Api, changes: dict[str, str], status: int, error: str
) -> None:
    reply = await api.post("/ids/connect/token", auth=False, data={**GOOD, **changes})
    assert (reply.status, reply.body) == (status, {"error": error})


async def test_token_endpoint_wants_a_form(api: Api) -> None:
    reply = await api.post("/ids/connect/token", auth=False, json=GOOD)
    assert (reply.status, reply.body) == (400, {"error": "invalid_request"})


async def test_client_credentials_by_basic_auth(api: Api) -> None:
    basic = "Basic " + base64.b64encode(b"demo:demo").decode()
    form = {"grant_type": "refresh_token", "refresh_token": "demo"}
    reply = await api.post(
        "/ids/connect/token", auth=False, data=form, headers={"Authorization": basic}
    )
    assert reply.status == 200


async def test_issued_tokens_expire(api: Api, emulator: BeProductEmulator) -> None:
    assert (await api.get("/api/demo/Image/Folders")).status == 200
    issued_at = emulator.clock()
    emulator.clock = lambda: issued_at + emulator.knobs.token_lifetime + 1

    expired = await api.get("/api/demo/Image/Folders")
    assert_vendor_error(expired, 401, "denied")


async def test_static_token_can_be_switched_off(api: Api, emulator: BeProductEmulator) -> None:
    emulator.knobs = with_changes(emulator.knobs, {"static_token": ""})
    reply = await api.get("/api/demo/Image/Folders", headers={"Authorization": "Bearer demo"})
    assert_vendor_error(reply, 401, "denied")
    assert all(label != "static bearer token" for label, _ in emulator.credentials().lines)


def test_credentials_point_at_the_served_token_endpoint() -> None:
    lines = dict(BeProductEmulator().credentials().lines)
    assert lines["token endpoint"] == "{base_url}/ids/connect/token"
    assert lines["company domain"] == lines["client id"] == lines["refresh token"] == "demo"
