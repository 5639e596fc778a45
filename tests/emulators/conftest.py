from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from syncer.emulators.server import serve
from tests.emulators.toy import ToyEmulator


@pytest.fixture
def toy() -> ToyEmulator:
    emulator = ToyEmulator()
    emulator.seed(4)
    return emulator


@pytest.fixture
async def toy_url(toy: ToyEmulator) -> AsyncIterator[str]:
    async with serve(toy) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
