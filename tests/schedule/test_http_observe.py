"""The HTTP layer tells the process's observer about attempts and retries, by target name."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest
from aiohttp import web

from syncer.engine.targets import build_targets, source_client
from syncer.http import HttpClient, Lane, RetryPolicy, observe, open_session
from syncer.jobs import load_job
from syncer.schedule.metrics import Metrics


@dataclass
class Recorder:
    requests: list[tuple[str, int | None]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    retries: list[str] = field(default_factory=list)

    def request(self, target: str, status: int | None, seconds: float, rate: float) -> None:
        self.requests.append((target, status))
        self.seconds.append(seconds)

    def retry(self, target: str, rate: float) -> None:
        self.retries.append(target)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    made = Recorder()
    previous = observe.set_observer(made)
    yield made
    observe.set_observer(previous)


@pytest.fixture
async def server() -> AsyncIterator[str]:
    """``/busy`` answers 429 (Retry-After: 0) to every other request, 200 otherwise; ``/file``
    does the same with a body to stream."""
    calls = {"busy": 0, "file": 0}

    def answer(name: str) -> web.Response:
        calls[name] += 1
        if calls[name] % 2:
            return web.Response(status=429, headers={"Retry-After": "0"}, text="slow down")
        return web.json_response({"ok": True})

    async def busy(request: web.Request) -> web.Response:
        return answer("busy")

    async def file(request: web.Request) -> web.Response:
        return answer("file")

    app = web.Application()
    app.router.add_get("/busy", busy)
    app.router.add_get("/file", file)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def client(session: aiohttp.ClientSession, url: str, lane: Lane) -> HttpClient:
    return HttpClient("spiffy", session, url, lane=lane, retry=RetryPolicy(base=0.0), seed=1)


async def test_a_429_then_200_is_one_retry_under_the_target_name(
    server: str, recorder: Recorder
) -> None:
    async with open_session() as session:
        answer = await client(session, server, Lane(name="shop")).request(
            "GET", "/busy", operation="list"
        )
    assert answer.status == 200
    assert recorder.requests == [("shop", 429), ("shop", 200)]
    assert recorder.retries == ["shop"]
    assert all(seconds >= 0 for seconds in recorder.seconds)


async def test_a_client_without_a_target_name_is_labelled_by_its_vendor(
    server: str, recorder: Recorder
) -> None:
    async with open_session() as session:
        http = client(session, server, Lane())
        async with http.stream("/file", operation="download") as chunks:
            body = b"".join([piece async for piece in chunks])
    assert b"ok" in body
    assert recorder.requests == [("spiffy", 429), ("spiffy", 200)]
    assert recorder.retries == ["spiffy"]


async def test_an_unanswered_attempt_is_observed_without_a_status(recorder: Recorder) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with open_session() as session:
        http = HttpClient(
            "spiffy", session, f"http://127.0.0.1:{port}", retry=RetryPolicy(attempts=1)
        )
        with pytest.raises(Exception, match="cannot connect"):
            await http.request("GET", "/x", operation="list")
    assert recorder.requests == [("spiffy", None)]


async def test_metrics_count_retries_429s_and_durations_by_target(server: str) -> None:
    metrics = Metrics()
    try:
        async with open_session() as session:
            await client(session, server, Lane(name="shop")).request(
                "GET", "/busy", operation="list"
            )
        text = metrics.render().decode()
    finally:
        metrics.close()
    assert 'syncer_http_retries_total{target="shop"} 1.0' in text
    assert 'syncer_http_rate_limited_total{target="shop"} 1.0' in text
    assert 'syncer_http_request_duration_seconds_count{target="shop"} 2.0' in text
    assert 'syncer_lane_rate{target="shop"}' in text


async def test_without_an_observer_requests_go_through(server: str) -> None:
    previous = observe.set_observer(None)
    try:
        async with open_session() as session:
            answer = await client(session, server, Lane(name="shop")).request(
                "GET", "/busy", operation="list"
            )
    finally:
        observe.set_observer(previous)
    assert answer.status == 200


async def test_the_engine_names_each_target_lane_after_its_target(tmp_path: Path) -> None:
    demo = (Path(__file__).parents[2] / "jobs" / "demo.toml").read_text()
    job_file = tmp_path / "named.toml"
    job_file.write_text(
        demo.replace(
            '[[targets]]\nvendor = "spiffy"', '[[targets]]\nname = "shop"\nvendor = "spiffy"'
        )
    )
    job = load_job(job_file)
    async with open_session() as session:
        (target,) = build_targets(job, session)
        source = source_client(job, session)
    assert cast(Any, target.client).http.label == "shop"
    assert cast(Any, source).http.label == "partium"
