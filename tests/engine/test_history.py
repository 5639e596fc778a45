"""Run reports and history (issue 11): a migration with failures, its retry, then a sync; for
each run the counts agree between the summary printed at the end, the run's report (built from
the state and saved as JSON), ``syncer status`` and ``syncer history``."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner, Result

from syncer.cli import main
from syncer.emulators.images import generate
from syncer.emulators.partium.emulator import PartiumEmulator
from syncer.emulators.server import serve_in_thread
from syncer.emulators.spiffy.emulator import SpiffyEmulator
from syncer.engine.report import summary_text
from syncer.engine.run import JobRun, Mode, RunSummary
from syncer.engine.run_report import run_report, save_run_report
from syncer.errors import SyncerError
from syncer.plans.jsonfile import read_document
from syncer.plans.model import Document, Entry, Kind
from tests.engine.rigs import Opened, opened
from tests.engine.test_run import JOB, FlakyTarget, World, killed_mid_create, world

__all__ = ["world"]

#: Bytes that Spiffy sniffs as a JPEG and refuses: they do not decode.
BROKEN_JPEG = b"\xff\xd8\xff\xe0" + bytes(200)
#: Spiffy's own words for it.
SPIFFY_REFUSAL = "is not a valid image"


@dataclass
class Rig:
    it: Opened
    partium: PartiumEmulator
    spiffy: SpiffyEmulator
    job_file: Path
    env: dict[str, str]

    def run(self, mode: Mode, flaky_key: str | None = None) -> JobRun:
        it = self.it
        run = JobRun(it.job, it.store, it.spool, it.session, mode)
        if flaky_key is not None:  # its first create answers 503: failed, retryable
            run.replace_client("shop", FlakyTarget(run.client_of("shop"), flaky_key, fail=1))
        return run

    async def cli(self, *args: str) -> str:
        """``syncer <args>`` through the CLI (in a thread: it runs its own event loop)."""
        result = await anyio.to_thread.run_sync(
            lambda: CliRunner().invoke(main, list(args), env=self.env, catch_exceptions=False)
        )
        assert result.exit_code == 0, result.output
        return result.output


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    partium, spiffy = PartiumEmulator(), SpiffyEmulator()
    partium.seed(10, 2, seed_value=4)
    spiffy.seed(0, 2)
    owner = partium.store.owners["part-0001"]
    partium.admin_add(owner, "broken.jpg", BROKEN_JPEG, {"image_id": "broken"})
    state = f'state = "sqlite+aiosqlite:///{tmp_path}/state.db"\n'
    emulators = {"PARTIUM_URL": partium, "SPIFFY_URL": spiffy}
    async with opened(tmp_path, state + JOB, emulators) as it:
        env = {"PARTIUM_URL": it.job.source.base_url, "SPIFFY_URL": it.job.targets[0].base_url}
        yield Rig(it, partium, spiffy, tmp_path / "job.toml", env)


def printed(summary: RunSummary, mode: str) -> dict[str, int]:
    """The counts of the summary a run prints when it ends, read back from its text."""
    text = summary_text(summary, "job", mode)
    head = text.splitlines()[0]
    rows = re.findall(r"planned +\d+  done +(\d+)  failed +(\d+)", text)
    return {
        "listed": int(re.search(r"listed (\d+)", head)[1]),  # type: ignore[index]
        "done": sum(int(done) for done, _ in rows),
        "failed": sum(int(failed) for _, failed in rows),
        "skipped": sum(int(n) for n in re.findall(r"^  skipped +(\d+)", text, re.M)),
        "uploaded_bytes": int(re.search(r"uploaded (\d+) bytes", head)[1]),  # type: ignore[index]
        "retried": int(m[1]) if (m := re.search(r"retried (\d+)", head)) else 0,
    }


def reported(document: Document) -> dict[str, int]:
    facts = document.summary.facts
    counted = {key: facts[key] for key in ("listed", "done", "failed", "skipped", "retried")}
    shop = document.summary.targets["shop"]
    assert shop.outcomes["done"] == facts["done"]
    assert shop.outcomes["failed"] == facts["failed"]
    assert shop.outcomes["skipped"] == facts["skipped"]
    assert shop.upload_bytes == facts["uploaded_bytes"]
    failures = sum(n for code, n in shop.reasons.items() if code.startswith("failed_"))
    assert failures == facts["failed"]
    assert sum(shop.reasons.values()) - failures + shop.unchanged == facts["skipped"]
    return {**counted, "uploaded_bytes": facts["uploaded_bytes"]}


async def status_of(rig: Rig, run_id: int) -> dict[str, int]:
    """What ``syncer status JOB`` says of the run."""
    output = await rig.cli("status", str(rig.job_file))
    line = re.search(rf"^ +{run_id}  .*listed (\d+), done (\d+), failed (\d+)$", output, re.M)
    assert line, output
    return {"listed": int(line[1]), "done": int(line[2]), "failed": int(line[3])}


async def history_of(rig: Rig, run_id: int) -> dict[str, Any]:
    """What ``syncer history JOB`` says of the run, as JSON and as text."""
    rows = json.loads(await rig.cli("history", str(rig.job_file), "--format", "json"))
    [row] = [r for r in rows if r["id"] == run_id]
    text = await rig.cli("history", str(rig.job_file))
    [line] = [t.split() for t in text.splitlines()[1:] if t.split()[0] == str(run_id)]
    keys = ("listed", "done", "failed", "skipped", "retried", "uploaded_bytes")
    assert [int(n) for n in line[-6:]] == [row[k] for k in keys]
    return {k: row[k] for k in keys}


async def agree(rig: Rig, summary: RunSummary, mode: Mode) -> Document:
    """Every view of the run agrees with its summary; the run's report (from the state)."""
    assert summary.run_id is not None
    store, job = rig.it.store, rig.it.job.name
    expected = {
        "listed": summary.listed,
        "done": sum(summary.done.values()),
        "failed": sum(summary.failed.values()),
        "skipped": sum(summary.skipped.values()),
        "retried": sum(summary.retried.values()),
        "uploaded_bytes": summary.uploaded_bytes,
    }
    assert printed(summary, mode.value) == expected
    document = await run_report(store, job, summary.run_id)
    assert reported(document) == expected
    path = await save_run_report(store, job, summary.run_id, rig.job_file.parent / "reports")
    assert path.name == f"run-{summary.run_id}.json"
    assert reported(read_document(path, kind=Kind.RUN)) == expected
    assert [e.to_json() for e in read_document(path).entries()] == [
        e.to_json() for e in document.entries()
    ]
    status = {k: expected[k] for k in ("listed", "done", "failed")}
    assert await status_of(rig, summary.run_id) == status
    assert await history_of(rig, summary.run_id) == expected
    # The journalled ops it settled are its entries, each with its outcome.
    outcomes = Counter(e.outcome for e in document.entries())
    assert (outcomes["done"], outcomes["failed"]) == (expected["done"], expected["failed"])
    return document


def failed_entries(document: Document) -> list[Entry]:
    return [e for e in document.entries() if e.outcome == "failed"]


async def test_every_view_of_each_run_agrees_on_every_count(rig: Rig) -> None:
    keys = sorted(i.id for i in rig.partium.store.iter_images() if i.id != "broken")
    flaky = keys[0]
    migrated = await rig.run(Mode.MIGRATE, flaky_key=flaky).run()
    assert migrated.status == "partial"
    assert sum(migrated.failed.values()) == 2
    document = await agree(rig, migrated, Mode.MIGRATE)
    # What was sent to the target is what it holds, byte for byte.
    assert migrated.uploaded_bytes == sum(i.size for i in rig.spiffy.store.iter_images()) > 0
    failures = {e.key: e for e in failed_entries(document)}
    assert set(failures) == {flaky, "broken"}
    assert failures["broken"].code == "failed_terminal"
    assert SPIFFY_REFUSAL in (failures["broken"].error or "")  # the vendor's own message
    assert "key 'broken'" in (failures["broken"].error or "")
    assert failures["broken"].filename == "broken"
    assert failures[flaky].code == "failed_retryable"
    assert failures[flaky].attempts == 1
    assert document.header.kind is Kind.RUN
    assert document.header.extra["status"] == "partial"
    assert document.summary.targets["shop"].reasons == Counter(
        {"failed_terminal": 1, "failed_retryable": 1}
    )

    retried = await rig.run(Mode.RETRY).run()
    assert sum(retried.done.values()) == 1
    assert sum(retried.retried.values()) == 1
    document = await agree(rig, retried, Mode.RETRY)
    [entry] = list(document.entries())  # the op it took up from the migration
    assert (entry.key, entry.outcome, entry.attempts) == (flaky, "done", 2)
    assert document.summary.facts["not_retried"] == 1

    image = next(i for i in rig.partium.store.iter_images() if i.id == keys[1])
    rig.partium.admin_edit(image, {}, generate(random.Random(5), ("png",)).data)
    synced = await rig.run(Mode.SYNC).run()
    assert synced.done["shop.replace"] == 1
    document = await agree(rig, synced, Mode.SYNC)
    assert document.summary.targets["shop"].unchanged == 9
    [refused] = failed_entries(document)  # planned again, refused again
    assert refused.key == "broken"
    assert SPIFFY_REFUSAL in (refused.error or "")


# -- through the CLI, as a user runs them ---------------------------------------------------------

DEMO = Path(__file__).parents[2] / "jobs" / "demo.toml"


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The demo job's emulators served from threads; the working directory is ``tmp_path``
    (the demo keeps its state in .syncer/demo.db there, and the runs' reports)."""
    monkeypatch.chdir(tmp_path)
    partium, spiffy = PartiumEmulator(), SpiffyEmulator()
    partium.seed(6, 2)
    spiffy.seed(0, 3)
    with serve_in_thread(partium) as p_url, serve_in_thread(spiffy) as s_url:
        yield {"PARTIUM_URL": p_url, "SPIFFY_URL": s_url}


def invoke(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_each_run_leaves_its_report_and_history_lists_the_runs(
    tmp_path: Path, demo: dict[str, str]
) -> None:
    for run_id, command in enumerate(("migrate", "sync"), start=1):
        result = invoke(demo, command, str(DEMO))
        assert result.exit_code == 0, result.output
        path = Path(".syncer") / "reports" / "demo" / f"run-{run_id}.json"
        assert f"report: {path}" in result.stderr.splitlines()
        saved = read_document(tmp_path / path, kind=Kind.RUN)
        assert (saved.header.id, saved.header.mode) == (str(run_id), command)
    assert saved.summary.targets["spiffy"].unchanged == 6

    history = invoke(demo, "history", str(DEMO), "--format", "json")
    assert history.exit_code == 0, history.output
    rows = json.loads(history.output)
    assert [(r["id"], r["mode"], r["status"]) for r in rows] == [
        (2, "sync", "succeeded"),
        (1, "migrate", "succeeded"),
    ]
    assert (rows[1]["done"], rows[0]["skipped"]) == (6, 6)
    assert rows[1]["uploaded_bytes"] > 0
    assert rows[0]["uploaded_bytes"] == 0
    limited = invoke(demo, "history", str(DEMO), "--limit", "1", "--format", "markdown")
    assert limited.output.splitlines()[0].startswith("| run | mode | status")
    assert len(limited.output.splitlines()) == 3  # the heading, its rule, one run

    out = tmp_path / "out" / "run-1.json"
    shown = invoke(demo, "report", "1", str(DEMO), "--format", "json", "--out", str(out))
    assert shown.exit_code == 0, shown.output
    again = read_document(out, kind=Kind.RUN)
    assert (
        again.summary.facts == read_document(tmp_path / path.with_name("run-1.json")).summary.facts
    )
    assert sum(1 for _ in again.entries()) == 6
    printed_json = invoke(
        demo, "report", "1", "--state", "sqlite+aiosqlite:///.syncer/demo.db", "--format", "json"
    )
    assert printed_json.exit_code == 0, printed_json.output
    assert '"schema": "syncer/run"' in printed_json.output


def test_an_unknown_run_or_a_missing_state_is_one_line_exit_2_and_creates_nothing(
    tmp_path: Path, demo: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert invoke(demo, "migrate", str(DEMO)).exit_code == 0
    unknown = invoke(demo, "report", "7", str(DEMO), "--format", "json")
    assert unknown.exit_code == 2
    assert unknown.output.splitlines() == [
        "error: no run 7 of job demo in the state store; `syncer history JOB` lists the runs"
    ]
    typo = tmp_path / "sttae" / "state.db"
    missing = invoke(demo, "report", "1", "--state", f"sqlite+aiosqlite:///{typo}")
    assert missing.exit_code == 2, missing.output
    assert missing.output.startswith(f"error: no state at {typo};")
    assert len(missing.output.splitlines()) == 1
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no state here: history of the demo finds none, and makes none
    gone = invoke(demo, "history", str(DEMO))
    assert gone.exit_code == 2, gone.output
    assert len(gone.output.splitlines()) == 1
    assert not typo.parent.exists()
    assert not (elsewhere / ".syncer").exists()


def test_a_report_that_cannot_be_written_is_a_warning_not_a_failed_run(
    tmp_path: Path, demo: dict[str, str]
) -> None:
    (tmp_path / ".syncer").mkdir()
    (tmp_path / ".syncer" / "reports").write_text("a file where the reports go")
    result = invoke(demo, "migrate", str(DEMO))
    assert result.exit_code == 0, result.output
    [warning] = [line for line in result.stderr.splitlines() if "report" in line]
    assert warning.startswith("warning: the report of run 1 was not written (")
    assert "syncer report 1 JOB" in warning
    assert "done      6" in result.stdout


@pytest.mark.parametrize(
    ("fmt", "module", "fragment"),
    [("text", "terminal", "spiffy"), ("markdown", "markdown", "spiffy"), ("html", "html", "<")],
)
def test_report_renders_in_every_format(
    tmp_path: Path, demo: dict[str, str], fmt: str, module: str, fragment: str
) -> None:
    pytest.importorskip(f"syncer.plans.{module}")  # the renderers land on their own branches
    assert invoke(demo, "migrate", str(DEMO)).exit_code == 0
    shown = invoke(demo, "report", "1", str(DEMO), "--format", fmt)
    assert shown.exit_code == 0, shown.output
    assert fragment in shown.output


async def test_a_killed_runs_report_shows_its_open_op_and_the_next_run_takes_it_up(
    world: World,
) -> None:
    key = await killed_mid_create(world)
    [killed] = await world.store.runs(world.job.name, limit=1)
    document = await run_report(world.store, world.job.name, killed.id)
    left = [(e.key, e.code) for e in document.entries() if e.outcome == "open"]
    assert left == [(key, "sent_unknown")]  # its outcome unknown: the next run looks for it
    assert document.summary.facts["open"] == 1
    assert document.summary.targets["shop"].outcomes["open"] == 1

    summary = await world.run(Mode.SYNC)
    assert summary.resumed == 1
    assert summary.run_id is not None
    document = await run_report(world.store, world.job.name, summary.run_id)
    assert [e.outcome for e in document.entries() if e.key == key] == ["done"]
    assert Counter(e.outcome for e in document.entries())["done"] == sum(summary.done.values())
    assert document.summary.facts["resumed"] == 1


def test_report_out_is_written_whole_or_not_at_all(
    tmp_path: Path, demo: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import syncer.engine.history

    assert invoke(demo, "migrate", str(DEMO)).exit_code == 0
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    refused = invoke(demo, "report", "1", str(DEMO), "--out", str(blocked / "run.json"))
    assert refused.exit_code == 2
    assert refused.output.startswith(f"error: {blocked / 'run.json'}: cannot write the report")

    def breaks_midway(document: Document, fmt: object, out: Any, **options: Any) -> None:
        out.write('{"schema": "syncer/run", ')
        raise SyncerError("the renderer broke")

    monkeypatch.setattr(syncer.engine.history, "render", breaks_midway)
    out = tmp_path / "reports" / "run-1.json"
    broken = invoke(demo, "report", "1", str(DEMO), "--format", "json", "--out", str(out))
    assert broken.exit_code == 5
    assert broken.output == "error: the renderer broke\n"
    assert list(out.parent.iterdir()) == []  # no half file, no temporary one
