"""What a plan says beyond its actions: the warnings of the targets' constraints, changed fields
old → new, secrets masked, and the plan and apply commands' exit codes."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from syncer.cli import main
from syncer.emulators.images import generate
from syncer.engine.entries import masked
from syncer.engine.run import Mode
from syncer.http.redact import Redactor
from syncer.plans.jsonfile import read_document
from syncer.plans.model import Entry
from tests.engine.test_apply import World, world_of
from tests.engine.test_commands import DEMO, emulators, in_tmp

__all__ = ["emulators", "in_tmp"]  # the fixtures, used by name


async def test_a_part_over_five_display_images_is_warned_naming_those_partium_hides(
    tmp_path: Path,
) -> None:
    async for world in world_of(tmp_path, "partium", "partium", count=0):
        await _over_five(world)


async def _over_five(world: World) -> None:
    owner = next(iter(world.source.store.owners.values()))
    added = []
    for position in range(7):
        data = generate(random.Random(position + 50), ("jpeg",)).data
        info = f"searchable display position={position}"
        added.append(world.source.admin_add(owner, f"d{position}.jpg", data, {"info": info}))
    document = read_document(await world.plan())
    notes = [n.text for n in document.summary.notes if n.code == "display_limit"]
    assert len(notes) == 1, document.summary.notes
    # positions 0-4 are shown; 5 and 6 are hidden
    assert added[5].id in notes[0]
    assert added[6].id in notes[0]
    assert added[4].id not in notes[0]
    warned = [
        e.key for e in document.entries() if any(w.code == "display_limit" for w in e.warnings)
    ]
    assert {a.id for a in added} <= set(warned)


async def test_a_moov_upload_of_bytes_it_only_disabled_is_warned(tmp_path: Path) -> None:
    async for world in world_of(tmp_path, "partium", "moov", "enabled = true\nmax_percent = 50\n"):
        await world.run(Mode.MIGRATE)
        image = next(world.source.store.iter_images())
        data = world.source.store.data(image)
        world.source.admin_delete(image)
        await world.run(Mode.SYNC)  # Moov only disables the item
        owner = next(iter(world.source.store.owners.values()))
        world.source.admin_add(owner, "again.jpg", data, {})
        entries = list(read_document(await world.plan()).entries())
        (create,) = [e for e in entries if e.action == "create"]
        assert [w.code for w in create.warnings] == ["disabled_duplicate"]
        assert "refused as a duplicate" in create.warnings[0].text


async def test_an_update_names_every_changed_field_old_to_new(tmp_path: Path) -> None:
    async for world in world_of(tmp_path, "partium", "partium"):
        await world.run(Mode.MIGRATE)
        image = next(world.source.store.iter_images())
        world.source.admin_edit(image, {"info": "display position=3"}, None)
        entries = list(read_document(await world.plan()).entries())
        (update,) = [e for e in entries if e.key == image.id]
        assert update.action == "update"
        changes = {c.field: (c.old, c.new, c.applies) for c in update.changes}
        assert changes["position"][1:] == (3, True)
        assert changes["roles"][1] == ["display"]


def test_secrets_are_masked_wherever_they_are_in_an_entry() -> None:
    secret = "s3cr3t-token-0123"
    entry = Entry(
        "shop",
        "k",
        "create",
        "new_item",
        f"from https://x/?key={secret}",
        filename=f"{secret}.jpg",
        apply={"op": {"payload": {"record": {"url": f"https://x/{secret}"}}}},
    )
    text = json.dumps(masked(entry, Redactor([secret])).to_json())
    assert secret not in text
    assert "***.jpg" in text


def invoke(*args: str, env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def stdout_of(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_plan_out_apply_and_the_exit_codes(tmp_path: Path, emulators: dict[str, str]) -> None:
    plan = tmp_path / "plan.json"
    code, output, errors = stdout_of(
        "plan",
        "--format",
        "json",
        "--out",
        str(plan),
        "--detailed-exitcode",
        str(DEMO),
        env=emulators,
    )
    assert code == 10, errors  # changes
    assert f"syncer apply {plan}" in errors
    printed = json.loads(output)
    assert printed["schema"] == "syncer/plan"
    assert printed["summary"]["targets"]["spiffy"]["actions"]["create"] == 8
    code, output = invoke("apply", str(plan), env=emulators)
    assert code == 0, output
    assert "journalled 8 operation(s)" in output
    code, output = invoke("apply", str(plan), env=emulators)
    assert code == 6
    assert "applied already" in output
    assert "Traceback" not in output
    code, output = invoke(
        "plan", "--detailed-exitcode", "--format", "json", str(DEMO), env=emulators
    )
    assert code == 0, output  # nothing left to change


def test_apply_of_a_broken_or_newer_file_exits_2_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": "syncer/plan", "version": "1.0",\n"header": {')
    code, output = invoke("apply", str(broken), env={})
    assert code == 2
    assert str(broken) in output
    newer = tmp_path / "newer.json"
    newer.write_text(
        json.dumps({"schema": "syncer/plan", "version": "2.0", "header": {}, "entries": []})
    )
    code, output = invoke("apply", str(newer), env={})
    assert code == 2
    assert "schema version 2.0 is not readable" in output


async def test_unchanged_items_are_counted_and_listed_only_on_request(tmp_path: Path) -> None:
    async for world in world_of(tmp_path, "partium", "spiffy"):
        await world.run(Mode.MIGRATE)
        counted = await world.run(Mode.PLAN)
        assert counted.plan_entries() == []
        listed = await world.run(Mode.PLAN, list_unchanged=True)
        entries = listed.plan_entries()
        assert sorted(e.code for e in entries) == ["unchanged"] * 6
        assert all(e.target_id for e in entries)
        assert listed.draft is not None
        document = listed.draft.document(mode="sync", listing="full", created=datetime.now(UTC))
        assert document.summary.targets["target"].unchanged == 6
        assert document.summary.changes == 0


def test_the_text_plan_ends_with_how_its_run_went(
    tmp_path: Path, emulators: dict[str, str]
) -> None:
    code, output, _ = stdout_of("plan", str(DEMO), env=emulators)
    assert code == 0
    assert "Plan " in output
    assert output.rstrip().splitlines()[-1].startswith("plan demo: succeeded — listed 8")
