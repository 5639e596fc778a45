"""Each fault knob, on the toy vendor (vendor-specific shapes are tested with each vendor)."""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp
import pytest

from syncer.emulators.faults import FaultConfig, FaultInjector, TokenBucket
from tests.emulators.toy import ToyEmulator


async def _set_faults(http: aiohttp.ClientSession, url: str, **knobs: Any) -> dict[str, Any]:
    async with http.patch(f"{url}/_emulator/faults", json=knobs) as response:
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body


async def _stats(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with http.get(f"{url}/_emulator/stats") as response:
        body: dict[str, Any] = await response.json()
        return body


def test_latency_stays_within_the_jitter() -> None:
    faults = FaultInjector(FaultConfig(latency_ms=100, jitter_ms=20, seed=1))
    delays = [faults.delay() for _ in range(500)]
    assert min(delays) >= 0.080
    assert max(delays) <= 0.120
    assert max(delays) - min(delays) > 0.02  # it does jitter


async def test_latency_delays_the_answer(toy_url: str, http: aiohttp.ClientSession) -> None:
    await _set_faults(http, toy_url, latency_ms=150)
    started = time.monotonic()
    async with http.get(f"{toy_url}/items") as response:
        assert response.status == 200
    assert time.monotonic() - started >= 0.14


async def test_error_rate_one_answers_every_request_with_a_5xx_in_vendor_shape(
    toy_url: str, http: aiohttp.ClientSession
) -> None:
    await _set_faults(http, toy_url, error_rate=1.0, error_statuses=[502])
    async with http.get(f"{toy_url}/items") as response:
        assert response.status == 502
        assert await response.json() == {"problem": "injected server error"}


async def test_error_rate_is_a_fraction_and_counted(
    toy_url: str, http: aiohttp.ClientSession
) -> None:
    await _set_faults(http, toy_url, error_rate=0.3, seed=5)
    statuses = []
    for _ in range(200):
        async with http.get(f"{toy_url}/items") as response:
            statuses.append(response.status)
    failed = [s for s in statuses if s >= 500]
    assert set(failed) <= {500, 502, 503}
    assert 30 <= len(failed) <= 90
    stats = await _stats(http, toy_url)
    assert stats["injected"]["error"] == len(failed)


def test_token_bucket_allows_the_rate_then_refills() -> None:
    bucket = TokenBucket(rate=2.0, stamp=100.0)
    assert bucket.take(now=100.0) == 0.0
    assert bucket.take(now=100.0) == 0.0
    assert bucket.take(now=100.0) == pytest.approx(0.5)
    assert bucket.take(now=100.5) == 0.0  # half a second buys one token at 2/s


async def test_rate_limit_answers_429_with_retry_after(
    toy_url: str, http: aiohttp.ClientSession
) -> None:
    await _set_faults(http, toy_url, rate_limit=3)
    statuses = []
    for _ in range(6):
        async with http.get(f"{toy_url}/items") as response:
            statuses.append(response.status)
            if response.status == 429:
                assert int(response.headers["Retry-After"]) >= 1
                assert "rate limit" in (await response.json())["problem"]
    assert statuses[:3] == [200, 200, 200]
    assert 429 in statuses[3:]


async def test_connection_reset_drops_the_connection(
    toy_url: str, http: aiohttp.ClientSession
) -> None:
    await _set_faults(http, toy_url, reset_rate=1.0)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with http.get(f"{toy_url}/items"):
            pass
    stats = await _stats(http, toy_url)
    assert stats["injected"]["reset"] >= 1
    assert any(row["status"] == 0 for row in stats["requests"])


async def test_a_lost_answer_applies_the_write_then_resets(
    toy: ToyEmulator, toy_url: str, http: aiohttp.ClientSession
) -> None:
    await _set_faults(http, toy_url, lost_answer=1.0)
    async with http.get(f"{toy_url}/items") as response:
        assert response.status == 200  # reads are never lost
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with http.post(f"{toy_url}/items", json={"name": "kept"}):
            pass
    assert toy.created == [{"name": "kept"}]  # the write was applied all the same
    stats = await _stats(http, toy_url)
    assert stats["injected"]["lost_answer"] == 1
    assert any(row["status"] == 0 and row["method"] == "POST" for row in stats["requests"])


async def test_garbage_answers_200_with_truncated_json(
    toy_url: str, http: aiohttp.ClientSession
) -> None:
    await _set_faults(http, toy_url, garbage_rate=1.0)
    async with http.get(f"{toy_url}/items") as response:
        assert response.status == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(await response.text())
    assert (await _stats(http, toy_url))["injected"]["garbage"] == 1


async def test_maintenance_refuses_what_the_vendor_refuses(
    toy_url: str, http: aiohttp.ClientSession
) -> None:
    await _set_faults(http, toy_url, maintenance=True)
    async with http.post(f"{toy_url}/items", json={"a": 1}) as response:
        assert response.status == 503
        assert "maintenance" in (await response.json())["problem"]
    async with http.get(f"{toy_url}/items") as response:  # the toy keeps reads open
        assert response.status == 200


def test_maintenance_windows_open_and_close_on_schedule() -> None:
    faults = FaultInjector(FaultConfig(maintenance_every=10, maintenance_for=2))
    start = faults.started
    assert faults.in_maintenance(now=start + 0.5)
    assert faults.maintenance_left(now=start + 0.5) == pytest.approx(1.5)
    assert not faults.in_maintenance(now=start + 2.5)
    assert faults.in_maintenance(now=start + 11)
    assert not faults.in_maintenance(now=start + 19)


async def test_faults_never_touch_the_admin_api(toy_url: str, http: aiohttp.ClientSession) -> None:
    await _set_faults(http, toy_url, error_rate=1.0, maintenance=True, rate_limit=1)
    for _ in range(5):
        async with http.get(f"{toy_url}/_emulator/catalog") as response:
            assert response.status == 200
    assert (await _stats(http, toy_url))["total"] == 0


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        ({"error_rate": 2}, "error_rate must be between 0 and 1"),
        ({"latency_ms": 10, "jitter_ms": 20}, "jitter_ms must not exceed latency_ms"),
        ({"error_statuses": [404]}, "error_statuses must be 5xx"),
        ({"rate_limt": 3}, "unknown knob"),
        ({"latency_ms": "fast"}, "cannot use 'fast'"),
    ],
)
async def test_bad_fault_knobs_are_refused_and_change_nothing(
    toy_url: str, http: aiohttp.ClientSession, knobs: dict[str, Any], message: str
) -> None:
    async with http.patch(f"{toy_url}/_emulator/faults", json=knobs) as response:
        assert response.status == 400
        assert message in (await response.json())["error"]
    async with http.get(f"{toy_url}/_emulator/faults") as response:
        assert await response.json() == FaultConfig().to_json()


def test_the_fault_seed_makes_failures_reproducible() -> None:
    def pattern() -> list[int | None]:
        faults = FaultInjector(FaultConfig(error_rate=0.5, seed=9))
        return [faults.error_status() for _ in range(50)]

    assert pattern() == pattern()


async def test_counters_report_per_route_and_status(
    toy: ToyEmulator, toy_url: str, http: aiohttp.ClientSession
) -> None:
    for path in ("/items", "/items", "/items/i0", "/items/missing"):
        async with http.get(toy_url + path):
            pass
    rows = {
        (r["method"], r["route"], r["status"]): r["count"]
        for r in (await _stats(http, toy_url))["requests"]
    }
    assert rows == {
        ("GET", "/items", 200): 2,
        ("GET", "/items/{id}", 200): 1,
        ("GET", "/items/{id}", 404): 1,
    }
    async with http.delete(f"{toy_url}/_emulator/stats"):
        pass
    assert (await _stats(http, toy_url))["total"] == 0
