"""What the ``migrate``, ``sync``, ``plan``, ``retry`` and ``status`` commands do, as functions
returning an exit code, so that the CLI only parses arguments.

Exit codes: 0 done; 2 configuration error (a job file, a setting, a state store that does not
exist for ``status``); 3 partial failure (some items failed: see ``syncer status``, then ``syncer
retry``); 4 stopped by a guard (max-delete); 5 the run could not proceed (credentials refused, a
vendor unreachable, the job already running); 130 and 143 stopped by SIGINT or SIGTERM (128 + the
signal: what finished is committed, the run recorded ``interrupted`` and the next run resumes; see
:mod:`syncer.engine.stopping`). Any :class:`~syncer.errors.SyncerError`, even one raised inside the
run's task groups, is one line on stderr with its code; anything else is a bug: the CLI's last
resort (``syncer.crash``) prints one line naming a log with the traceback and exits 70.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import click

from syncer.crash import job_secrets, remember_secrets, reported
from syncer.engine.progress import stderr_progress
from syncer.engine.report import (
    FAILED_SHOWN,
    failed_items_text,
    plan_json,
    runs_text,
    summary_text,
)
from syncer.engine.run import Mode, run_job
from syncer.engine.run_report import leave_report
from syncer.engine.stopping import DEFAULT_GRACE, stop_on_signals
from syncer.errors import ConfigError, StateError, SyncerError
from syncer.http import open_session
from syncer.jobs import Job, load_job
from syncer.spool import Spool
from syncer.state import StateStore

OK, CONFIG, PARTIAL, GUARD, BLOCKED = 0, 2, 3, 4, 5
SPOOL_ROOT = Path(".syncer") / "spool"
#: Each run's report, as ``<job>/run-<id>.json`` (next to the spool).
REPORTS_ROOT = SPOOL_ROOT.parent / "reports"


def run_command(
    job_path: Path,
    mode: Mode,
    *,
    as_json: bool = False,
    full: bool = False,
    restart_listing: bool = False,
    stop_grace: float = DEFAULT_GRACE,
) -> int:
    """Load the job, run it in ``mode``, print the report; the exit code says how it went.
    ``full``: a sync or plan lists everything even when an incremental listing is due;
    ``restart_listing``: a listing a stopped run left unfinished is dropped, not resumed;
    ``stop_grace``: seconds requests in flight get to finish after SIGTERM or SIGINT."""
    try:
        job = load_job(job_path)
        remember_secrets(job_secrets(job))
        return anyio.run(_run, job, mode, as_json, full, restart_listing, stop_grace)
    except SyncerError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code


async def _run(
    job: Job, mode: Mode, as_json: bool, full: bool, restart_listing: bool, stop_grace: float
) -> int:
    async with (
        stop_on_signals(stop_grace, lambda line: click.echo(line, err=True)) as stop,
        await StateStore.open(job.state) as store,
        Spool(SPOOL_ROOT / job.name) as spool,
        open_session() as session,
    ):
        try:
            with stderr_progress() as progress:
                summary = await run_job(
                    job,
                    mode,
                    store=store,
                    spool=spool,
                    session=session,
                    progress=progress,
                    full=full,
                    restart_listing=restart_listing,
                    stop=stop,
                )
        except* SyncerError as group:  # credentials refused, a wrong setting, a lost lease, ...
            raise reported(group) from None
        if summary.run_id is not None:  # a run, not a plan: it leaves a report
            reports = REPORTS_ROOT / job.name
            await leave_report(store, job.name, summary.run_id, reports, _on_stderr)
    if mode is Mode.PLAN and as_json:
        click.echo(plan_json(summary))
    else:
        click.echo(summary_text(summary, job.name, mode.value))
    codes = {"succeeded": OK, "partial": PARTIAL, "stopped": GUARD, "interrupted": stop.exit_code}
    return codes.get(summary.status, PARTIAL)


def _on_stderr(line: str) -> None:
    click.echo(line, err=True)


def status_command(job_path: Path | None, state_url: str | None) -> int:
    try:
        job = load_job(job_path) if job_path else None
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    url = job.state if job is not None else state_url
    name = job.name if job is not None else None
    try:
        click.echo(anyio.run(_status, url, name))
    except StateError as exc:  # StateMissingError: a wrong path or key, exit 2
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    return OK


async def _status(url: str | None, name: str | None) -> str:
    """The last runs and failure counts per job; for one job (``name``), its failed items too.
    Read-only: a store that does not exist is reported (StateMissingError), never created."""
    async with await StateStore.open(url, create=False) as store:
        runs = await store.runs(name, limit=20)
        jobs = sorted({run.job for run in runs})
        failed = {job: await store.count_failed(job) for job in jobs}
        terminal = {job: await store.count_failed(job, terminal_only=True) for job in jobs}
        text = runs_text(runs, failed, terminal)
        if name is None or not failed.get(name):
            return text
        ops = await store.failed_ops(name, limit=FAILED_SHOWN)
        return f"{text}\n{failed_items_text(ops, failed[name])}"
