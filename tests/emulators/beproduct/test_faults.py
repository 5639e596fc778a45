"""The vendor-specific side of the fault knobs: rate-limit headers and bodies, maintenance."""

from __future__ import annotations

import time

from syncer.emulators.beproduct.emulator import BeProductEmulator
from syncer.emulators.faults import FaultConfig, with_changes
from tests.emulators.beproduct.helpers import Api, assert_vendor_error

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


async def test_rate_limit_headers_on_every_response(api: Api, emulator: BeProductEmulator) -> None:
    header = (await api.page()).body["result"][0]
    replies = [
        await api.get("/api/demo/Image/Folders"),
        await api.get("/api/demo/Image/Header/nope"),
        await api.get("/api/demo/Image/Folders", auth=False),
        await api.get(header["headerData"]["preview"]["origin"], auth=False),
        await api.post("/ids/connect/token", auth=False, data={"grant_type": "password"}),
    ]
    for reply in replies:
        assert all(name in reply.headers for name in RATE_HEADERS)
    first, second = (int(r.headers["X-RateLimit-Remaining"]) for r in replies[:2])
    assert int(replies[0].headers["X-RateLimit-Limit"]) == 10000
    assert first - second == 1  # each API call counts
    assert int(replies[0].headers["X-RateLimit-Reset"]) % 60 == 0  # the minute window's end


async def test_ratelimit_status_lists_the_windows(api: Api) -> None:
    await api.get("/api/demo/Image/Folders")
    body = (await api.get("/api/demo/ratelimit/status")).body

    assert set(body) == {"per_minute", "per_hour", "per_day"}
    minute = body["per_minute"]
    assert set(minute) == {"limit", "remaining", "used", "resetAt"}
    assert minute["used"] == 2
    assert minute["remaining"] == minute["limit"] - 2


async def test_injected_429_has_retry_after_and_the_documented_body(
    api: Api, emulator: BeProductEmulator
) -> None:
    emulator.faults.configure(FaultConfig(rate_limit=0.5))
    await api.get("/api/demo/Image/Folders")  # takes the only token of the bucket
    reply = await api.get("/api/demo/Image/Folders")

    assert reply.status == 429
    assert reply.body == {
        "retryAfterSeconds": int(reply.headers["Retry-After"]),
        "window": "per_second",
        "limit": 1,
    }
    assert reply.headers["X-RateLimit-Remaining"] == "0"
    assert int(reply.headers["X-RateLimit-Reset"]) >= int(time.time()) + 1


async def test_enforced_minute_window_answers_429(api: Api, emulator: BeProductEmulator) -> None:
    emulator.knobs = with_changes(
        emulator.knobs, {"enforce_ratelimit": True, "ratelimit_per_minute": 2}
    )
    statuses = [(await api.get("/api/demo/Image/Folders")).status for _ in range(3)]
    reply = await api.get("/api/demo/Image/Folders")

    assert statuses == [200, 200, 429]
    assert reply.body["window"] == "per_minute"
    assert reply.body["limit"] == 2
    assert 1 <= reply.body["retryAfterSeconds"] <= 60
    assert reply.headers["Retry-After"] == str(reply.body["retryAfterSeconds"])


async def test_maintenance_refuses_the_api_but_not_tokens_or_files(
    api: Api, emulator: BeProductEmulator
) -> None:
    origin = (await api.page()).body["result"][0]["headerData"]["preview"]["origin"]
    emulator.faults.configure(FaultConfig(maintenance=True))

    refused = await api.get("/api/demo/Image/Folders")
    assert_vendor_error(refused, 503, "maintenance")
    assert refused.headers["Retry-After"] == "5"
    token = await api.post(
        "/ids/connect/token",
        auth=False,
        data={
            "grant_type": "refresh_token",
            "refresh_token": "demo",
            "client_id": "demo",
            "client_secret": "demo",
        },
    )
    assert token.status == 200
    assert (await api.get(origin, auth=False)).status == 200


async def test_injected_server_errors_use_each_surface_shape(
    api: Api, emulator: BeProductEmulator
) -> None:
    emulator.faults.configure(FaultConfig(error_rate=1.0, error_statuses=(502,)))
    assert_vendor_error(await api.get("/api/demo/Image/Folders"), 502, "injected")
    token = await api.post("/ids/connect/token", auth=False, data={})
    assert (token.status, token.body) == (502, {"error": "server_error"})
