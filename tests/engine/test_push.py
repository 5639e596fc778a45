"""Pushing to a target that batches (Partium): the ops waiting in the stream go out as one
upsert or one delete, and each item is settled on its own result."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from syncer.emulators.base import VendorEmulator
from syncer.emulators.partium.emulator import PartiumEmulator
from syncer.engine.run import Mode, run_job
from syncer.spool import Spool
from syncer.state import StateStore
from tests.engine.rigs import opened

JOB = """
[source]
vendor = "partium"
base_url = "${SOURCE_URL}"
api_key = "demo"

[[targets]]
name = "parts"
vendor = "partium"
base_url = "${TARGET_URL}"
api_key = "demo"
concurrency = 2

[targets.delete]
enabled = true
max_percent = 100

[targets.mapping]
default_owner = "part-0001"
"""
IMAGES = 40


@dataclass
class World:
    source: PartiumEmulator
    target: PartiumEmulator
    job: Any
    store: StateStore
    spool: Spool
    session: aiohttp.ClientSession

    async def run(self, mode: Mode) -> Any:
        return await run_job(
            self.job, mode, store=self.store, spool=self.spool, session=self.session
        )


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    source, target = PartiumEmulator(), PartiumEmulator()
    source.seed(IMAGES, 3, seed_value=21)
    target.seed(0, 1)
    async with opened(tmp_path, JOB, {"SOURCE_URL": source, "TARGET_URL": target}) as it:
        yield World(source, target, it.job, it.store, it.spool, it.session)


def writes(emulator: VendorEmulator, method: str) -> int:
    return sum(
        n
        for (m, route, _status), n in emulator.requests.items()
        if m == method and route == "/1/catalog/images"
    )


async def test_creates_and_deletes_go_out_in_batches(world: World) -> None:
    summary = await world.run(Mode.MIGRATE)
    assert summary.status == "succeeded", summary.errors
    assert summary.done["parts.create"] == IMAGES
    source = sorted(i.sha256 for i in world.source.store.iter_images())
    assert sorted(i.sha256 for i in world.target.store.iter_images()) == source
    assert writes(world.target, "POST") <= IMAGES // 4  # not one upsert per image

    for image in list(world.source.store.iter_images()):
        world.source.admin_delete(image)
    swept = await world.run(Mode.SYNC)
    assert swept.done["parts.delete"] == IMAGES
    assert list(world.target.store.iter_images()) == []
    assert writes(world.target, "DELETE") <= IMAGES // 4


async def test_a_refused_item_fails_alone_and_the_rest_of_its_batch_lands(world: World) -> None:
    sizes = sorted(i.size for i in world.source.store.iter_images())
    limit = sizes[len(sizes) // 2]
    world.target.knobs.max_file_bytes = limit
    over = sum(size > limit for size in sizes)
    summary = await world.run(Mode.MIGRATE)
    assert summary.status == "partial"
    assert summary.failed["parts.create"] == over
    assert summary.done["parts.create"] == IMAGES - over
    assert len(list(world.target.store.iter_images())) == IMAGES - over
    failed = await world.store.failed_ops(world.job.name)
    assert len(failed) == over
    assert all(op.state == "failed_terminal" for op in failed)  # too big: retrying won't help
