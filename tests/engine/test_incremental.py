"""Incremental syncs (DESIGN §6, §9): a source with a watermark (BeProduct ``modifiedAt``) lists
only what changed; its tombstones delete directly; deletions by absence wait for the full sweep
that ``schedule.full_every`` (or ``sync --full``) brings. Sources without a watermark list
everything on every sync."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import pytest

from syncer.emulators.beproduct.emulator import BeProductEmulator
from syncer.emulators.images import generate
from syncer.emulators.partium.emulator import PartiumEmulator
from syncer.engine.run import Mode, run_job
from syncer.spool import Spool
from syncer.state import StateStore
from tests.engine.rigs import opened

JOB = """
[source]
vendor = "beproduct"
base_url = "${BEPRODUCT_URL}"
company_domain = "demo"
client_id = "demo"
client_secret = "demo"
refresh_token = "demo"
show_deleted = SHOW_DELETED
page_size = 4

[[targets]]
vendor = "partium"
base_url = "${PARTIUM_URL}"
api_key = "demo"
convert = "auto"

[targets.delete]
enabled = true
max_percent = 50

[targets.mapping]
default_owner = "part-0001"

[schedule]
full_every = "6h"
"""
SEEDED = 10


class Clock:
    """The state store's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    beproduct: BeProductEmulator
    partium: PartiumEmulator
    job: Any
    store: StateStore
    spool: Spool
    session: aiohttp.ClientSession
    clock: Clock

    async def run(self, mode: Mode, *, full: bool = False) -> Any:
        return await run_job(
            self.job, mode, store=self.store, spool=self.spool, session=self.session, full=full
        )

    def live_source(self) -> list[Any]:
        return [i for i in self.beproduct.store.iter_images() if not i.deleted]

    def target_count(self) -> int:
        return len(list(self.partium.store.iter_images()))


def make_world(show_deleted: bool, seeded: int = SEEDED) -> Callable[[Path], Any]:
    async def world(tmp_path: Path) -> AsyncIterator[World]:
        beproduct, partium = BeProductEmulator(), PartiumEmulator()
        beproduct.seed(seeded, 2, seed_value=5)
        partium.seed(0, 1)
        clock = Clock()
        text = JOB.replace("SHOW_DELETED", str(show_deleted).lower())
        emulators = {"BEPRODUCT_URL": beproduct, "PARTIUM_URL": partium}
        async with opened(tmp_path, text, emulators, clock=clock) as it:
            yield World(beproduct, partium, it.job, it.store, it.spool, it.session, clock)

    return world


world = pytest.fixture(make_world(show_deleted=False), name="world")
tombstones = pytest.fixture(make_world(show_deleted=True), name="tombstones")
catalog = pytest.fixture(make_world(show_deleted=False, seeded=60), name="catalog")


async def test_a_sync_after_a_migration_lists_only_what_changed(world: World) -> None:
    first = await world.run(Mode.MIGRATE)
    assert (first.listing, first.listed) == ("full", SEEDED)
    image = world.live_source()[3]
    world.beproduct.admin_edit(image, {}, generate(random.Random(4), ("png",)).data)
    world.beproduct.admin_add(
        world.beproduct.store.owners[image.owner],
        "new.png",
        generate(random.Random(8), ("png",)).data,
        {},
    )
    summary = await world.run(Mode.SYNC)
    assert summary.status == "succeeded", summary.errors
    assert summary.listing == "incremental"
    # The two changed headers, plus at most the header on the watermark itself (``Gte``).
    assert 2 <= summary.listed <= 3
    assert summary.done["partium.replace"] == 1
    assert summary.done["partium.create"] == 1
    assert world.target_count() == SEEDED + 1


async def test_a_quiet_incremental_sync_lists_almost_nothing(world: World) -> None:
    await world.run(Mode.MIGRATE)
    summary = await world.run(Mode.SYNC)
    assert summary.listing == "incremental"
    assert summary.listed <= 1  # only the header on the watermark (listed again by ``Gte``)
    assert sum(summary.done.values()) == 0


async def test_a_deletion_waits_for_the_full_sweep_that_full_every_brings(world: World) -> None:
    await world.run(Mode.MIGRATE)
    world.beproduct.admin_delete(world.live_source()[0])
    quick = await world.run(Mode.SYNC)
    assert quick.listing == "incremental"
    assert quick.done["partium.delete"] == 0  # an incremental listing cannot see it
    assert world.target_count() == SEEDED

    world.clock.now += timedelta(hours=5)  # full_every = 6h not yet over
    assert (await world.run(Mode.SYNC)).listing == "incremental"
    world.clock.now += timedelta(hours=2)
    full = await world.run(Mode.SYNC)
    assert (full.listing, full.listed) == ("full", SEEDED - 1)
    assert full.done["partium.delete"] == 1
    assert world.target_count() == SEEDED - 1
    # The full sweep restarts the clock: the next sync is incremental again.
    assert (await world.run(Mode.SYNC)).listing == "incremental"


async def test_sync_full_forces_a_full_listing_and_sweep(world: World) -> None:
    await world.run(Mode.MIGRATE)
    world.beproduct.admin_delete(world.live_source()[0])
    summary = await world.run(Mode.SYNC, full=True)
    assert summary.listing == "full"
    assert summary.done["partium.delete"] == 1


async def test_tombstones_in_an_incremental_listing_delete_directly(tombstones: World) -> None:
    world = tombstones
    await world.run(Mode.MIGRATE)
    world.beproduct.admin_delete(world.live_source()[2])
    summary = await world.run(Mode.SYNC)
    assert summary.listing == "incremental"
    assert summary.done["partium.delete"] == 1
    assert world.target_count() == SEEDED - 1
    again = await world.run(Mode.SYNC)
    assert sum(again.done.values()) == 0  # deleted once, and only once


async def test_a_guard_stopped_sweep_does_not_count_as_a_full_sweep(world: World) -> None:
    await world.run(Mode.MIGRATE)
    world.clock.now += timedelta(hours=7)
    for image in world.live_source()[:6]:  # 60% > max_percent = 50
        world.beproduct.admin_delete(image)
    stopped = await world.run(Mode.SYNC)
    assert (stopped.listing, stopped.status) == ("full", "stopped")
    # Still due: the next sync lists everything again and the guard trips again.
    again = await world.run(Mode.SYNC)
    assert (again.listing, again.status) == ("full", "stopped")
    assert world.target_count() == SEEDED


async def test_plan_shows_what_the_incremental_sync_would_list(world: World) -> None:
    await world.run(Mode.MIGRATE)
    world.beproduct.admin_add(
        world.beproduct.store.owners[world.live_source()[0].owner],
        "new.png",
        generate(random.Random(8), ("png",)).data,
        {},
    )
    plan = await world.run(Mode.PLAN)
    assert plan.listing == "incremental"
    assert plan.planned["partium.create"] == 1
    assert world.target_count() == SEEDED  # a plan writes nothing


async def test_a_stopped_incremental_listing_resumes_as_incremental(world: World) -> None:
    await world.run(Mode.MIGRATE)
    for index in range(6):  # more than a page (page_size = 4) of changes
        world.beproduct.admin_edit(world.live_source()[index], {"name": f"renamed {index}"}, None)
    world.beproduct.admin_delete(world.live_source()[-1])
    saved = await world.store.cursor(world.job.name, "beproduct")
    assert saved is not None
    source = world.job.source
    from syncer.state import PageCommit
    from syncer.vendors.beproduct.client import BeProductClient

    client = BeProductClient(source.settings(), world.session)
    first_page = await anext(aiter(client.pages(client.next_sync_cursor(saved.cursor))))
    assert not first_page.done
    run = await world.store.start_run(world.job.name, "sync")
    await world.store.commit_page(
        PageCommit(
            run_id=run.id,
            job=world.job.name,
            source="beproduct",
            cursor=first_page.cursor,
            complete=False,
            incremental=True,
        )
    )
    await world.store.finish_run(run.id, "interrupted", {})

    resumed = await world.run(Mode.SYNC)
    assert resumed.listing == "resumed"
    # Resumed after the first page of the incremental listing: it saw only the rest, so the
    # deletion (by absence) must wait for a full sweep, not be inferred from what it missed.
    assert resumed.done["partium.delete"] == 0
    assert world.target_count() == SEEDED


class DeletingAfterFirstPage:
    """The real source; after its first page is read, a user deletes that page's first image,
    so the later pages shift back by one and one image is never listed."""

    def __init__(self, real: Any, emulator: BeProductEmulator) -> None:
        self.real, self.emulator = real, emulator
        self.vendor, self.capabilities = real.vendor, real.capabilities

    def open(self, record: Any) -> Any:
        return self.real.open(record)

    async def pages(self, cursor: Any = None) -> Any:
        first = True
        async for page in self.real.pages(cursor):
            yield page
            if first:
                first = False
                key = page.records[0].key
                image = next(i for i in self.emulator.store.iter_images() if i.id == key)
                self.emulator.admin_delete(image)


async def test_a_listing_the_source_shifted_under_deletes_nothing_by_absence(
    world: World,
) -> None:
    from syncer.engine.run import JobRun

    await world.run(Mode.MIGRATE)
    world.clock.now += timedelta(hours=7)  # a full listing is due
    run = JobRun(world.job, world.store, world.spool, world.session, Mode.SYNC)
    run.source = DeletingAfterFirstPage(run.source, world.beproduct)
    shifted = await run.run()
    assert (shifted.listing, shifted.shifted) == ("full", True)
    assert shifted.listed == SEEDED - 1  # one image moved into the page already read: unlisted
    assert shifted.done["partium.delete"] == 0  # the skipped image is not taken for gone
    assert world.target_count() == SEEDED
    # Not counted as a sweep: the next sync lists everything again and deletes what is gone.
    after = await world.run(Mode.SYNC)
    assert (after.listing, after.shifted) == ("full", False)
    assert after.done["partium.delete"] == 1
    assert world.target_count() == SEEDED - 1


class Stopped(Exception):
    """Stands for a kill: the run ends where it is, its committed pages kept."""


class AfterPage:
    """The real source; once page ``number`` was handed on (before the next is asked for),
    ``then()`` runs: a user's edits at the source, or a stop."""

    def __init__(self, real: Any, number: int, then: Callable[[], Awaitable[None]]) -> None:
        self.real, self.number, self.then = real, number, then
        self.vendor, self.capabilities = real.vendor, real.capabilities

    def open(self, record: Any) -> Any:
        return self.real.open(record)

    async def pages(self, cursor: Any = None) -> Any:
        count = 0
        async for page in self.real.pages(cursor):
            yield page
            count += 1
            if count == self.number:
                await self.then()


async def target_sha(world: World, image: Any) -> str:
    """The sha256 of the bytes the target holds for source header ``image``."""
    link = (await world.store.links(world.job.name, "partium", [image.id]))[image.id]
    target = world.partium.store.image(link.target_id)
    assert target is not None
    return target.sha256


def new_bytes(seed: int) -> bytes:
    return generate(random.Random(seed), ("png",)).data


def add_one(world: World, beside: Any) -> None:
    """A user adds a header in the folder of ``beside``."""
    world.beproduct.admin_add(
        world.beproduct.store.owners[beside.owner], "new.png", new_bytes(8), {}
    )


async def test_a_header_edited_during_a_listing_is_seen_by_the_next_sync(world: World) -> None:
    """The listing pages in creation order: a header edited after its page was read, while a
    header added later shows a newer stamp, is older than the latest stamp the listing saw."""
    from syncer.engine.run import JobRun

    first = world.live_source()[0]

    async def edit_then_add() -> None:
        world.beproduct.admin_edit(first, {}, new_bytes(4))
        add_one(world, first)

    run = JobRun(world.job, world.store, world.spool, world.session, Mode.MIGRATE)
    run.source = AfterPage(run.source, 1, edit_then_add)
    migrated = await run.run()
    assert migrated.done["partium.create"] == SEEDED + 1
    before = await target_sha(world, first)

    summary = await world.run(Mode.SYNC)
    assert summary.listing == "incremental"
    assert summary.done["partium.replace"] == 1
    assert await target_sha(world, first) != before


async def test_a_stopped_full_sync_then_syncs_lose_no_change_and_no_deletion(
    catalog: World,
) -> None:
    """The issue's reproduction: 60 headers, ``sync --full`` stopped after 3 pages, then the
    first header gets new bytes, one header is added and one deleted, and three syncs run."""
    from syncer.engine.run import JobRun

    world = catalog
    await world.run(Mode.MIGRATE)
    first, doomed = world.live_source()[0], world.live_source()[30]
    before = await target_sha(world, first)

    run = JobRun(world.job, world.store, world.spool, world.session, Mode.SYNC, full=True)

    async def stop() -> None:
        while True:  # until this run committed the third page's cursor
            saved = await world.store.cursor(world.job.name, "beproduct")
            assert saved is not None
            if saved.run_id == run.summary.run_id and saved.cursor["paging"]["page"] >= 3:
                raise Stopped
            await anyio.sleep(0.01)

    run.source = AfterPage(run.source, 3, stop)
    try:
        await run.run()
    except* Stopped:
        pass
    saved = await world.store.cursor(world.job.name, "beproduct")
    assert saved is not None
    assert not saved.complete

    world.beproduct.admin_edit(first, {}, new_bytes(4))
    add_one(world, first)
    world.beproduct.admin_delete(doomed)
    kinds = [(await world.run(Mode.SYNC)).listing for _ in range(3)]

    # The resumed listing sweeps nothing by absence, so the next one lists in full and does.
    assert kinds == ["resumed", "full", "incremental"]
    assert await target_sha(world, first) != before
    assert world.target_count() == 60  # one added, one deleted
    link = await world.store.links(world.job.name, "partium", [doomed.id])
    assert doomed.id not in link
