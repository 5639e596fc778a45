from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.emulators.spiffy.helpers import SpiffyApi, running, seeded


@pytest.fixture
async def api() -> AsyncIterator[SpiffyApi]:
    """A running emulator seeded with 20 small images over 10 owners of the three kinds."""
    async with running(seeded()) as client:
        yield client
