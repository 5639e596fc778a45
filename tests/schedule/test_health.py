"""The health endpoint (/livez, /readyz, /metrics) against a stand-in scheduler, and healthcheck."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import aiohttp
import anyio
import pytest

from syncer.errors import ConfigError, SyncerError
from syncer.schedule.health import (
    DatabaseProbe,
    healthcheck,
    is_loopback,
    parse_address,
    serving,
)
from syncer.schedule.metrics import CONTENT_TYPE, Metrics

NEXT = datetime(2026, 12, 4, 18, 5, tzinfo=UTC)


@dataclass
class System:
    answers: bool = True
    pings: int = 0

    def ping(self) -> bool:
        self.pings += 1
        return self.answers


@dataclass
class Scheduler:
    """What the endpoint reads of a :class:`~syncer.schedule.service.Scheduler`."""

    launched: bool = True
    system: System = field(default_factory=System)
    running: list[str] = field(default_factory=list)
    catalog: Any = None
    handler: Any = None

    def __post_init__(self) -> None:
        def job(name: str, cron: str | None) -> Any:
            return SimpleNamespace(name=name, schedule=SimpleNamespace(cron=cron, timezone="UTC"))

        entries = [
            SimpleNamespace(job=job("demo", "*/5 * * * *"), error="", path="demo.toml"),
            SimpleNamespace(job=job("manual", None), error="bad key", path="manual.toml"),
            SimpleNamespace(job=None, error="not TOML", path="broken.toml"),
        ]
        self.catalog = SimpleNamespace(
            loads=1,
            entries=lambda: entries,
            errors=lambda: {e.path: e.error for e in entries if e.error},
        )
        self.handler = SimpleNamespace(
            active=SimpleNamespace(jobs=lambda: list(self.running)), stopping=threading.Event()
        )

    def next_runs(self) -> dict[str, datetime | None]:
        return {"demo": NEXT}


@pytest.fixture
async def metrics() -> AsyncIterator[Metrics]:
    made = Metrics(install=False)
    yield made
    made.close()


async def get(url: str) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return answer.status, answer.headers["Content-Type"], await answer.read()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_livez_and_a_ready_scheduler(metrics: Metrics) -> None:
    scheduler = Scheduler(running=["demo"])
    metrics.run_finished("demo", "succeeded", None, 1.0)
    async with serving("127.0.0.1:0", scheduler, metrics) as url:
        status, _, body = await get(f"{url}/livez")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        status, kind, body = await get(f"{url}/readyz")
    assert status == 200
    assert kind.startswith("application/json")
    ready = json.loads(body)
    assert ready["ready"] is ready["database"] is ready["launched"] is True
    assert ready["file_errors"] == {"manual.toml": "bad key", "broken.toml": "not TOML"}
    demo = ready["jobs"]["demo"]
    assert demo["cron"] == "*/5 * * * *"
    assert demo["timezone"] == "UTC"
    assert demo["next_run"] == NEXT.isoformat()
    assert demo["last_outcome"] == "succeeded"
    assert demo["last_success"] is not None
    assert demo["running"] is True
    assert demo["error"] is None
    manual = ready["jobs"]["manual"]
    assert manual["next_run"] is None
    assert manual["running"] is False
    assert manual["error"] == "bad key"
    assert manual["last_outcome"] is None


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"launched": False}, "DBOS not launched"),
        ({"database": False}, "database unreachable"),
        ({"loads": 0}, "job files not loaded"),
        ({"stopping": True}, "stopping"),
    ],
)
async def test_readyz_refuses_until_every_part_is_ready(
    metrics: Metrics, change: dict[str, Any], why: str
) -> None:
    scheduler = Scheduler(launched=change.get("launched", True))
    scheduler.system.answers = change.get("database", True)
    scheduler.catalog.loads = change.get("loads", 1)
    if change.get("stopping"):
        scheduler.handler.stopping.set()
    async with serving("127.0.0.1:0", scheduler, metrics) as url:
        status, _, body = await get(f"{url}/readyz")
        code, line = await anyio.to_thread.run_sync(healthcheck, f"{url}/readyz", 5.0)
    assert status == 503
    assert json.loads(body)["ready"] is False
    assert code == 1
    assert line.startswith(f"not ready: {why}")


async def test_metrics_page_and_healthcheck_of_a_ready_scheduler(metrics: Metrics) -> None:
    metrics.tick("demo", "ran")
    async with serving("127.0.0.1:0", Scheduler(), metrics) as url:
        status, kind, body = await get(f"{url}/metrics")
        code, line = await anyio.to_thread.run_sync(healthcheck, f"{url}/readyz", 5.0)
    assert (status, kind) == (200, CONTENT_TYPE)
    assert b'syncer_ticks_total{job="demo",outcome="ran"} 1.0' in body
    assert code == 0
    assert line.startswith("ready")


def test_healthcheck_of_a_closed_port_says_unreachable() -> None:
    url = f"http://127.0.0.1:{closed_port()}/readyz"
    code, line = healthcheck(url, 5.0)
    assert code == 1
    assert line.startswith(f"unreachable: {url}")


async def test_an_address_in_use_is_one_error_naming_it(metrics: Metrics) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        with pytest.raises(SyncerError) as caught:
            async with serving(address, Scheduler(), metrics):
                pass
    assert caught.value.exit_code == 5
    assert address in str(caught.value)
    assert "--metrics" in str(caught.value)


def test_addresses() -> None:
    assert parse_address("127.0.0.1:9464") == ("127.0.0.1", 9464)
    assert parse_address("[::1]:0") == ("::1", 0)
    for bad in ("9464", "host:", ":9464", "host:port", "h:70000"):
        with pytest.raises(ConfigError):
            parse_address(bad)
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("example.org")


async def test_the_database_probe_reuses_its_answer() -> None:
    scheduler = Scheduler()
    probe = DatabaseProbe(scheduler, None, ttl=3600)
    assert await probe.reachable()
    assert await probe.reachable()
    assert scheduler.system.pings == 1
    fresh = DatabaseProbe(scheduler, None, ttl=-1)  # never reused
    scheduler.system.answers = False
    assert not await fresh.reachable()
    assert not await fresh.reachable()
    assert scheduler.system.pings == 3
