"""The HTTP layer against the toy emulator: typed errors, retries, Retry-After, auth, bodies."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import aiohttp
import anyio
import pytest
from aiohttp import web

from syncer.emulators.faults import FaultConfig
from syncer.emulators.server import serve
from syncer.errors import (
    AuthenticationError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    RequestBuildError,
    UnavailableError,
    ValidationError,
)
from syncer.http import (
    AdaptiveRateLimiter,
    BasicAuth,
    BearerAuth,
    HttpClient,
    Redactor,
    RetryPolicy,
    open_session,
    parse_retry_after,
)
from tests.emulators.toy import ToyEmulator

QUICK = RetryPolicy(attempts=6, base=0.01, cap=0.05)


@pytest.fixture
async def toy() -> AsyncIterator[tuple[ToyEmulator, str, aiohttp.ClientSession]]:
    emulator = ToyEmulator()
    emulator.seed(3)
    async with serve(emulator) as url, open_session() as session:
        yield emulator, url, session


def client(url: str, session: aiohttp.ClientSession, **kwargs: Any) -> HttpClient:
    kwargs.setdefault("retry", QUICK)
    return HttpClient("toy", session, url, seed=1, **kwargs)


async def test_transient_faults_are_retried_until_the_answer(toy: Any) -> None:
    emulator, url, session = toy
    emulator.faults.configure(FaultConfig(error_rate=0.3, reset_rate=0.1, seed=4))
    http = client(url, session)
    for _ in range(15):
        assert await http.json("GET", "/items", operation="list") == ["i0", "i1", "i2"]
    assert http.retries > 0
    assert http.retries <= sum(emulator.injected.values())


async def test_retries_are_bounded_and_the_last_error_is_typed(toy: Any) -> None:
    emulator, url, session = toy
    emulator.faults.configure(FaultConfig(error_rate=1.0, error_statuses=(503,)))
    http = client(url, session, retry=RetryPolicy(attempts=3, base=0.01))
    with pytest.raises(UnavailableError, match="toy list: server error") as failed:
        await http.request("GET", "/items", operation="list")
    assert failed.value.status == 503
    assert http.attempts == 3


async def test_retry_after_is_honoured(toy: Any) -> None:
    emulator, url, session = toy
    emulator.faults.configure(FaultConfig(rate_limit=1))
    http = client(url, session)
    await http.request("GET", "/items", operation="list")
    started = time.monotonic()
    await http.request("GET", "/items", operation="list")  # 429, Retry-After: 1
    assert time.monotonic() - started >= 0.9
    assert emulator.injected["rate_limited"] >= 1
    assert http.lane.rate.rate is not None  # the lane now paces itself


@pytest.mark.parametrize(
    ("path", "error", "text"),
    [
        ("/items/nope", NotFoundError, 'toy get [x]: not found: {"problem": "Item not found"}'),
        ("/nothing/here", NotFoundError, "(HTTP 404)"),
    ],
)
async def test_statuses_become_typed_errors_naming_vendor_operation_and_item(
    toy: Any, path: str, error: type[Exception], text: str
) -> None:
    _, url, session = toy
    with pytest.raises(error) as refused:
        await client(url, session).request("GET", path, operation="get", item="x")
    assert text in str(refused.value)


async def test_malformed_json_is_a_protocol_error_not_a_crash(toy: Any) -> None:
    emulator, url, session = toy
    emulator.faults.configure(FaultConfig(garbage_rate=1.0))
    with pytest.raises(ProtocolError, match="malformed JSON"):
        await client(url, session).json("GET", "/items", operation="list")


async def test_a_refused_body_is_a_validation_error_not_retried(toy: Any) -> None:
    _, url, session = toy
    http = client(url, session)
    with pytest.raises(ValidationError, match="malformed JSON body"):
        await http.request("POST", "/items", operation="create", body=lambda: b"{oops")
    assert http.attempts == 1


async def test_an_unreachable_vendor_says_so(toy: Any) -> None:
    _, _, session = toy
    http = client("http://127.0.0.1:9", session, retry=RetryPolicy(attempts=2, base=0.01))
    with pytest.raises(NetworkError, match=r"cannot connect to http://127\.0\.0\.1:9"):
        await http.request("GET", "/items", operation="list")


async def test_the_body_is_rebuilt_for_every_attempt(toy: Any) -> None:
    emulator, url, session = toy
    emulator.faults.configure(FaultConfig(error_rate=0.5, seed=2))
    built: list[int] = []

    def body() -> bytes:
        built.append(1)
        return b'{"n": 1}'

    http = client(url, session)
    for _ in range(5):
        await http.request("POST", "/items", operation="create", body=body, ok=(201,))
    assert len(built) == http.attempts > 5


async def test_an_ambiguous_write_is_not_blindly_retried(toy: Any) -> None:
    emulator, url, session = toy
    emulator.faults.configure(FaultConfig(reset_rate=1.0))
    http = client(url, session)
    with pytest.raises(NetworkError) as broken:
        await http.request(
            "POST", "/items", operation="create", body=lambda: b"{}", ok=(201,), idempotent=False
        )
    assert broken.value.ambiguous
    assert http.retries == 0


async def test_429_and_503_are_retried_even_for_writes(toy: Any) -> None:
    emulator, url, session = toy
    emulator.faults.configure(FaultConfig(error_rate=0.5, error_statuses=(503,), seed=3))
    http = client(url, session)
    for _ in range(5):
        await http.request(
            "POST", "/items", operation="create", body=lambda: b"{}", ok=(201,), idempotent=False
        )
    assert http.retries > 0


async def test_stream_yields_the_bytes_in_chunks(toy: Any) -> None:
    emulator, url, session = toy
    image = emulator.store.images["i1"]
    async with client(url, session).stream(
        "/_emulator/images/i1/bytes", operation="open", chunk=1024
    ) as chunks:
        pieces = [piece async for piece in chunks]
    assert b"".join(pieces) == emulator.store.data(image)
    assert len(pieces) > 1


async def _refreshing_app(tokens: list[str]) -> web.Application:
    async def protected(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {tokens[-1]}":
            return web.json_response({"error": "expired"}, status=401)
        return web.json_response({"ok": True})

    async def token(request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("client_secret") != "right-secret":
            return web.json_response({"error": "invalid_client"}, status=401)
        tokens.append(f"tok{len(tokens)}")
        return web.json_response(
            {
                "access_token": tokens[-1],
                "expires_in": 3600,
                "refresh_token": f"rotated{len(tokens)}",
            }
        )

    app = web.Application()
    app.router.add_get("/protected", protected)
    app.router.add_post("/token", token)
    return app


async def test_a_401_refreshes_the_token_once_and_adopts_a_rotated_refresh_token() -> None:
    from syncer.http import OAuthRefreshAuth

    tokens: list[str] = []
    runner = web.AppRunner(await _refreshing_app(tokens), shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with open_session() as session:
            auth = OAuthRefreshAuth(
                f"{url}/token",
                "cid",
                "right-secret",
                "first",
                vendor="toy",
                setting="toy.client_secret",
            )
            http = client(url, session, auth=auth)
            await http.request("GET", "/protected", operation="get")
            tokens.append("revoked-by-server")  # the server moves on: our token is now stale
            await http.request("GET", "/protected", operation="get")
            assert auth.refresh_token == "rotated3"
            wrong = OAuthRefreshAuth(
                f"{url}/token",
                "cid",
                "wrong-secret",
                "first",
                vendor="toy",
                setting="toy.client_secret",
            )
            with pytest.raises(AuthenticationError, match=r"check toy\.client_secret"):
                await client(url, session, auth=wrong).request("GET", "/protected", operation="get")
    finally:
        await runner.cleanup()


async def test_secrets_never_reach_error_messages_or_logs(
    toy: Any, caplog: pytest.LogCaptureFixture
) -> None:
    emulator, url, session = toy
    secret = "s3cr3t-password"
    emulator.faults.configure(FaultConfig(error_rate=1.0, error_statuses=(500,)))
    http = client(
        url,
        session,
        auth=BasicAuth("user", secret, setting="toy.password"),
        retry=RetryPolicy(attempts=2, base=0.01),
    )
    with (
        caplog.at_level(logging.INFO, logger="syncer.http"),
        pytest.raises(UnavailableError) as failed,
    ):
        await http.request("GET", f"/items?echo={secret}", operation="list")
    assert secret not in str(failed.value)
    assert secret not in caplog.text
    assert "retry 1/1" in caplog.text


def test_redactor_masks_secrets_and_their_basic_form() -> None:
    redact = Redactor(["abc123"])
    redact.add_basic("demo", "pw-9876")
    assert redact("token abc123, header Basic ZGVtbzpwdy05ODc2") == "token ***, header Basic ***"
    assert BearerAuth("tok-42", setting="x").secrets() == ["tok-42"]


def test_retry_after_parses_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after("yesterday-ish", now) is None
    assert parse_retry_after(None, now) is None


def test_backoff_grows_with_jitter_and_respects_retry_after() -> None:
    policy = RetryPolicy(base=1.0, cap=8.0, max_retry_after=60)
    rng = random.Random(0)
    assert all(0 <= policy.delay(1, None, rng) <= 1.0 for _ in range(50))
    assert max(policy.delay(6, None, rng) for _ in range(200)) <= 8.0
    assert all(12.0 <= policy.delay(1, 12.0, rng) <= 14.0 for _ in range(50))
    assert all(60.0 <= policy.delay(1, 600.0, rng) <= 62.0 for _ in range(50))
    assert len({policy.delay(1, 5.0, rng) for _ in range(20)}) > 1  # spread, not lockstep


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_rate_limiter_spaces_requests_and_halves_on_429() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(10.0, clock=clock, sleep=clock.sleep)
    for _ in range(10):
        await limiter.acquire()
    assert clock.now == pytest.approx(0.9)  # ten requests, 0.1 s apart
    limiter.throttled(retry_after=2.0)
    limiter.throttled(retry_after=2.0)  # a second 429 of the same burst does not cut again
    assert limiter.rate == pytest.approx(5.0)
    await limiter.acquire()
    assert clock.now == pytest.approx(2.9)  # paused for Retry-After


async def test_a_pause_holds_every_request_but_keeps_the_rate() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(4.0, clock=clock, sleep=clock.sleep)
    limiter.pause(3.0)
    await limiter.acquire()
    await limiter.acquire()
    assert clock.now == pytest.approx(3.25)
    assert limiter.rate == 4.0


async def test_maintenance_pauses_the_lane(toy: Any) -> None:
    emulator, url, session = toy
    emulator.faults.configure(FaultConfig(maintenance_every=60, maintenance_for=1))
    http = client(url, session)
    await http.request("POST", "/items", operation="create", body=lambda: b"{}", ok=(201,))
    assert http.retries >= 1
    assert http.lane.rate.rate is None  # paused, not slowed


async def test_rate_limiter_settles_near_the_real_limit() -> None:
    """A simulated vendor allowing 20 requests/s: the lane ends between 70% and 110% of it."""
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(None, clock=clock, sleep=clock.sleep)
    allowed, window, rates = 20, list[float](), list[float]()
    for _ in range(3000):
        await limiter.acquire()
        window = [t for t in window if t > clock.now - 1.0]
        if len(window) >= allowed:
            limiter.throttled(retry_after=None)
        else:
            window.append(clock.now)
            limiter.succeeded()
        clock.now += 0.001
        rates.append(limiter.rate or 0)
    settled = rates[-1000:]
    assert 14 <= sum(settled) / len(settled) <= 22


async def test_a_request_that_cannot_be_built_fails_its_item_not_the_caller(toy: Any) -> None:
    """aiohttp refuses a control character in a multipart file name (issue 8 item 4): the
    ValueError becomes a terminal RequestBuildError naming vendor, operation and item."""
    _, url, session = toy

    def body() -> aiohttp.FormData:
        form = aiohttp.FormData()
        form.add_field("file", b"bytes", filename="evil\r\nx.png")
        return form

    http = client(url, session)
    with pytest.raises(RequestBuildError, match=r"toy create \[k1\]: the request could not be"):
        await http.request("POST", "/items", operation="create", item="k1", body=body)
    assert not RequestBuildError.transient


def test_upload_file_names_are_made_safe_keeping_the_extension() -> None:
    from syncer.vendors.names import safe_filename

    assert safe_filename("evil\r\nx.png", "k") == "evilx.png"
    assert safe_filename("\r\n", "k.jpg") == "k.jpg"
    assert safe_filename("\n.png", "k") == "k.png"
    assert safe_filename("", "\n") == "image"


async def test_a_hung_vendor_gives_up_soon_and_says_how_long_how_often_and_which_key() -> None:
    """A vendor that never answers: two read timeouts, not six, and a message a user can act on."""
    hits = 0

    async def hang(request: web.Request) -> web.Response:
        nonlocal hits
        hits += 1
        await anyio.sleep(30)
        return web.Response(text="late")

    app = web.Application()
    app.router.add_get("/items", hang)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with open_session() as session:
            http = HttpClient(
                "spiffy", session, f"http://127.0.0.1:{port}", retry=QUICK, timeout=0.2, seed=1
            )
            with pytest.raises(NetworkError) as raised:
                await http.request("GET", "/items", operation="list")
    finally:
        await runner.cleanup()
    assert hits == 2
    message = str(raised.value)
    assert "no answer after 0.2 s, 2 attempts" in message
    assert "spiffy.timeout" in message


async def test_a_renewal_that_keeps_failing_ends_the_request_after_its_own_retries() -> None:
    hits: list[int] = []

    async def protected(request: web.Request) -> web.Response:
        hits.append(1)
        return web.json_response({"error": "expired"}, status=401)

    class FlakyRenewal(BearerAuth):
        renewals = 0

        async def refresh(self, session: aiohttp.ClientSession) -> bool:
            self.renewals += 1
            raise NetworkError("token endpoint unreachable", vendor="toy")

    app = web.Application()
    app.router.add_get("/protected", protected)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        async with open_session() as session:
            auth = FlakyRenewal("tok", "toy.token")
            http = client(f"http://127.0.0.1:{runner.addresses[0][1]}", session, auth=auth)
            with pytest.raises(NetworkError, match="token endpoint") as error:
                await http.request("GET", "/protected", operation="get")
    finally:
        await runner.cleanup()
    assert error.value.operation == "get"
    assert (len(hits), auth.renewals) == (1, QUICK.attempts)  # no retries of retries
