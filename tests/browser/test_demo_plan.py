"""The HTML plan of the demo job after the demo's source changes, in Chromium: the plan a person
would review before applying it (a replace with its old and new images, a delete, the creates),
every thumbnail decoded, nothing requested outside the page; the screenshot is kept as
``plan-demo.png`` with the other artifacts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

from syncer.demo import JOB, _change_source, demo_emulators
from syncer.emulators.server import serve
from syncer.engine.run import Mode, run_job
from syncer.http import open_session
from syncer.jobs import load_job
from syncer.plans.html import render_html
from syncer.plans.model import Document
from syncer.spool import Spool
from syncer.state import StateStore
from tests.browser.test_plan_page import browser, full_page_screenshot, open_page

__all__ = ["browser"]  # the fixture, used by name


async def demo_plan(workdir: Path) -> Document:
    """The demo's emulators and job, migrated, then the demo's source changes, then a plan."""
    emulators = demo_emulators()
    async with AsyncExitStack() as stack:
        urls = {name: await stack.enter_async_context(serve(e)) for name, e in emulators.items()}
        job_path = workdir / "demo.toml"
        job_path.write_text(JOB.format(state=workdir / "state.db", **urls))
        job = load_job(job_path)
        store = await stack.enter_async_context(await StateStore.open(job.state))
        spool = await stack.enter_async_context(Spool(workdir / "spool"))
        session = await stack.enter_async_context(open_session())
        await run_job(job, Mode.MIGRATE, store=store, spool=spool, session=session)
        _change_source(emulators["partium"])
        summary = await run_job(job, Mode.PLAN, store=store, spool=spool, session=session)
        assert summary.draft is not None
        document = summary.draft.document(
            mode="sync", listing=summary.listing, created=datetime.now(UTC)
        )
        kept = list(document.entries())
        summary.draft.close()
        return Document.of(
            document.header, kept, summary=document.summary, thumbnails=document.thumbnails
        )


def test_the_demo_plan_opens_in_chromium_with_its_thumbnails(browser: Any, tmp_path: Path) -> None:
    with ThreadPoolExecutor(1) as thread:  # sync Playwright runs a loop in this thread
        document = thread.submit(anyio.run, demo_plan, tmp_path).result()
    entries = list(document.entries())
    actions = sorted(e.action for e in entries)
    assert actions.count("replace") == 2, actions  # one per target
    assert actions.count("delete") == 2, actions
    assert actions.count("create") == 4, actions
    page_file = tmp_path / "plan-demo.html"
    with page_file.open("w", encoding="utf-8") as out:
        render_html(document, out)
    watched = open_page(browser, page_file.as_uri())
    try:
        page = watched.page
        images: list[list[Any]] = page.evaluate(
            "Array.from(document.images).map((i) => [i.complete, i.naturalWidth])"
        )
        # a thumbnail for every create and delete, two for a replace (old and new)
        wanted = sum({"create": 1, "delete": 1, "replace": 2}.get(a, 0) for a in actions)
        assert len(images) == wanted
        assert all(complete and width > 0 for complete, width in images)
        assert watched.outside == []
        assert watched.console == []
        assert watched.dialogs == []
        assert full_page_screenshot(page, "plan-demo.png").stat().st_size > 0
    finally:
        watched.page.context.close()
