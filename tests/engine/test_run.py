"""A job run end to end on in-process emulators: migrate, then an incremental sync after the
source changed, then a plan that changes nothing."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import pytest

from syncer.emulators.images import generate
from syncer.emulators.partium.emulator import PartiumEmulator
from syncer.emulators.spiffy.emulator import SpiffyEmulator
from syncer.engine.run import Mode, run_job
from syncer.errors import ProtocolError, ValidationError, VendorError
from syncer.jobs import load_job
from syncer.spool import Spool
from syncer.state import StateStore
from tests.engine.rigs import opened

JOB = """
[source]
vendor = "partium"
base_url = "${PARTIUM_URL}"
api_key = "demo"

[[targets]]
name = "shop"
vendor = "spiffy"
base_url = "${SPIFFY_URL}"
api_key = "demo"
password = "demo"

[targets.delete]
enabled = true
max_percent = 50

[targets.mapping]
owners = { "part-0001" = "products/100001" }
default_owner = "products/100002"
"""


@dataclass
class World:
    partium: PartiumEmulator
    spiffy: SpiffyEmulator
    job: Any
    store: StateStore
    spool: Spool
    session: aiohttp.ClientSession

    async def run(self, mode: Mode) -> Any:
        return await run_job(
            self.job, mode, store=self.store, spool=self.spool, session=self.session
        )

    def source_shas(self) -> list[str]:
        return sorted(i.sha256 for i in self.partium.store.iter_images())

    def target_shas(self) -> list[str]:
        return sorted(i.sha256 for i in self.spiffy.store.iter_images())


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    partium, spiffy = PartiumEmulator(), SpiffyEmulator()
    partium.seed(12, 2, seed_value=3)
    spiffy.seed(0, 2)
    async with opened(tmp_path, JOB, {"PARTIUM_URL": partium, "SPIFFY_URL": spiffy}) as it:
        yield World(partium, spiffy, it.job, it.store, it.spool, it.session)


async def test_migrate_copies_every_image_with_its_bytes(world: World) -> None:
    summary = await world.run(Mode.MIGRATE)
    assert summary.status == "succeeded", summary.errors
    assert summary.done["shop.create"] == 12
    assert world.target_shas() == world.source_shas()
    owners = {i.owner for i in world.spiffy.store.iter_images()}
    assert owners == {"100001", "100002"}


async def test_a_second_run_changes_nothing_and_reads_no_bytes_again(world: World) -> None:
    await world.run(Mode.MIGRATE)
    again = await world.run(Mode.SYNC)
    assert again.status == "succeeded"
    assert sum(again.done.values()) == 0
    assert again.skipped["shop: unchanged"] == 12


async def test_sync_follows_adds_edits_and_deletes(world: World) -> None:
    await world.run(Mode.MIGRATE)
    images = list(world.partium.store.iter_images())
    new_bytes = generate(random.Random(99), ("png",)).data
    world.partium.admin_edit(images[0], {}, new_bytes)
    world.partium.admin_delete(images[1])
    added = world.partium.admin_add(
        world.partium.store.owners["part-0001"],
        "new.png",
        generate(random.Random(7), ("jpeg",)).data,
        {},
    )
    summary = await world.run(Mode.SYNC)
    assert summary.status == "succeeded", summary.errors
    assert summary.done["shop.replace"] == 1
    assert summary.done["shop.delete"] == 1
    assert summary.done["shop.create"] == 1
    assert world.target_shas() == world.source_shas()
    assert added.sha256 in world.target_shas()


async def test_a_replace_on_a_target_that_gives_it_a_new_id_says_so(world: World) -> None:
    from syncer.engine.report import summary_text

    await world.run(Mode.MIGRATE)
    image = next(world.partium.store.iter_images())
    world.partium.admin_edit(image, {}, generate(random.Random(8), ("png",)).data)
    summary = await world.run(Mode.SYNC)
    assert summary.done["shop.replace"] == 1
    note = "note: on shop a replace creates a new item (a new id), then deletes the old one"
    assert note in summary_text(summary, "job", "sync")
    assert note not in summary_text(await world.run(Mode.SYNC), "job", "sync")


async def test_a_metadata_edit_is_stored_and_pushed_though_the_bytes_did_not_change(
    world: World,
) -> None:
    await world.run(Mode.MIGRATE)
    image = next(world.partium.store.iter_images())
    world.partium.admin_edit(image, {"info": "display position=4"}, None)
    summary = await world.run(Mode.SYNC)
    assert summary.done["shop.update"] == 1
    assert summary.skipped["shop: unchanged"] == 11
    stored = (await world.store.items(world.job.name, [image.id]))[image.id]
    assert stored.record["position"] == 4  # the row was rewritten, not only marked seen
    again = await world.run(Mode.SYNC)
    assert sum(again.done.values()) == 0


async def test_the_max_delete_guard_stops_a_run_that_would_empty_the_target(world: World) -> None:
    await world.run(Mode.MIGRATE)
    for image in list(world.partium.store.iter_images()):
        world.partium.admin_delete(image)
    summary = await world.run(Mode.SYNC)
    assert summary.status == "stopped"
    assert "over the 50.0% limit" in summary.guard["shop"]
    assert len(world.target_shas()) == 12  # nothing deleted


async def test_plan_reports_without_writing(world: World) -> None:
    summary = await world.run(Mode.PLAN)
    assert summary.planned["shop.create"] == 12
    assert world.target_shas() == []
    assert await world.store.runs(world.job.name) == []


async def test_a_plan_keeps_the_changes_and_only_counts_the_unchanged(world: World) -> None:
    await world.run(Mode.MIGRATE)
    gone = next(world.partium.store.iter_images())
    world.partium.admin_delete(gone)
    world.partium.admin_add(
        world.partium.store.owners["part-0001"],
        "new.png",
        generate(random.Random(5), ("png",)).data,
        {},
    )
    plan = await world.run(Mode.PLAN)
    assert plan.skipped["shop: unchanged"] == 11
    entries = plan.plan_entries()
    assert sorted(e.action for e in entries) == ["create", "delete"]
    (delete,) = [e for e in entries if e.action == "delete"]
    assert delete.key == gone.id  # the sweep's deletes are in the plan too


async def test_an_image_whose_bytes_cannot_be_read_is_skipped_not_fatal(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syncer.engine.fetch import Bytes
    from syncer.errors import NotFoundError

    broken = next(world.partium.store.iter_images()).id
    download = Bytes.download

    async def flaky(self: Bytes, record: Any, **how: Any) -> Any:
        if record.key == broken:
            raise NotFoundError("gone meanwhile", vendor="partium", item=broken)
        return await download(self, record, **how)

    monkeypatch.setattr(Bytes, "download", flaky)
    summary = await world.run(Mode.MIGRATE)
    assert summary.status == "partial"
    assert summary.done["shop.create"] == 11
    assert summary.skipped["shop: the source's bytes could not be read"] == 1
    assert any("gone meanwhile" in error for error in summary.errors)


class Recorder:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def _add(self, name: str, count: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + count

    def listed(self, count: int) -> None:
        self._add("listed", count)

    def fetched(self, count: int) -> None:
        self._add("fetched", count)

    def planned(self, target: str, count: int) -> None:
        self._add(f"{target} planned", count)

    def finished(self, target: str, ok: bool) -> None:
        self._add(f"{target} {'ok' if ok else 'failed'}", 1)


async def test_progress_follows_listing_fetching_and_each_target(world: World) -> None:
    recorder = Recorder()
    await run_job(
        world.job,
        Mode.MIGRATE,
        store=world.store,
        spool=world.spool,
        session=world.session,
        progress=recorder,
    )
    assert recorder.counts == {"listed": 12, "fetched": 12, "shop planned": 12, "shop ok": 12}


def test_terminal_progress_draws_a_bar_per_target() -> None:
    import io

    from rich.console import Console

    from syncer.engine.progress import TerminalProgress

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with TerminalProgress(console) as progress:
        progress.listed(5)
        progress.planned("shop", 3)
        progress.finished("shop", ok=True)
        progress.finished("shop", ok=False)
    text = out.getvalue()
    assert "shop" in text
    assert "2/3" in text
    assert "1 failed" in text


class ShiftingSource:
    """The real source, its listing re-cut as offset paging shifts when an image is added
    mid-listing: the last record of each page comes again first on the next."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.vendor = real.vendor
        self.capabilities = real.capabilities

    def open(self, record: Any) -> Any:
        return self.real.open(record)

    async def pages(self, cursor: Any = None) -> Any:
        from syncer.records import Page

        records = [r for page in [p async for p in self.real.pages(None)] for r in page.records]
        size = 4
        for start in range(0, len(records), size - 1):
            chunk = records[start : start + size]
            done = start + size >= len(records)
            yield Page(chunk, {"skip": start + size - 1}, done)
            if done:
                return
            await anyio.sleep(0.3)  # so each page is its own group, planned on its own


async def test_a_key_listed_twice_is_pushed_once(world: World) -> None:
    from syncer.emulators.faults import FaultConfig
    from syncer.engine.run import JobRun

    world.spiffy.faults.configure(FaultConfig(latency_ms=500))  # the first create still open
    run = JobRun(world.job, world.store, world.spool, world.session, Mode.MIGRATE)
    run.source = ShiftingSource(run.source)
    summary = await run.run()
    assert summary.status == "succeeded", summary.errors
    assert summary.done["shop.create"] == 12
    assert summary.skipped["listed twice in this run (the listing shifted)"] > 0
    assert world.target_shas() == world.source_shas()  # each image once


async def test_the_lease_is_kept_through_a_long_push(world: World, tmp_path: Path) -> None:
    from syncer.emulators.faults import FaultConfig
    from syncer.errors import StateError

    world.spiffy.faults.configure(FaultConfig(latency_ms=1000))  # pushing outlasts the lease by far
    url = f"sqlite+aiosqlite:///{tmp_path}/state.db"
    async with (
        await StateStore.open(url, lease_seconds=0.6) as short,
        await StateStore.open(url, lease_seconds=0.6) as other,
        anyio.create_task_group() as group,
    ):

        async def migrate() -> None:
            await run_job(
                world.job, Mode.MIGRATE, store=short, spool=world.spool, session=world.session
            )

        group.start_soon(migrate)
        await anyio.sleep(1.5)  # listing long over; creates still going out
        assert len(world.target_shas()) < 12
        with pytest.raises(StateError, match="already running"):
            await other.start_run(world.job.name, "sync")


class FlakyTarget:
    """A target client whose creates of ``key`` misbehave: they fail (``fail`` of them, as a
    503 would), or hang once (``hang``: a run killed between ``sent`` and ``done``), or are
    applied and then fail as if the answer was lost (``lost`` of them: outcome unknown)."""

    def __init__(
        self,
        real: Any,
        key: str,
        *,
        fail: int = 0,
        hang: bool = False,
        lost: int = 0,
        error: type[VendorError] | None = None,
    ) -> None:
        from dataclasses import replace

        self.real, self.key, self.fail, self.hang, self.lost = real, key, fail, hang, lost
        self.error = error  # what a failing create raises (None: a 503)
        self.capabilities = replace(real.capabilities, batch_size=1)
        self.sent = anyio.Event()
        self.created = 0
        self.eleven_landed = anyio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    async def create(self, record: Any, blob: Any) -> Any:
        from syncer.errors import UnavailableError

        if record.key == self.key and self.hang:
            self.hang = False
            self.sent.set()
            await anyio.sleep_forever()
        if record.key == self.key and self.fail:
            self.fail -= 1
            error = self.error or UnavailableError
            raise error("HTTP 503", vendor="spiffy", operation="create", status=503)
        item = await self.real.create(record, blob)
        if record.key == self.key and self.lost:
            self.lost -= 1
            lost = UnavailableError("connection reset", vendor="spiffy", operation="create")
            lost.ambiguous = True  # as HttpClient marks a create that may have been applied
            raise lost
        self.created += 1
        if self.created == 11:
            self.eleven_landed.set()
        return item


def flaky(world: World, mode: Mode, key: str, **how: Any) -> Any:
    from syncer.engine.run import JobRun

    run = JobRun(world.job, world.store, world.spool, world.session, mode)
    run.replace_client("shop", FlakyTarget(run.client_of("shop"), key, **how))
    return run


async def killed_mid_create(world: World) -> str:
    """A migration stopped while the create of one item (its key is returned) hangs, after the
    other eleven landed: that create is left ``sent``, its outcome unknown."""
    key = sorted(i.key for i in (await world.run(Mode.PLAN)).plan_entries())[0]
    killed = flaky(world, Mode.MIGRATE, key, hang=True)
    with anyio.move_on_after(20):
        async with anyio.create_task_group() as group:
            group.start_soon(killed.run)
            await killed.client_of("shop").sent.wait()
            await killed.client_of("shop").eleven_landed.wait()
            group.cancel_scope.cancel()
    assert len(world.target_shas()) == 11
    return str(key)


async def test_a_failed_create_planned_again_by_a_sync_is_not_pushed_again_by_retry(
    world: World,
) -> None:
    key = sorted(i.key for i in (await world.run(Mode.PLAN)).plan_entries())[0]
    first = await flaky(world, Mode.MIGRATE, key, fail=1).run()
    assert first.status == "partial"
    assert first.failed["shop.create"] == 1
    assert len(world.target_shas()) == 11
    again = await world.run(Mode.SYNC)  # plans the create again; it lands
    assert again.done["shop.create"] == 1
    retry = await world.run(Mode.RETRY)  # the failed op was superseded: nothing to retry
    assert sum(retry.done.values()) == 0
    assert world.target_shas() == world.source_shas()  # each image once


@pytest.mark.parametrize("then", [Mode.SYNC, Mode.RETRY])
async def test_a_create_whose_outcome_was_lost_is_looked_for_not_sent_twice(
    world: World, then: Mode
) -> None:
    key = sorted(i.key for i in (await world.run(Mode.PLAN)).plan_entries())[0]
    first = await flaky(world, Mode.MIGRATE, key, lost=1).run()
    assert first.failed["shop.create"] == 1
    assert len(world.target_shas()) == 12  # it landed; its answer did not
    again = await world.run(then)
    assert again.status == "succeeded", again.errors
    assert world.target_shas() == world.source_shas()  # each image once
    assert (await world.run(Mode.SYNC)).skipped["shop: unchanged"] == 12


async def test_an_item_with_a_killed_runs_op_open_is_not_planned_again(world: World) -> None:
    from syncer.emulators.faults import FaultConfig
    from syncer.engine.plan import PENDING

    await killed_mid_create(world)
    # The resumed create is still in flight when the new listing reaches the item.
    world.spiffy.faults.configure(FaultConfig(latency_ms=500))
    summary = await world.run(Mode.SYNC)
    assert summary.status == "succeeded", summary.errors
    assert summary.done["shop.create"] == 1  # the resumed op
    assert summary.skipped[f"shop: {PENDING}"] == 1
    assert world.target_shas() == world.source_shas()  # each image once


class FatalError(VendorError):
    """A vendor error that is not skippable: the run cannot go on (as refused credentials)."""

    skippable = False


async def test_a_fatal_error_stops_the_run_and_leaves_its_op_retryable(world: World) -> None:
    key = sorted(i.key for i in (await world.run(Mode.PLAN)).plan_entries())[0]
    with pytest.RaisesGroup(FatalError, flatten_subgroups=True):
        await flaky(world, Mode.MIGRATE, key, fail=1, error=FatalError).run()
    [failed] = await world.store.failed_ops(world.job.name)
    assert (failed.key, failed.state) == (key, "failed_retryable")
    again = await world.run(Mode.RETRY)
    assert again.status == "succeeded", again.errors


class FatalSource:
    """The real source, whose downloads fail with a fatal error."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def open(self, record: Any) -> Any:
        raise FatalError("refused", vendor="partium", operation="download", item=record.key)


async def test_a_fatal_error_reading_the_source_stops_the_run(world: World) -> None:
    from syncer.engine.run import JobRun

    run = JobRun(world.job, world.store, world.spool, world.session, Mode.MIGRATE)
    run.source = FatalSource(run.source)
    with pytest.raises(ExceptionGroup) as caught:  # every download at once: one error each
        await run.run()
    assert caught.value.split(FatalError)[1] is None  # nothing but the fatal errors
    assert world.target_shas() == []


async def test_a_skippable_error_fails_its_item_alone(world: World) -> None:
    key = sorted(i.key for i in (await world.run(Mode.PLAN)).plan_entries())[0]
    summary = await flaky(world, Mode.MIGRATE, key, fail=1, error=ProtocolError).run()
    assert (summary.status, summary.failed["shop.create"]) == ("partial", 1)
    assert len(world.target_shas()) == 11


async def test_retry_re_attempts_what_can_succeed_and_says_what_it_left(
    world: World, tmp_path: Path
) -> None:
    from syncer.engine.commands import _status
    from syncer.engine.report import summary_text

    refused, flaky_key = sorted(i.key for i in (await world.run(Mode.PLAN)).plan_entries())[:2]
    run = flaky(world, Mode.MIGRATE, flaky_key, fail=1)
    run.replace_client(
        "shop", FlakyTarget(run.client_of("shop"), refused, fail=1, error=ValidationError)
    )
    first = await run.run()
    assert first.failed["shop.create"] == 2
    retry = await world.run(Mode.RETRY)
    assert retry.done["shop.create"] == 1  # the 503; the refused item would be refused again
    assert (retry.status, retry.not_retried) == ("partial", 1)
    assert "not retried 1: terminal failure(s)" in summary_text(retry, "job", "retry")
    [left] = await world.store.failed_ops(world.job.name)
    assert (left.key, left.state) == (refused, "failed_terminal")
    status = await _status(f"sqlite+aiosqlite:///{tmp_path}/state.db", world.job.name)
    assert "1 terminal failure(s)" in status
    assert "re-attempts them" not in status


def with_mapping(world: World, tmp_path: Path, line: str) -> Any:
    """The world's job with one more line in its target's mapping."""
    path = tmp_path / "changed" / "job.toml"  # the same name: the same job
    path.parent.mkdir()
    path.write_text(JOB.replace("[targets.mapping]\n", f"[targets.mapping]\n{line}\n"))
    env = {"PARTIUM_URL": world.job.source.base_url, "SPIFFY_URL": world.job.targets[0].base_url}
    return load_job(path, env)


async def test_a_changed_mapping_plans_every_item_again(world: World, tmp_path: Path) -> None:
    await world.run(Mode.MIGRATE)
    world.job = with_mapping(world, tmp_path, 'fields = { alt = "Part {owner}" }')
    summary = await world.run(Mode.SYNC)
    assert summary.status == "succeeded", summary.errors
    assert summary.done["shop.update"] == 12  # the links' basis no longer holds
    alts = {i.fields.get("alt") for i in world.spiffy.store.iter_images()}
    assert alts == {"Part part-0001", "Part part-0002"}
    again = await world.run(Mode.SYNC)
    assert again.skipped["shop: unchanged"] == 12


async def test_links_without_a_basis_are_planned_once_then_get_it(world: World) -> None:
    import sqlalchemy as sa

    from syncer.state.models import links

    await world.run(Mode.MIGRATE)
    async with world.store._write() as conn:  # as links written before bases were kept
        await conn.execute(links.update().values(basis=None))
    summary = await world.run(Mode.SYNC)
    assert summary.skipped["shop: unchanged"] == 12
    assert sum(summary.planned.values()) == 0
    async with world.store._read() as conn:
        bases = [row.basis for row in await conn.execute(sa.select(links.c.basis))]
    assert len(bases) == 12
    assert None not in bases


async def test_an_item_gone_while_a_killed_runs_create_of_it_is_open_is_deleted_later(
    world: World,
) -> None:
    from syncer.emulators.faults import FaultConfig
    from syncer.engine.plan import PENDING

    key = await killed_mid_create(world)
    [image] = [i for i in world.partium.store.iter_images() if i.id == key]
    world.partium.admin_delete(image)
    world.spiffy.faults.configure(FaultConfig(latency_ms=500))  # still open at the sweep
    first = await world.run(Mode.SYNC)
    assert first.skipped[f"shop: gone at the source, but {PENDING}"] == 1
    assert len(world.target_shas()) == 12  # the resumed create landed
    world.spiffy.faults.configure(FaultConfig())
    second = await world.run(Mode.SYNC)
    assert second.done["shop.delete"] == 1
    assert world.target_shas() == world.source_shas()


def spool_blobs(spool: Spool) -> list[Path]:
    """The blobs on disk (content-addressed files, not temp files or the index)."""
    return [
        path
        for path in spool.directory.glob("??/*")
        if path.is_file() and not path.name.endswith(".mime")
    ]


async def test_a_long_sync_does_not_grow_the_spool(world: World) -> None:
    """Every run downloads what changed; once its ops are done no blob is left behind, so a
    catalog synced for ever keeps a spool no larger than one run's work in flight."""
    await world.run(Mode.MIGRATE)
    assert spool_blobs(world.spool) == []
    rng = random.Random(11)
    images = list(world.partium.store.iter_images())
    for round_ in range(4):
        for image in images[round_ * 2 : round_ * 2 + 2]:  # new bytes: downloaded, replaced
            world.partium.admin_edit(image, {}, generate(rng, ("png",)).data)
        summary = await world.run(Mode.SYNC)
        assert summary.status == "succeeded", summary.errors
        assert summary.done["shop.replace"] == 2
        assert spool_blobs(world.spool) == []
    assert world.target_shas() == world.source_shas()


async def test_a_failed_op_leaves_no_blob_and_its_retry_reads_the_bytes_again(
    world: World,
) -> None:
    """A failed op's bytes leave the spool with it (a retry may come much later, or never);
    ``syncer retry`` downloads them again, pushes them, and leaves nothing behind."""
    key = sorted(i.key for i in (await world.run(Mode.PLAN)).plan_entries())[0]
    run = flaky(world, Mode.MIGRATE, key, fail=1)
    first = await run.run()
    assert first.failed["shop.create"] == 1
    assert spool_blobs(world.spool) == []
    retry = await world.run(Mode.RETRY)
    assert (retry.done["shop.create"], retry.downloaded) == (1, 1)
    assert spool_blobs(world.spool) == []
    assert world.target_shas() == world.source_shas()


async def test_a_sync_that_changes_nothing_writes_no_item_and_still_sweeps(world: World) -> None:
    """Unchanged items cost no write (their rows keep the run that last wrote them), and the
    sweep still finds a deletion by what the listing did not show."""
    migrated = await world.run(Mode.MIGRATE)
    keys = [image.id for image in world.partium.store.iter_images()]
    before = await world.store.items(world.job.name, keys)
    assert {row.last_seen_run for row in before.values()} == {migrated.run_id}

    gone = next(world.partium.store.iter_images())
    world.partium.admin_delete(gone)
    summary = await world.run(Mode.SYNC)
    assert summary.status == "succeeded", summary.errors
    assert summary.done["shop.delete"] == 1
    after = await world.store.items(world.job.name, keys)
    assert {row.last_seen_run for key, row in after.items() if key != gone.id} == {migrated.run_id}
    assert after[gone.id].gone
