"""``syncer check`` and ``sync --repair`` on in-process emulators, for every target vendor: a
migration, then behind syncer's back one item deleted, one changed and one added; the check
reports exactly those (and counts the rest in step) and writes nothing; the repair puts the
missing and changed ones back, after which only the foreign one is reported."""

from __future__ import annotations

import io
import json
import random
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from syncer.emulators import emulator_class
from syncer.emulators.base import VendorEmulator
from syncer.emulators.images import generate
from syncer.engine.check import CheckOptions, CheckResult
from syncer.engine.checking import check_document, check_job, prepare_repair
from syncer.engine.run import Mode, run_job
from syncer.plans.jsonfile import EntryLog, write_document
from syncer.plans.model import Kind
from tests.engine.rigs import Opened, fan_out_job, opened, target_owner

ITEMS = 5
#: Per target vendor: the source, and how a user changes an item there ("bytes" or fields).
CASES: dict[str, tuple[str, Any]] = {
    "spiffy": ("partium", {"alt": "edited by hand"}),
    "moov": ("partium", {"altText": "edited by hand"}),
    "partium": ("spiffy", "bytes"),
    "beproduct": ("partium", "bytes"),
}
#: The finding the change above makes, per target vendor.
CHANGED_CODE = {
    "spiffy": "metadata_changed",
    "moov": "metadata_changed",
    "partium": "bytes_changed",
    "beproduct": "bytes_changed",
}


@dataclass
class World:
    vendor: str
    source: VendorEmulator
    target: VendorEmulator
    owner: str
    it: Opened
    tmp: Path

    async def run(self, mode: Mode, **options: Any) -> Any:
        it = self.it
        summary = await run_job(
            it.job, mode, store=it.store, spool=it.spool, session=it.session, **options
        )
        assert summary.status == "succeeded", summary.errors
        return summary

    async def check(self, **options: Any) -> tuple[CheckResult, set[tuple[str, str, str]]]:
        with EntryLog(self.tmp) as log:
            result = await check_job(
                self.it.job, self.it.store, self.it.session, CheckOptions(**options), log
            )
            self.entries = list(log)
        found = {(e.action, e.code, e.target_id or "") for e in self.entries}
        return result, found

    def catalog(self) -> list[str]:
        return sorted(repr(image) for image in self.target.store.iter_images())

    def live(self) -> list[Any]:
        return [i for i in self.target.store.iter_images() if not i.deleted]


@pytest.fixture(params=sorted(CASES))
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    vendor = request.param
    source = emulator_class(CASES[vendor][0])()
    target = emulator_class(vendor)()
    source.seed(ITEMS, 1, seed_value=5)
    target.seed(0, 1)
    owner = target_owner(vendor, target)
    text = fan_out_job(source.name, [(vendor, owner)])
    async with opened(tmp_path, text, {"SOURCE_URL": source, "T0_URL": target}) as it:
        yield World(vendor, source, target, owner, it, tmp_path)


def tamper(world: World) -> tuple[str, str, str]:
    """Behind syncer's back: one item deleted, one changed, one added; their target ids."""
    gone, changed = sorted(world.live(), key=lambda i: i.id)[:2]
    world.target.admin_delete(gone)
    edit = CASES[world.vendor][1]
    new_bytes = generate(random.Random(41), world.target.accepted_formats).data
    if edit == "bytes":
        world.target.admin_edit(changed, {}, new_bytes)
    else:
        world.target.admin_edit(changed, edit, None)
    owner = world.target.store.owners[world.owner.rpartition("/")[2]]
    other = generate(random.Random(42), world.target.accepted_formats).data
    foreign = world.target.admin_add(owner, "foreign.png", other, {})
    return gone.id, changed.id, foreign.id


def dump(path: Path) -> dict[str, list[Any]]:
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(map(repr, db.execute(f"SELECT * FROM {t}"))) for t in tables}


async def test_check_reports_what_changed_behind_syncers_back(world: World) -> None:
    await world.run(Mode.MIGRATE)
    result, found = await world.check()
    assert found == set()
    assert not result.drift
    assert result.summary.targets["t0"].unchanged == ITEMS
    gone, changed, foreign = tamper(world)
    before = dump(world.tmp / "state.db")
    catalog = world.catalog()
    result, found = await world.check()
    assert world.catalog() == catalog  # nor to the target
    missing = "disabled_on_target" if world.vendor == "moov" else "missing_on_target"
    assert found == {
        ("missing", missing, gone),
        ("changed", CHANGED_CODE[world.vendor], changed),
        ("foreign", "not_syncers", foreign),
    }
    assert result.drift
    assert result.summary.targets["t0"].unchanged == ITEMS - 2
    assert dump(world.tmp / "state.db") == before  # a check writes nothing to the state
    out = io.StringIO()
    result.entries = world.entries  # type: ignore[assignment]  # the log is closed: its copy
    write_document(check_document(world.it.job, result), out)
    data = json.loads(out.getvalue())
    assert data["schema"] == "syncer/check"
    assert data["header"]["kind"] == Kind.CHECK.value
    assert {e["action"] for e in data["entries"]} == {"missing", "changed", "foreign"}


async def test_a_metadata_change_names_the_fields_old_and_new(world: World) -> None:
    if CASES[world.vendor][1] == "bytes":
        pytest.skip("this vendor's case changes bytes")
    await world.run(Mode.MIGRATE)
    _, changed, _ = tamper(world)
    await world.check()
    (entry,) = [e for e in world.entries if e.target_id == changed]
    (change,) = entry.changes
    assert (change.field, change.new, change.applies) == ("alt", "edited by hand", True)
    assert change.old != "edited by hand"


async def test_repair_puts_back_what_drifted_and_leaves_foreign_items(world: World) -> None:
    await world.run(Mode.MIGRATE)
    gone, _changed, foreign = tamper(world)
    line = await prepare_repair(world.it.job, world.it.store, world.it.session)
    missing = 0 if world.vendor == "moov" else 1
    assert f"{missing} missing" in line
    assert "1 changed" in line
    assert "1 item(s) not syncer's" in line
    if world.vendor == "moov":  # a disabled image cannot be enabled, nor its bytes uploaded
        assert "1 disabled on the target, which cannot be put back" in line
        await world.run(Mode.SYNC, full=True)
        _, found = await world.check()
        assert found == {
            ("missing", "disabled_on_target", gone),
            ("foreign", "not_syncers", foreign),
        }
        return
    await world.run(Mode.SYNC, full=True)
    result, found = await world.check()
    assert found == {("foreign", "not_syncers", foreign)}
    assert not result.drift
    assert result.summary.targets["t0"].unchanged == ITEMS
    assert len(world.live()) == ITEMS + 1
    again = await world.run(Mode.SYNC, full=True)  # in step: nothing more to do
    assert sum(again.done.values()) == 0


async def test_in_step_items_are_listed_on_request(world: World) -> None:
    if world.vendor != "spiffy":
        pytest.skip("one vendor is enough")
    await world.run(Mode.MIGRATE)
    result, found = await world.check(list_in_step=True)
    assert {f[:2] for f in found} == {("in_step", "in_step")}
    assert len(found) == ITEMS
    assert result.summary.targets["t0"].unchanged == ITEMS
