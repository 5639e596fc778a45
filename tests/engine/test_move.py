"""An image moved to another owner at the source is moved on every target: created under the
new owner and deleted under the old one where the target's update cannot move it (BeProduct,
Moov, Spiffy), updated where it can (Partium); once, with its bytes, and then in step."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from syncer.emulators import emulator_class
from syncer.emulators.base import VendorEmulator
from syncer.emulators.store import StoredImage
from syncer.engine.run import Mode, RunSummary, run_job
from syncer.errors import VendorError
from syncer.vendors import client_class
from tests.engine.rigs import Opened, opened
from tests.engine.test_pairs import job_text, target_owner
from tests.state.test_migrations import migrate_to

#: A source whose images can change owner, for each target vendor.
CASES = [
    ("partium", "spiffy"),
    ("partium", "beproduct"),
    ("partium", "moov"),
    ("beproduct", "partium"),
]


def second_owner(vendor: str, emulator: VendorEmulator, first: str) -> str:
    """Another owner on the target (the harness gives a new one, or always the same one)."""
    owner = target_owner(vendor, emulator)
    if owner != first:
        return owner
    return emulator.admin_add_owner({"id": "moved-to"} if vendor == "partium" else {}).id


def move_at_source(vendor: str, source: VendorEmulator, image: StoredImage, owner: str) -> None:
    """Move ``image`` to ``owner`` at the source: Partium's admin edit of ``part_id``; BeProduct's
    Image API has no move, so its catalog is edited directly (with a later ``modifiedAt``)."""
    if vendor == "partium":
        source.admin_edit(image, {"part_id": owner}, None)
        return
    stamp = "2030-01-01T00:00:00Z"  # a later modifiedAt: BeProduct lists it as changed
    source.store.put_image(dataclasses.replace(image, owner=owner, updated_at=stamp))


def live(emulator: VendorEmulator) -> list[StoredImage]:
    return [image for image in emulator.store.iter_images() if not image.deleted]


def build(source_vendor: str, target_vendor: str) -> dict[str, Any]:
    """The case's emulators, the source seeded over two owners, and a job mapping each of them
    to its own target owner."""
    source, target = emulator_class(source_vendor)(), emulator_class(target_vendor)()
    source.seed(4, 2, seed_value=3)
    target.seed(0, 1)
    old, new = [owner.id for owner in source.store.owners.values()][:2]
    first = target_owner(target_vendor, target)
    owners = {old: first, new: second_owner(target_vendor, target, first)}
    text = job_text(source_vendor, target_vendor, first).replace("SOURCE_URL", "SRC")
    table = ", ".join(f'"{s}" = "{t}"' for s, t in owners.items())
    text = text.replace("TARGET_URL", "DST") + f"owners = {{ {table} }}\n"
    return {"source": source, "target": target, "text": text, "owners": owners, "old": old}


@pytest.fixture
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    """:func:`build` for the case, everything synced once."""
    built = build(*request.param)
    emulators = {"SRC": built["source"], "DST": built["target"]}
    async with opened(tmp_path, built["text"], emulators) as rig:
        summary = await sync(rig)
        assert summary.status == "succeeded", summary.errors
        yield {**built, "rig": rig}


async def sync(rig: Opened) -> RunSummary:
    return await run_job(rig.job, Mode.SYNC, store=rig.store, spool=rig.spool, session=rig.session)


def moved_one(world: dict[str, Any]) -> bytes:
    """Move the first image of the old owner to the new one at the source; the bytes its
    target item holds."""
    source, target = world["source"], world["target"]
    image = next(i for i in source.store.iter_images() if i.owner == world["old"])
    data: bytes = target.store.data(_counterpart(target, image, source))
    new_owner = next(owner for owner in world["owners"] if owner != world["old"])
    move_at_source(world["rig"].job.source.vendor, source, image, new_owner)
    return data


def _counterpart(target: VendorEmulator, image: StoredImage, source: VendorEmulator) -> StoredImage:
    """The target item of the source ``image`` (the one whose bytes came from it)."""
    wanted = source.store.data(image)
    found = [i for i in live(target) if target.store.data(i) == wanted]
    if not found:  # converted on the way (a type the target refuses became PNG): by file stem
        stem = image.filename.rsplit(".", 1)[0]
        found = [i for i in live(target) if i.filename.startswith(stem)]
    assert len(found) == 1, found
    return found[0]


def assert_moved_once(world: dict[str, Any], data: bytes) -> None:
    target = world["target"]
    new_owner = next(t for s, t in world["owners"].items() if s != world["old"])
    holding = [i for i in live(target) if target.store.data(i) == data]
    # exactly once, under the new owner (Spiffy's owner ref is ``kind/id``, its store keeps the id)
    assert [i.owner for i in holding] == [new_owner.rsplit("/", 1)[-1]]
    assert len(live(target)) == len(live(world["source"]))  # nothing else lost or added


@pytest.mark.parametrize("world", CASES, ids=[f"{s}-to-{t}" for s, t in CASES], indirect=True)
async def test_an_image_moved_to_another_owner_moves_on_the_target(world: dict[str, Any]) -> None:
    data = moved_one(world)
    summary = await sync(world["rig"])
    assert summary.status == "succeeded", summary.errors
    moves = client_class(world["rig"].job.targets[0].vendor).capabilities.update_moves_owner
    assert summary.done == {"target.update" if moves else "target.replace": 1}
    assert_moved_once(world, data)
    again = await sync(world["rig"])
    assert (again.status, sum(again.done.values())) == ("succeeded", 0), again.errors


class Killed(Exception):
    """The process dies between the create under the new owner and the old item's delete."""


@pytest.mark.parametrize("world", [("partium", "spiffy")], ids=["partium-to-spiffy"], indirect=True)
@pytest.mark.parametrize("between", ["killed", "delete-failed"])
async def test_a_move_stopped_between_create_and_delete_ends_once(
    world: dict[str, Any], between: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = moved_one(world)
    target_class = client_class("spiffy")
    real_delete = target_class.delete

    async def stopped(self: Any, target_id: str, record: Any) -> None:
        if between == "killed":
            raise Killed
        raise VendorError("the delete timed out", vendor="spiffy", operation="delete")

    monkeypatch.setattr(target_class, "delete", stopped)
    if between == "killed":
        with pytest.raises(ExceptionGroup) as caught:
            await sync(world["rig"])
        assert caught.group_contains(Killed, depth=None)
        [op] = await world["rig"].store.open_ops(world["rig"].job.name)  # resumed next run
        assert (op.action, op.state, "move_from" in op.payload) == ("replace", "sent", True)
    else:
        assert (await sync(world["rig"])).status == "partial"
    target = world["target"]
    assert len([i for i in live(target) if target.store.data(i) == data]) == 2  # both, for now
    monkeypatch.setattr(target_class, "delete", real_delete)
    summary = await sync(world["rig"])
    assert summary.status == "succeeded", summary.errors
    assert_moved_once(world, data)
    assert sum((await sync(world["rig"])).done.values()) == 0


async def test_a_link_from_before_links_kept_metadata_is_moved_after_the_upgrade(
    tmp_path: Path,
) -> None:
    world = build("partium", "spiffy")
    emulators = {"SRC": world["source"], "DST": world["target"]}
    async with opened(tmp_path, world["text"], emulators) as rig:
        assert (await sync(rig)).status == "succeeded"
    await migrate_to(f"sqlite+aiosqlite:///{tmp_path}/state.db", "0005", down=True)
    world["rig"] = rig  # moved_one reads the job's source vendor only
    data = moved_one(world)
    async with opened(tmp_path, world["text"], emulators) as rig:  # migrates to the head again
        summary = await sync(rig)
        assert summary.status == "succeeded", summary.errors
        assert summary.done == {"target.replace": 1}
        assert_moved_once(world, data)
