"""X-Ratelimit, 429s, maintenance, injected errors, the store prefix knob and the token exchange."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from tests.emulators.spiffy.helpers import SpiffyApi, b64, image_bytes, running, seeded

RATELIMIT_KEYS = ["name", "period", "limit", "remaining", "until"]
#: A window so long that a test never sees it roll over.
HUGE_PERIOD = 10**9


async def test_x_ratelimit_shows_the_documented_sample_budget(api: SpiffyApi) -> None:
    reply = await api.get("/api/products.json")
    sample = reply.ratelimit
    assert list(sample) == RATELIMIT_KEYS
    assert (sample["name"], sample["period"], sample["limit"]) == ("API", 300, 500)
    assert 0 < sample["remaining"] <= 500
    until = datetime.strptime(sample["until"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert until.timestamp() % 300 == 0
    assert until.timestamp() >= time.time() - 1
    # The header value is rack-ratelimit's compact JSON, byte for byte.
    assert reply.headers["X-Ratelimit"].startswith('{"name":"API","period":300,"limit":500,')


async def test_every_api_response_counts_and_carries_x_ratelimit(api: SpiffyApi) -> None:
    await api.admin("PATCH", "/knobs", {"ratelimit_period": HUGE_PERIOD})  # no window rollover
    replies = [
        await api.get("/api/products.json"),
        await api.call("GET", "/api/products.json", auth=None),
        await api.get("/api/products/999999.json"),
        await api.post("/api/products/999999/images.json", {"image": {}}),
        await api.get("/nothing/here"),
    ]
    assert [reply.status for reply in replies] == [200, 401, 404, 404, 404]
    remaining = [reply.ratelimit["remaining"] for reply in replies]
    assert remaining == [500, 499, 498, 497, 496]  # rack-ratelimit: limit - count + 1


async def test_image_files_are_cdn_responses_without_the_api_budget(api: SpiffyApi) -> None:
    listed = await api.get(f"/api/products/{api.owner('products').id}/images.json")
    served = await api.call("GET", listed.body["images"][0]["src"], auth=None)
    assert served.status == 200
    assert "X-Ratelimit" not in served.headers


async def test_enforced_sample_budget_refuses_like_rack_ratelimit() -> None:
    emulator = seeded(
        2, owners=1, ratelimit_limit=3, ratelimit_period=HUGE_PERIOD, ratelimit_enforce=True
    )
    async with running(emulator) as api:
        statuses = [(await api.get("/api/products/count.json")).status for _ in range(3)]
        refused = await api.get("/api/products/count.json")
    assert statuses == [200, 200, 200]
    assert refused.status == 429
    # rack-ratelimit sends the whole period, not the time left in the window.
    assert refused.headers["Retry-After"] == str(HUGE_PERIOD)
    assert refused.headers["Content-Type"].startswith("text/plain")
    assert refused.body == (
        f"API rate limit exceeded. Please wait {HUGE_PERIOD} seconds then retry your request."
    )
    assert refused.ratelimit["remaining"] <= 0
    assert refused.ratelimit["limit"] == 3


async def test_base_rate_limit_answers_429_with_retry_after(api: SpiffyApi) -> None:
    await api.admin("PATCH", "/faults", {"rate_limit": 1})
    first = await api.get("/api/products/count.json")
    second = await api.get("/api/products/count.json")
    assert first.status == 200
    assert first.ratelimit["limit"] == 1
    assert second.status == 429
    assert int(second.headers["Retry-After"]) >= 1
    assert "rate limit exceeded" in second.body
    assert second.ratelimit["remaining"] == 0
    assert api.emulator.injected["rate_limited"] == 1


async def test_maintenance_refuses_the_api_but_not_files_or_admin(api: SpiffyApi) -> None:
    path = f"/api/products/{api.owner('products').id}/images.json"
    src = (await api.get(path)).body["images"][0]["src"]
    await api.admin("PATCH", "/faults", {"maintenance": True})
    for reply in (
        await api.get(path),
        await api.post(path, {"image": {"attachment": b64(image_bytes())}}),
    ):
        assert reply.status == 503
        assert "maintenance" in reply.body["errors"]
        assert reply.headers["Retry-After"] == "5"
        assert "X-Ratelimit" in reply.headers
    assert (await api.call("GET", src, auth=None)).status == 200
    assert (await api.admin("GET", "/catalog")).status == 200


async def test_injected_server_errors_use_the_error_shape(api: SpiffyApi) -> None:
    await api.admin("PATCH", "/faults", {"error_rate": 1.0, "error_statuses": [502]})
    reply = await api.get("/api/products.json")
    assert (reply.status, reply.body) == (502, {"errors": "injected server error"})
    assert "X-Ratelimit" in reply.headers


async def test_store_prefix_knob_moves_the_api_under_the_store_name() -> None:
    emulator = seeded(3, owners=1, store_prefix="acme")
    assert ("API base URL", "{base_url}/acme/api") in emulator.credentials().lines
    async with running(emulator) as api:
        owner = api.owner("products")
        ok = await api.get(f"/acme/api/products/{owner.id}/images.json")
        assert ok.status == 200
        assert len(ok.body["images"]) == 3
        assert (await api.get("/api/products.json")).status == 404
        assert (await api.get("/other/api/products.json")).status == 404
        served = await api.call("GET", ok.body["images"][0]["src"], auth=None)
        assert served.status == 200
        await api.admin("PATCH", "/knobs", {"store_prefix": ""})
        assert (await api.get("/api/products.json")).status == 200
        assert (await api.get("/acme/api/products.json")).status == 404


async def test_oauth_token_exchange_on_both_documented_paths(api: SpiffyApi) -> None:
    form = b"client_id=demo&client_secret=demo&code=abc"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    gem = await api.call("POST", "/admin/oauth/token", raw=form, headers=headers, auth=None)
    readme = await api.call(
        "POST",
        "/api/oauth/token",
        {"client_id": "demo", "client_secret": "demo", "code": "xyz"},
        auth=None,
    )
    for reply in (gem, readme):
        assert reply.status == 200
        assert reply.body["access_token"] == "demo"
    token = f"Bearer {gem.body['access_token']}"
    assert (await api.call("GET", "/api/products.json", auth=token)).status == 200
    wrong = await api.call(
        "POST",
        "/api/oauth/token",
        {"client_id": "demo", "client_secret": "nope", "code": "x"},
        auth=None,
    )
    assert wrong.status == 401
    assert isinstance(wrong.body["errors"], str)
    no_code = await api.call(
        "POST", "/api/oauth/token", {"client_id": "demo", "client_secret": "demo"}, auth=None
    )
    assert no_code.status == 400


async def test_store_json_answers_with_credentials(api: SpiffyApi) -> None:
    reply = await api.get("/api/store.json")
    assert reply.status == 200
    assert reply.body["store"]["spiffystores_domain"] == "demo.spiffystores.com"
