"""Fixtures for the BeProduct emulator tests: a seeded emulator, raw HTTP and the official SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from beproduct.sdk import BeProduct

from syncer.emulators.beproduct.emulator import BeProductEmulator
from syncer.emulators.server import serve, serve_in_thread
from tests.emulators.beproduct.helpers import (
    FOLDERS,
    SEEDED,
    Api,
    fetch_token,
    image_bytes,
    sdk_client,
)


@pytest.fixture
def emulator() -> BeProductEmulator:
    """12 seeded headers in 3 folders."""
    emulator = BeProductEmulator()
    emulator.seed(SEEDED, owners=FOLDERS, seed_value=7)
    return emulator


@pytest.fixture
async def api(emulator: BeProductEmulator) -> AsyncIterator[Api]:
    """The emulator served in this test's loop, and a client holding an issued token."""
    async with serve(emulator) as base, aiohttp.ClientSession() as session:
        yield Api(base, session, await fetch_token(session, base))


@pytest.fixture
def served(emulator: BeProductEmulator) -> Iterator[str]:
    """The emulator served from a background thread (for the blocking SDK); its base URL."""
    with serve_in_thread(emulator) as base:
        yield base


@pytest.fixture
def client(served: str) -> BeProduct:
    """The official synchronous SDK client, unmodified, pointed at the emulator."""
    return sdk_client(served)


@pytest.fixture
def png_file(tmp_path: Path) -> Path:
    path = tmp_path / "new-artwork.png"
    path.write_bytes(image_bytes(11))
    return path
