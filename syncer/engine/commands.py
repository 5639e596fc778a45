"""What the ``migrate``, ``sync``, ``plan``, ``retry`` and ``status`` commands do, as functions
returning an exit code, so that the CLI only parses arguments.

Exit codes: 0 done; 2 configuration error (a job file, a setting); 3 partial failure (some items
failed: see ``syncer status``, then ``syncer retry``); 4 stopped by a guard (max-delete); 5 the run
could not proceed (credentials refused, a vendor unreachable, the job already running); 130 and
143 stopped by SIGINT or SIGTERM (128 + the signal: what finished is committed, the run recorded
``interrupted`` and the next run resumes; see :mod:`syncer.engine.stopping`).
"""

from __future__ import annotations

from pathlib import Path

import anyio
import click

from syncer.engine.progress import TerminalProgress
from syncer.engine.report import plan_json, runs_text, summary_text
from syncer.engine.run import Mode, run_job
from syncer.engine.stopping import DEFAULT_GRACE, stop_on_signals
from syncer.errors import ConfigError, StateError, VendorError
from syncer.http import open_session
from syncer.jobs import Job, load_job
from syncer.spool import Spool
from syncer.state import StateStore

OK, CONFIG, PARTIAL, GUARD, BLOCKED = 0, 2, 3, 4, 5
SPOOL_ROOT = Path(".syncer") / "spool"


def run_command(
    job_path: Path,
    mode: Mode,
    *,
    as_json: bool = False,
    full: bool = False,
    stop_grace: float = DEFAULT_GRACE,
) -> int:
    """Load the job, run it in ``mode``, print the report; the exit code says how it went.
    ``full``: a sync or plan lists everything even when an incremental listing is due;
    ``stop_grace``: seconds requests in flight get to finish after SIGTERM or SIGINT."""
    try:
        job = load_job(job_path)
        return anyio.run(_run, job, mode, as_json, full, stop_grace)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        return CONFIG
    except (VendorError, StateError) as exc:
        click.echo(f"error: {exc}", err=True)
        return BLOCKED


async def _run(job: Job, mode: Mode, as_json: bool, full: bool, stop_grace: float) -> int:
    async with (
        stop_on_signals(stop_grace, lambda line: click.echo(line, err=True)) as stop,
        await StateStore.open(job.state) as store,
        Spool(SPOOL_ROOT / job.name) as spool,
        open_session() as session,
    ):
        try:
            with TerminalProgress() as progress:
                summary = await run_job(
                    job,
                    mode,
                    store=store,
                    spool=spool,
                    session=session,
                    progress=progress,
                    full=full,
                    stop=stop,
                )
        except* VendorError as group:  # credentials refused, a vendor unreachable, ...
            raise _first(group) from None
    if mode is Mode.PLAN and as_json:
        click.echo(plan_json(summary))
    else:
        click.echo(summary_text(summary, job.name, mode.value))
    codes = {"succeeded": OK, "partial": PARTIAL, "stopped": GUARD, "interrupted": stop.exit_code}
    return codes.get(summary.status, PARTIAL)


def _first(group: BaseExceptionGroup[Exception]) -> Exception:
    """The first error in a (possibly nested) exception group from the run's task groups."""
    error: Exception | BaseExceptionGroup[Exception] = group
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error


def status_command(job_path: Path | None, state_url: str | None) -> int:
    try:
        job = load_job(job_path) if job_path else None
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        return CONFIG
    url = job.state if job is not None else state_url
    name = job.name if job is not None else None
    try:
        click.echo(anyio.run(_status, url, name))
    except StateError as exc:
        click.echo(f"error: {exc}", err=True)
        return BLOCKED
    return OK


async def _status(url: str | None, name: str | None) -> str:
    async with await StateStore.open(url) as store:
        runs = await store.runs(name, limit=20)
        jobs = sorted({run.job for run in runs})
        failed = {job: len(await store.failed_ops(job)) for job in jobs}
        return runs_text(runs, failed)
