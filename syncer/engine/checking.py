"""``syncer check`` and ``syncer sync --repair`` around one target's check
(:mod:`syncer.engine.check`): every target checked at once (:func:`check_job`), the document
and its exit code (:func:`check_command`), the repair's link changes (:func:`prepare_repair`).

Exit codes of ``syncer check``: 0 every target in step with what syncer pushed (foreign items
alone are not drift: a catalog may be shared with people and other tools, and syncer never
touches what it did not push); 1 drift found (an item missing or changed on some target); 2 a
configuration error (the job file, a setting, a state store that does not exist: no sync ever
ran); 5 the check could not run (credentials refused, a vendor unreachable), one line.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import aiohttp
import anyio
import click

from syncer.crash import job_secrets, remember_secrets, reported
from syncer.engine.check import CheckOptions, CheckResult, TargetCheck
from syncer.errors import ConfigError, SyncerError, VendorError
from syncer.http import open_session
from syncer.jobs import Job, load_job
from syncer.plans.jsonfile import EntryLog, save_document
from syncer.plans.model import Document, Header, Kind, Summary
from syncer.plans.render import Format, render
from syncer.state import StateStore
from syncer.state.drift import LinkReset

IN_STEP, DRIFT = 0, 1
DEFAULTS = CheckOptions()


async def check_job(
    job: Job,
    store: StateStore,
    session: aiohttp.ClientSession,
    options: CheckOptions,
    entries: EntryLog,
) -> CheckResult:
    """Check every target of ``job`` at once (each lists its own vendor); the findings go to
    ``entries`` and the result's summary. Raises the first target's VendorError (credentials
    refused, a vendor unreachable), naming the target."""
    result = CheckResult(Summary(), entries)
    checks = [TargetCheck(job, config, store, result, options) for config in job.targets]
    failed: list[VendorError] = []

    async def one(check: TargetCheck) -> None:
        try:
            await check.run(session)
        except VendorError as exc:
            exc.operation = f"{exc.operation or 'check'} of target {check.name!r}"
            failed.append(exc)

    async with anyio.create_task_group() as group:
        for check in checks:
            group.start_soon(one, check)
    if failed:
        raise failed[0]
    return result


def check_command(
    job_path: Path,
    fmt: Format,
    *,
    out: Path | None = None,
    options: CheckOptions = DEFAULTS,
) -> int:
    """Load the job, check its targets, write the document (to ``out``, else stdout) in
    ``fmt``; the exit code says whether anything drifted."""
    try:
        job = load_job(job_path)
        remember_secrets(job_secrets(job))
        return anyio.run(_check, job, job_path, fmt, out, options)
    except SyncerError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code


async def _check(
    job: Job, job_path: Path, fmt: Format, out: Path | None, options: CheckOptions
) -> int:
    with EntryLog() as entries:
        async with (
            await StateStore.open(job.state, create=False) as store,
            open_session() as session,
        ):
            try:
                result = await check_job(job, store, session, options, entries)
            except* SyncerError as group:
                raise reported(group) from None
        document = check_document(job, result, job_path)
        if out is None:
            _render(document, fmt, sys.stdout, options)
        elif fmt is Format.JSON:  # written whole or not at all
            save_document(document, out)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("w", encoding="utf-8") as stream:
                _render(document, fmt, stream, options)
    return DRIFT if result.drift else IN_STEP


def _render(document: Document, fmt: Format, out: IO[str], options: CheckOptions) -> None:
    try:
        render(document, fmt, out, unchanged=options.list_in_step)
    except ImportError as exc:  # a renderer this build lacks
        raise ConfigError(
            f"the {fmt.value} format is not available here ({exc}); use json"
        ) from None


def check_document(job: Job, result: CheckResult, job_path: Path | None = None) -> Document:
    """The check as a document of kind ``check`` (its entries read from the result's log)."""
    header = Header(
        kind=Kind.CHECK,
        job=job.name,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        mode="check",
        source=job.source.vendor,
        job_file=str(job_path) if job_path is not None else None,
        extra={"drift": result.drift, "targets": [t.name for t in job.targets]},
    )
    return Document(header, result.summary, lambda: result.entries)


async def prepare_repair(job: Job, store: StateStore, session: aiohttp.ClientSession) -> str:
    """Check ``job``'s targets, then change the drifted links so that the sync that follows
    plans them again: a missing item's link is dropped (the item is created anew), a changed
    one's is reset to what the target holds (bytes: a replace; metadata: an update). Foreign
    items are left alone. The one line to print: what was found and what will be put back."""
    with EntryLog() as entries:
        result = await check_job(job, store, session, CheckOptions(collect=True), entries)
    drop = [(d.target, d.key) for d in result.drifted if d.drop]
    reset = [
        LinkReset(d.target, d.key, d.sha256, d.pushed_json)
        for d in result.drifted
        if not d.drop and d.repairable
    ]
    stuck = sum(not d.repairable for d in result.drifted)
    repaired = await store.repair_links(job.name, drop, reset)
    tallies = result.summary.targets.values()
    foreign = sum(t.actions["foreign"] for t in tallies)
    line = (
        f"repair: {repaired.dropped} missing item(s) to create again, {repaired.reset} changed "
        f"item(s) to put back; {foreign} item(s) not syncer's left alone"
    )
    if repaired.pending:
        line += f"; {len(repaired.pending)} left (an operation is still open)"
    if stuck:
        line += f"; {stuck} disabled on the target, which cannot be put back (see syncer check)"
    return line
