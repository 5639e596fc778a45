"""The scheduler's HTTP endpoint (``/metrics``, ``/livez``, ``/readyz``) and ``syncer healthcheck``.

``/livez`` answers 200 while the process's event loop does. ``/readyz`` answers 200 when the
scheduler has launched DBOS, has loaded its job files, is not stopping and its database answers
(a probe run in a thread, its answer kept :data:`PING_CACHE` seconds so that a busy prober never
floods the database), else 503; its JSON body says which part is missing and how every job
stands. The endpoint binds loopback by default; another address is the user's explicit choice,
logged as a warning. :func:`healthcheck` asks ``/readyz`` with the standard library only, for
containers without curl. aiohttp is imported only when the endpoint starts: the health check
stays light.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio

from syncer.errors import ConfigError, SyncerError

if TYPE_CHECKING:
    from aiohttp import web

    from syncer.schedule.metrics import Metrics

log = logging.getLogger("syncer.schedule")

DEFAULT_ADDRESS = "127.0.0.1:9464"
DEFAULT_URL = f"http://{DEFAULT_ADDRESS}/readyz"
#: Seconds a database probe's answer is reused.
PING_CACHE = 2.0
#: Seconds the endpoint waits for requests in flight when it stops.
SHUTDOWN_TIMEOUT = 1.0
#: Why ``/readyz`` refuses, by the body's key that is false.
NOT_READY = {
    "launched": "DBOS not launched",
    "loaded": "job files not loaded",
    "database": "database unreachable",
    "serving": "stopping (a signal was received)",
}


def parse_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) as a host and a port; port 0 picks a free one."""
    host, colon, port = address.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        raise ConfigError(f"--metrics {address!r} is not HOST:PORT (e.g. {DEFAULT_ADDRESS}) or off")
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class DatabaseProbe:
    """``system.ping()`` in a thread, one at a time, its answer reused for ``ttl`` seconds."""

    def __init__(self, scheduler: Any, metrics: Metrics | None, ttl: float = PING_CACHE) -> None:
        self.scheduler = scheduler
        self.metrics = metrics
        self.ttl = ttl
        self._lock = anyio.Lock()
        self._answer: tuple[float, bool] | None = None

    async def reachable(self) -> bool:
        async with self._lock:
            if self._answer is None or time.monotonic() - self._answer[0] > self.ttl:
                ok = bool(await anyio.to_thread.run_sync(self.scheduler.system.ping))
                self._answer = (time.monotonic(), ok)
                if self.metrics is not None:
                    self.metrics.database(ok)
            return self._answer[1]


def readiness(scheduler: Any, metrics: Metrics | None, database: bool) -> dict[str, Any]:
    """The body of ``/readyz``: each part, and how every job stands."""
    launched = bool(scheduler.launched)
    loaded = scheduler.catalog.loads > 0
    serving = not scheduler.handler.stopping.is_set()
    return {
        "ready": launched and loaded and database and serving,
        "database": database,
        "launched": launched,
        "loaded": loaded,
        "serving": serving,
        "jobs": jobs_status(scheduler, metrics),
        "file_errors": scheduler.catalog.errors(),
    }


def jobs_status(scheduler: Any, metrics: Metrics | None) -> dict[str, dict[str, Any]]:
    """Every loaded job: its cron, next run, latest outcome and success, whether it runs now."""
    next_runs = scheduler.next_runs()
    running = set(scheduler.handler.active.jobs())
    found: dict[str, dict[str, Any]] = {}
    for entry in scheduler.catalog.entries():
        job = entry.job
        if job is None or job.name in found:
            continue
        last = metrics.last_run(job.name) if metrics is not None else None
        upcoming = next_runs.get(job.name)
        found[job.name] = {
            "cron": job.schedule.cron,
            "timezone": job.schedule.timezone,
            "next_run": upcoming.isoformat() if upcoming is not None else None,
            "last_success": last.success.isoformat() if last and last.success else None,
            "last_outcome": last.outcome if last else None,
            "running": job.name in running,
            "error": entry.error or None,
        }
    return found


def health_app(scheduler: Any, metrics: Metrics | None) -> web.Application:
    """The aiohttp application of the endpoint."""
    from aiohttp import web

    from syncer.schedule.metrics import CONTENT_TYPE

    probe = DatabaseProbe(scheduler, metrics)

    async def livez(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        body = readiness(scheduler, metrics, await probe.reachable())
        return web.json_response(body, status=200 if body["ready"] else 503)

    async def metrics_page(request: web.Request) -> web.Response:
        page = metrics.render() if metrics is not None else b""
        return web.Response(body=page, headers={"Content-Type": CONTENT_TYPE})

    app = web.Application()
    app.router.add_get("/livez", livez)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
    return app


@asynccontextmanager
async def serving(address: str, scheduler: Any, metrics: Metrics | None) -> AsyncIterator[str]:
    """Serve the endpoint on ``address`` (``HOST:PORT``) while the block runs; its base URL.

    An address in use is a :class:`SyncerError` (exit 5) naming it and ``--metrics``.
    """
    from aiohttp import web

    host, port = parse_address(address)
    if not is_loopback(host):
        log.warning(
            "the metrics endpoint listens on %s, beyond this host's loopback: publish it only "
            "where Prometheus alone can reach it",
            address,
        )
    runner = web.AppRunner(
        health_app(scheduler, metrics), access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise _bind_error(address, exc) from None
    try:
        bound = runner.addresses[0][1]
        url = f"http://{f'[{host}]' if ':' in host else host}:{bound}"
        log.info("metrics on %s/metrics, health on %s/livez and %s/readyz", url, url, url)
        yield url
    finally:
        await runner.cleanup()


def _bind_error(address: str, exc: OSError) -> SyncerError:
    if exc.errno == errno.EADDRINUSE:
        return SyncerError(
            f"cannot serve metrics on {address}: the address is in use (another scheduler?); "
            "choose another with --metrics HOST:PORT, or --metrics off"
        )
    reason = exc.strerror or str(exc)
    return SyncerError(f"cannot serve metrics on {address}: {reason}; check --metrics HOST:PORT")


def healthcheck(url: str = DEFAULT_URL, timeout: float = 5.0) -> tuple[int, str]:
    """Ask ``url`` (a scheduler's ``/readyz``); 0 and ``ready`` when it answers 200, else 1 and
    one line saying why: which part is not ready, or that the URL is unreachable. Proxies set
    in the environment are not used (the endpoint is local)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as answer:
            return 0, f"ready ({url} answered {answer.status})"
    except urllib.error.HTTPError as exc:
        with exc:
            body = exc.read()
        return 1, f"not ready: {_why(exc.code, body)} ({url})"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return 1, f"unreachable: {url} ({reason})"


def _why(status: int, body: bytes) -> str:
    """What a refusing ``/readyz`` says is missing (its JSON body), or its status."""
    try:
        parts = json.loads(body)
    except ValueError:
        parts = None
    if not isinstance(parts, dict):
        return f"HTTP {status}"
    missing = [why for key, why in NOT_READY.items() if parts.get(key) is False]
    return ", ".join(missing) or f"HTTP {status}"
