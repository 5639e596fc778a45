"""A periodic maintenance window announces when it ends, not a fixed 5 s."""

from __future__ import annotations

import time

import aiohttp

from syncer.emulators.faults import FaultConfig
from syncer.emulators.moov.emulator import MoovEmulator
from tests.emulators.moov.helpers import AUTH, images_path


async def test_a_periodic_window_says_when_it_ends(
    emulator: MoovEmulator, http: aiohttp.ClientSession
) -> None:
    emulator.faults.configure(FaultConfig(maintenance_every=100.0, maintenance_for=3.0))
    emulator.faults.started = time.monotonic() - 0.5  # half a second into the window
    async with http.get(images_path(), headers=AUTH) as refused:
        assert refused.status == 503
        assert refused.headers["Retry-After"] == "3"  # 2.5 s left, in whole seconds
    emulator.faults.started -= 2.4  # 0.1 s left: still at least one second
    async with http.get(images_path(), headers=AUTH) as refused:
        assert refused.status == 503
        assert refused.headers["Retry-After"] == "1"
