"""Plan, then apply exactly: for every target vendor; a plan writes nothing; each refusal; a
killed apply resumes; bytes changed at the source after the plan are never pushed."""

from __future__ import annotations

import dataclasses
import json
import random
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from syncer.emulators import emulator_class
from syncer.emulators.base import VendorEmulator
from syncer.emulators.images import generate
from syncer.emulators.server import serve
from syncer.engine.applying import PlanApply, PlanGuardError, StalePlanError
from syncer.engine.run import JobRun, Mode, RunSummary, run_job
from syncer.http import open_session
from syncer.jobs import Job, load_job
from syncer.plans.jsonfile import DocumentError, read_document, save_document
from syncer.plans.model import Kind
from syncer.spool import Spool
from syncer.state import NewOp, PageCommit, StateStore
from tests.engine.rigs import fan_out_job, target_owner

SEED = 6
#: Every vendor as the target, each from a source of another vendor.
PAIRS = [
    ("spiffy", "partium"),
    ("partium", "beproduct"),
    ("partium", "moov"),
    ("beproduct", "spiffy"),
]


@dataclass
class World:
    source: VendorEmulator
    target: VendorEmulator
    job: Job
    store: StateStore
    spool: Spool
    session: Any
    tmp: Path
    env: dict[str, str]

    async def run(self, mode: Mode, job: Job | None = None, **options: Any) -> RunSummary:
        return await run_job(
            job or self.job,
            mode,
            store=self.store,
            spool=self.spool,
            session=self.session,
            **options,
        )

    async def plan(self, name: str = "plan.json", expires: timedelta = timedelta(hours=1)) -> Path:
        summary = await self.run(Mode.PLAN)
        assert summary.draft is not None
        created = datetime.now(UTC)
        document = summary.draft.document(
            mode="sync", listing=summary.listing, created=created, expires=expires
        )
        path = self.tmp / name
        save_document(document, path)
        summary.draft.close()
        return path

    async def apply(
        self, path: Path, *, skip_stale: bool = False, job: Job | None = None
    ) -> RunSummary:
        applying = PlanApply(read_document(path, kind=Kind.PLAN), path, skip_stale=skip_stale)
        return await self.run(Mode.APPLY, job, applying=applying)

    def job_with(self, text: str, name: str = "job.toml") -> Job:
        path = self.tmp / name
        path.write_text(text)
        return load_job(path, self.env)

    def live(self) -> list[Any]:
        return [i for i in self.target.store.iter_images() if not i.deleted]


def job_text(source: str, target: str, owner: str, delete: str = "") -> str:
    text = fan_out_job(source, [(target, owner)], delete=delete)
    return text.replace('name = "t0"', 'name = "target"').replace("${T0_URL}", "${TARGET_URL}")


async def world_of(
    tmp_path: Path, source_vendor: str, target_vendor: str, delete: str = "", count: int = SEED
) -> AsyncIterator[World]:
    source, target = emulator_class(source_vendor)(), emulator_class(target_vendor)()
    source.seed(count, 1 if source_vendor == "moov" else 2, seed_value=11)
    target.seed(0, 1)
    owner = target_owner(target_vendor, target)
    async with serve(source) as s_url, serve(target) as t_url, open_session() as session:
        env = {"SOURCE_URL": s_url, "TARGET_URL": t_url}
        path = tmp_path / "job.toml"
        path.write_text(job_text(source_vendor, target_vendor, owner, delete))
        job = load_job(path, env)
        async with (
            await StateStore.open(f"sqlite+aiosqlite:///{tmp_path}/s.db") as store,
            Spool(tmp_path / "spool") as spool,
        ):
            yield World(source, target, job, store, spool, session, tmp_path, env)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for w in world_of(tmp_path, "partium", "spiffy", "enabled = true\nmax_percent = 50\n"):
        yield w


@pytest.fixture
async def pair(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    async for w in world_of(tmp_path, *request.param):
        yield w


def dump(tmp: Path) -> dict[str, list[Any]]:
    """Every row of every table of the state (the plan must change none)."""
    with closing(sqlite3.connect(tmp / "s.db")) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(map(repr, db.execute(f"SELECT * FROM {t}"))) for t in tables}


def catalog(emulator: VendorEmulator) -> list[Any]:
    return sorted(
        (i.id, i.owner, i.deleted, emulator.store.data(i)) for i in emulator.store.iter_images()
    )


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{s}-to-{t}" for s, t in PAIRS], indirect=True)
async def test_plan_then_apply_for_every_target_vendor(pair: World) -> None:
    before_state, before_target = dump(pair.tmp), catalog(pair.target)
    path = await pair.plan()
    assert dump(pair.tmp) == before_state  # a plan writes nothing to the state...
    assert catalog(pair.target) == before_target  # ...nor to a target
    document = read_document(path, kind=Kind.PLAN)
    assert document.summary.targets["target"].actions["create"] == SEED
    summary = await pair.apply(path)
    assert summary.status == "succeeded", summary.errors
    assert sum(summary.done.values()) == sum(summary.planned.values()) == SEED
    assert len(pair.live()) == SEED
    again = await pair.run(Mode.SYNC)  # what the apply did is what a sync would have done
    assert sum(again.done.values()) == 0, again.done
    assert sum(again.planned.values()) == 0, again.planned


async def test_a_plan_of_changes_leaves_state_and_target_as_they_were(world: World) -> None:
    await world.run(Mode.MIGRATE)
    images = list(world.source.store.iter_images())
    world.source.admin_delete(images[0])
    world.source.admin_edit(images[1], {}, generate(random.Random(3), ("jpeg",)).data)
    before_state, before_target = dump(world.tmp), catalog(world.target)
    path = await world.plan()
    assert dump(world.tmp) == before_state
    assert catalog(world.target) == before_target
    entries = list(read_document(path).entries())
    actions = sorted(e.action for e in entries)
    assert actions == ["delete", "replace"], actions
    (replace,) = [e for e in entries if e.action == "replace"]
    assert replace.old
    assert replace.new
    assert replace.old.sha256 != replace.new.sha256
    assert replace.new.width
    assert replace.new.height
    summary = await world.apply(path)
    assert summary.status == "succeeded", summary.errors
    assert sorted(k.split(".")[1] for k in summary.done.elements()) == ["delete", "replace"]
    assert len(world.live()) == SEED - 1


async def test_a_plan_applies_once(world: World) -> None:
    path = await world.plan()
    await world.apply(path)
    with pytest.raises(StalePlanError, match="applied already"):
        await world.apply(path)
    assert len(world.live()) == SEED


async def test_a_plan_for_another_job_or_other_settings_is_refused(world: World) -> None:
    path = await world.plan()
    text = (world.tmp / "job.toml").read_text()
    other = world.job_with(text, "other.toml")
    with pytest.raises(StalePlanError, match="plan for job 'job', not 'other'"):
        await world.apply(path, job=other)
    changed = world.job_with(
        text.replace("[targets.mapping]", '[targets.mapping]\nfields = { alt = "x" }')
    )
    with pytest.raises(StalePlanError, match="settings changed since the plan \\(target target\\)"):
        await world.apply(path, job=changed)
    assert world.live() == []


async def test_an_expired_plan_is_refused(world: World) -> None:
    path = await world.plan(expires=timedelta(seconds=-1))
    with pytest.raises(StalePlanError, match="the plan expired at"):
        await world.apply(path)
    assert world.live() == []


async def test_a_plan_made_stale_by_a_later_sync_is_refused_naming_each_item(
    world: World,
) -> None:
    await world.run(Mode.MIGRATE)
    images = list(world.source.store.iter_images())[:2]
    for image in images:
        world.source.admin_edit(image, {}, generate(random.Random(image.seq), ("jpeg",)).data)
    path = await world.plan()
    await world.run(Mode.SYNC)  # a later run pushed both changes
    with pytest.raises(StalePlanError) as refused:
        await world.apply(path)
    message = str(refused.value)
    assert str(path) in message
    assert "2 item(s) changed since the plan" in message
    for image in images:
        assert repr(image.id) in message
    assert "is now" in message  # Spiffy's replace made a new id: both are named


async def test_stale_items_are_skipped_on_request_and_the_rest_applied(world: World) -> None:
    await world.run(Mode.MIGRATE)
    images = list(world.source.store.iter_images())[:2]
    for image in images:
        world.source.admin_edit(image, {}, generate(random.Random(image.seq), ("jpeg",)).data)
    path = await world.plan()
    with closing(sqlite3.connect(world.tmp / "s.db")) as db:  # another run pushed the first
        db.execute("UPDATE links SET sha256 = 'other' WHERE key = ?", (images[0].id,))
        db.commit()
    with pytest.raises(StalePlanError) as refused:
        await world.apply(path)
    message = str(refused.value)
    assert "1 item(s) changed" in message
    assert repr(images[0].id) in message
    assert "changed by a later run" in message
    assert repr(images[1].id) not in message
    summary = await world.apply(path, skip_stale=True)
    assert sum(summary.done.values()) == 1  # the other item
    assert any(images[0].id in error for error in summary.errors)
    assert summary.skipped["target: changed since the plan: not applied (--skip-stale)"] == 1


async def test_an_open_op_of_another_run_and_a_new_source_version_are_stale(world: World) -> None:
    await world.run(Mode.MIGRATE)
    images = list(world.source.store.iter_images())
    for image in images[:2]:
        world.source.admin_edit(image, {}, generate(random.Random(image.seq), ("jpeg",)).data)
    path = await world.plan()
    run = await world.store.start_run(world.job.name, "sync")  # a run killed with an open op
    (item,) = (await world.store.items(world.job.name, [images[1].id])).values()
    op = NewOp(target="target", key=images[0].id, action="delete", target_id="x", payload={})
    changed = dataclasses.replace(item, meta_hash="another")  # a later listing's record
    await world.store.commit_page(
        PageCommit(run_id=run.id, job=world.job.name, source="partium", ops=[op], items=[changed])
    )
    await world.store.finish_run(run.id, "interrupted", {})
    with pytest.raises(StalePlanError) as refused:
        await world.apply(path)
    message = str(refused.value)
    assert "another run has an operation on it still open" in message
    assert "listed it changed at the source" in message or "new version" in message


async def test_deletes_that_would_now_trip_the_guard_are_refused(world: World) -> None:
    await world.run(Mode.MIGRATE)
    deleted = next(world.source.store.iter_images())
    world.source.admin_delete(deleted)
    path = await world.plan()  # 1 delete of 6 linked: under 50%
    with closing(sqlite3.connect(world.tmp / "s.db")) as db:  # the catalog shrank meanwhile
        keys = [r[0] for r in db.execute("SELECT key FROM links ORDER BY key")]
        others = [k for k in keys if k != deleted.id]
        db.executemany("DELETE FROM links WHERE key = ?", [(k,) for k in others])
        db.commit()  # 1 delete of 1 linked: over 50%
    with pytest.raises(PlanGuardError, match="max-delete guard"):
        await world.apply(path)


async def test_a_killed_apply_resumes_without_duplicates(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = await world.plan()
    resume = JobRun._resume_open_ops
    calls = {"n": 0}

    async def killed(self: JobRun, sink: Any, **how: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("killed after journalling")
        await resume(self, sink, **how)

    monkeypatch.setattr(JobRun, "_resume_open_ops", killed)
    with pytest.RaisesGroup(pytest.RaisesExc(RuntimeError, match="killed"), flatten_subgroups=True):
        await world.apply(path)
    assert world.live() == []
    summary = await world.apply(path)
    assert summary.status == "succeeded", summary.errors
    assert summary.resumed == SEED  # journalled by the killed apply, taken up by this one
    assert len(world.live()) == SEED
    with pytest.raises(StalePlanError, match="applied already"):
        await world.apply(path)


async def test_bytes_changed_at_the_source_after_the_plan_are_not_pushed(world: World) -> None:
    path = await world.plan()
    await world.spool.prune(frozenset())  # the plan's bytes are gone from the spool
    image = next(world.source.store.iter_images())
    world.source.admin_edit(image, {}, generate(random.Random(7), ("jpeg",)).data)
    summary = await world.apply(path)
    assert sum(summary.done.values()) == SEED - 1
    assert sum(summary.failed.values()) == 1
    assert any("not the sha256" in error for error in summary.errors), summary.errors
    pushed = {world.target.store.data(i) for i in world.live()}
    assert (
        world.source.store.data(
            next(i for i in world.source.store.iter_images() if i.id == image.id)
        )
        not in pushed
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("action", "explode"), ("payload", "not an object"), ("target_id", None)],
)
async def test_an_edited_or_damaged_entry_refuses_the_plan_before_anything_is_done(
    world: World, field: str, value: Any
) -> None:
    await world.run(Mode.MIGRATE)
    world.source.admin_edit(
        next(world.source.store.iter_images()), {}, generate(random.Random(8), ("jpeg",)).data
    )
    path = await world.plan()
    lines = path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if '"action":"replace"' in line)
    entry = json.loads(lines[at].removesuffix(","))
    entry["apply"]["op"][field] = value
    lines[at] = json.dumps(entry) + ("," if lines[at].endswith(",") else "")
    path.write_text("\n".join(lines) + "\n")
    before = dump(world.tmp)["ops"]
    with pytest.raises(DocumentError, match="is damaged"):
        await world.apply(path)
    assert dump(world.tmp)["ops"] == before  # nothing journalled


@pytest.mark.parametrize("pair", [("partium", "spiffy"), ("partium", "moov")], indirect=True)
async def test_old_images_no_run_kept_are_read_back_from_the_target(
    pair: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syncer.spool import thumbcache

    monkeypatch.setattr(thumbcache, "ALLOWANCE", 0.0)  # the migration keeps no thumbnail
    monkeypatch.setattr(thumbcache, "SHARE", 0.0)
    await pair.run(Mode.MIGRATE)
    assert not (pair.tmp / "spool" / "thumbs").exists()
    monkeypatch.undo()
    image = next(pair.source.store.iter_images())
    pair.source.admin_edit(image, {}, generate(random.Random(4), ("jpeg",)).data)
    document = read_document(await pair.plan())
    (replace,) = [e for e in document.entries() if e.action == "replace"]
    assert replace.old is not None
    assert replace.new is not None
    assert replace.old.sha256 in document.thumbnails  # read back from the target
    assert replace.new.sha256 in document.thumbnails


@pytest.mark.parametrize("seed", [3, 11])
async def test_an_apply_under_faults_ends_with_every_item_once_after_retries(
    world: World, seed: int
) -> None:
    from syncer.emulators.faults import FaultConfig

    path = await world.plan()
    faults = FaultConfig(error_rate=0.3, reset_rate=0.1, lost_answer=0.2, seed=seed)
    world.target.faults.configure(faults)
    first = await world.apply(path)
    world.target.faults.configure(FaultConfig())
    if first.status != "succeeded":  # what failed is retried, never applied twice
        again = await world.run(Mode.RETRY)
        assert again.status == "succeeded", again.errors
    live = world.live()
    wanted = sorted(world.source.store.data(i) for i in world.source.store.iter_images())
    assert sorted(world.target.store.data(i) for i in live) == wanted  # once each, none lost
    with pytest.raises(StalePlanError, match="applied already"):
        await world.apply(path)


async def test_a_target_pointed_elsewhere_refuses_the_plan_a_faster_one_does_not(
    world: World,
) -> None:
    path = await world.plan()
    text = (world.tmp / "job.toml").read_text()
    elsewhere = load_job(world.tmp / "job.toml", {**world.env, "TARGET_URL": "http://127.0.0.1:9"})
    with pytest.raises(StalePlanError, match=r"settings changed since the plan \(connection of"):
        await world.apply(path, job=elsewhere)
    faster = world.job_with(text.replace('name = "target"\n', 'name = "target"\nconcurrency = 7\n'))
    summary = await world.apply(path, job=faster)  # how fast is not what: still the plan's
    assert summary.status == "succeeded", summary.errors
    assert len(world.live()) == SEED
