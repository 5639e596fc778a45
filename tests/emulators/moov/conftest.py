"""Fixtures for the Moov emulator tests: a small seeded catalog served two ways."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from moovio_sdk import Moov
from moovio_sdk.models import components

from syncer.emulators.moov.emulator import MoovEmulator
from syncer.emulators.server import serve, serve_in_thread
from tests.emulators.moov.helpers import SEED_VALUE, SEEDED


@pytest.fixture
def emulator() -> MoovEmulator:
    """One account (the fixed demo account) holding SEEDED images."""
    emulator = MoovEmulator()
    emulator.seed(SEEDED, seed_value=SEED_VALUE)
    return emulator


@pytest.fixture
def base_url(emulator: MoovEmulator) -> Iterator[str]:
    """The emulator served from a background thread, for blocking clients."""
    with serve_in_thread(emulator) as url:
        yield url


@pytest.fixture
def moov(base_url: str) -> Iterator[Moov]:
    """The official SDK, unmodified, pointed at the emulator."""
    security = components.Security(username="demo", password="demo")
    with Moov(server_url=base_url, security=security) as client:
        yield client


@pytest.fixture
async def served(emulator: MoovEmulator) -> AsyncIterator[str]:
    """The emulator served in the test's own event loop."""
    async with serve(emulator) as url:
        yield url


@pytest.fixture
async def amoov(served: str) -> AsyncIterator[Moov]:
    security = components.Security(username="demo", password="demo")
    async with Moov(server_url=served, security=security) as client:
        yield client


@pytest.fixture
async def http(served: str) -> AsyncIterator[aiohttp.ClientSession]:
    """A raw HTTP client on the served emulator (no credentials by default)."""
    async with aiohttp.ClientSession(base_url=served) as session:
        yield session
