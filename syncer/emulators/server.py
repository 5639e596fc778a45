"""Running an emulator: inside the current event loop, or in a thread of its own.

The thread form serves synchronous callers (the official SDKs' blocking clients) and keeps the
server's event loop apart from the test's.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from aiohttp import web

from syncer.emulators.base import VendorEmulator

LOOPBACK = "127.0.0.1"


@asynccontextmanager
async def serve(
    emulator: VendorEmulator, host: str = LOOPBACK, port: int = 0
) -> AsyncIterator[str]:
    """Serve ``emulator`` until the block ends; yields its base URL (port 0 picks a free one)."""
    runner = web.AppRunner(
        emulator.app(), access_log=None, handle_signals=False, shutdown_timeout=1.0
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        yield f"http://{bound_host}:{bound_port}"
    finally:
        await runner.cleanup()


@contextmanager
def serve_in_thread(emulator: VendorEmulator, host: str = LOOPBACK, port: int = 0) -> Iterator[str]:
    """Serve ``emulator`` from a background thread with its own event loop; yields the base URL."""
    started = threading.Event()
    failure: list[BaseException] = []
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    base_url: list[str] = []

    async def main() -> None:
        try:
            async with serve(emulator, host, port) as url:
                base_url.append(url)
                started.set()
                await stop.wait()
        except BaseException as exc:
            failure.append(exc)
            started.set()

    thread = threading.Thread(
        target=loop.run_until_complete,
        args=(main(),),
        name=f"emulator-{emulator.name}",
        daemon=True,
    )
    thread.start()
    started.wait(30)
    if failure or not base_url:
        thread.join(5)
        loop.close()
        raise RuntimeError(f"{emulator.name} emulator did not start") from (
            failure[0] if failure else None
        )
    try:
        yield base_url[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()
