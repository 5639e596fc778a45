"""``syncer demo``: the whole story on this machine, in a minute.

Starts the four vendor emulators in-process on free loopback ports, seeded; migrates Partium's
part images to a Spiffy Stores shop and a Moov account; then changes the source the way a Partium
user would (adds, edits, deletes); makes a plan of the sync this calls for, saved for review (JSON,
and an HTML page with thumbnails); applies exactly that plan; runs a sync, which finds nothing left
to do (Partium has no watermark, so a full listing whose unchanged images are skipped); and shows
what happened.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

from syncer.emulators import emulator_class
from syncer.emulators.base import VendorEmulator
from syncer.emulators.images import generate
from syncer.emulators.server import serve
from syncer.engine.report import summary_text
from syncer.engine.run import Mode, RunSummary, run_job
from syncer.http import open_session
from syncer.jobs import Job, load_job
from syncer.spool import Spool
from syncer.state import StateStore

SOURCE_IMAGES = 30

JOB = """\
# Written by `syncer demo`: Partium part images to a Spiffy shop and a Moov account.
name = "demo"
state = "sqlite+aiosqlite:///{state}"

[source]
vendor = "partium"
base_url = "{partium}"
api_key = "demo"

[[targets]]
name = "shop"
vendor = "spiffy"
base_url = "{spiffy}"
api_key = "demo"
password = "demo"
[targets.delete]
enabled = true
[targets.mapping]
owners = {{ "part-0001" = "products/100001", "part-0002" = "products/100002" }}
default_owner = "products/100003"
fields = {{ alt = "Part {{owner}}" }}

[[targets]]
name = "payments"
vendor = "moov"
base_url = "{moov}"
username = "demo"
password = "demo"
[targets.delete]
enabled = true
[targets.mapping]
default_owner = "11111111-1111-4111-8111-111111111111"
"""


def demo_emulators() -> dict[str, VendorEmulator]:
    """The four emulators, seeded as the demo seeds them (its source, Partium, with 30 images)."""
    emulators = {
        name: emulator_class(name)() for name in ("beproduct", "moov", "partium", "spiffy")
    }
    emulators["partium"].seed(SOURCE_IMAGES, 3, seed_value=2026)
    emulators["spiffy"].seed(0, 3)
    emulators["moov"].seed(0, 1)  # the demo account, empty
    emulators["beproduct"].seed(12, 2)
    return emulators


async def demo(workdir: Path, echo: Callable[[str], None]) -> int:
    """Run the demo under ``workdir`` (state, spool, job file); 0 when every step succeeded."""
    await anyio.Path(workdir).mkdir(parents=True, exist_ok=True)
    emulators = demo_emulators()
    async with AsyncExitStack() as stack:
        urls = {
            name: await stack.enter_async_context(serve(emulator))
            for name, emulator in emulators.items()
        }
        for name, url in urls.items():
            echo(f"  {emulators[name].title:22} {url}  ({len(emulators[name].store)} images)")
        job_path = workdir / "demo.toml"
        await anyio.Path(job_path).write_text(JOB.format(state=workdir / "state.db", **urls))
        job = load_job(job_path)
        store = await stack.enter_async_context(await StateStore.open(job.state))
        spool = await stack.enter_async_context(Spool(workdir / "spool"))
        session = await stack.enter_async_context(open_session())

        async def step(title: str, mode: Mode) -> RunSummary:
            echo(f"\n== {title}")
            summary = await run_job(job, mode, store=store, spool=spool, session=session)
            echo(summary_text(summary, job.name, mode.value))
            return summary

        first = await step("1. migrate Partium -> Spiffy shop + Moov account", Mode.MIGRATE)
        echo("\n== 2. a Partium user changes the catalog: 2 new images, 1 new photo, 1 deleted")
        _change_source(emulators["partium"])
        echo("\n== 3. plan the sync, saved for review")
        plan = await plan_step(job, workdir, echo, store=store, spool=spool, session=session)
        echo(f"\n== 4. apply exactly that plan ({plan})")
        applied = await apply_step(job, plan, echo, store=store, spool=spool, session=session)
        second = await step("5. sync (a full listing: nothing is left to do)", Mode.SYNC)
        echo("\n== 6. where things stand")
        for name in ("partium", "spiffy", "moov"):
            emulator = emulators[name]
            live = sum(1 for i in emulator.store.iter_images() if not i.deleted)
            echo(f"  {emulator.title:22} {live} live images")
    echo(f"\nThe job file is {job_path}; `syncer status {job_path}` shows the runs.")
    ok = first.status == applied.status == second.status == "succeeded"
    return 0 if ok else 3


async def plan_step(job: Job, workdir: Path, echo: Callable[[str], None], **run: Any) -> Path:
    """Plan a sync of ``job``; save it (``plan.json``) and its page (``plan.html``); print it."""
    from syncer.plans.html import render_html
    from syncer.plans.jsonfile import save_document
    from syncer.plans.terminal import render_terminal

    summary = await run_job(job, Mode.PLAN, **run)
    assert summary.draft is not None
    document = summary.draft.document(
        mode="sync", listing=summary.listing, created=datetime.now(UTC).replace(microsecond=0)
    )
    try:
        plan, page = workdir / "plan.json", workdir / "plan.html"
        save_document(document, plan)
        with page.open("w", encoding="utf-8") as out:
            render_html(document, out)
        text = io.StringIO()
        render_terminal(document, text, limit=5)
        echo(text.getvalue().rstrip())
    finally:
        summary.draft.close()
    echo(f"saved: {plan} (for `syncer apply`) and {page} (open it in a browser)")
    return plan


async def apply_step(job: Job, plan: Path, echo: Callable[[str], None], **run: Any) -> RunSummary:
    """Carry out the saved plan exactly."""
    from syncer.engine.applying import PlanApply
    from syncer.plans.jsonfile import read_document
    from syncer.plans.model import Kind

    applying = PlanApply(read_document(plan, kind=Kind.PLAN), plan)
    summary = await run_job(job, Mode.APPLY, applying=applying, **run)
    echo(summary_text(summary, job.name, Mode.APPLY.value))
    return summary


def _change_source(partium: VendorEmulator) -> None:
    rng = random.Random(7)
    images = list(partium.store.iter_images())
    owner = partium.store.owners_of()[0]
    for index in range(2):
        partium.admin_add(owner, f"new-{index}.jpg", generate(rng, ("jpeg",)).data, {})
    partium.admin_edit(images[0], {}, generate(rng, ("png",)).data)
    partium.admin_delete(images[1])
