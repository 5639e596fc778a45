"""What the ``migrate``, ``sync``, ``plan``, ``apply``, ``retry`` and ``status`` commands do, as
functions returning an exit code, so that the CLI only parses arguments.

Exit codes: 0 done; 2 configuration error (a job file, a setting, a state store that does not
exist for ``status``); 3 partial failure (some items failed: see ``syncer status``, then ``syncer
retry``); 4 stopped by a guard (max-delete); 5 the run could not proceed (credentials refused, a
vendor unreachable, the job already running); 130 and 143 stopped by SIGINT or SIGTERM (128 + the
signal: what finished is committed, the run recorded ``interrupted`` and the next run resumes; see
:mod:`syncer.engine.stopping`); 6 a saved plan that cannot be applied as it is (another job or other
settings, expired, applied already, or its items changed since: see :mod:`syncer.engine.applying`);
10 ``plan --detailed-exitcode`` found changes (0: none). 2 is not used for changes, as Terraform
does, since it is syncer's code for a configuration error: a CI job can tell the two apart.
Any :class:`~syncer.errors.SyncerError`, even one raised inside the
run's task groups, is one line on stderr with its code; anything else is a bug: the CLI's last
resort (``syncer.crash``) prints one line naming a log with the traceback and exits 70.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import click
from aiohttp import ClientSession

from syncer.crash import job_secrets, remember_secrets, reported
from syncer.engine.applying import PlanApply
from syncer.engine.drafting import DEFAULT_EXPIRY
from syncer.engine.progress import stderr_progress
from syncer.engine.report import (
    FAILED_SHOWN,
    failed_items_text,
    legacy_plan_json,
    runs_text,
    status_line,
    summary_text,
)
from syncer.engine.run import Mode, RunSummary, run_job
from syncer.engine.run_report import leave_report
from syncer.engine.stopping import DEFAULT_GRACE, stop_on_signals
from syncer.errors import ConfigError, StateError, SyncerError
from syncer.http import open_session
from syncer.jobs import Job, load_job
from syncer.spool import Spool
from syncer.state import StateStore

OK, CONFIG, PARTIAL, GUARD, BLOCKED = 0, 2, 3, 4, 5
#: ``plan --detailed-exitcode``: the plan has changes.
CHANGES = 10
SPOOL_ROOT = Path(".syncer") / "spool"
#: Each run's report, as ``<job>/run-<id>.json`` (next to the spool).
REPORTS_ROOT = SPOOL_ROOT.parent / "reports"


@dataclass(frozen=True)
class PlanOutput:
    """What ``syncer plan`` prints and saves."""

    #: The format printed on stdout (``syncer.plans.render.Format``).
    fmt: str = "text"
    #: Where the plan is saved, as JSON (what ``syncer apply`` reads).
    out: Path | None = None
    detailed_exitcode: bool = False
    expires: timedelta = DEFAULT_EXPIRY
    #: List the unchanged items too (they are always counted).
    unchanged: bool = False
    #: ``--json``: the JSON ``syncer plan`` printed before plans were saved (for old scripts).
    legacy_json: bool = False


@dataclass(frozen=True)
class _Options:
    full: bool = False
    restart_listing: bool = False
    stop_grace: float = DEFAULT_GRACE
    plan: PlanOutput | None = None
    applying: PlanApply | None = None
    #: ``sync --repair``: check the targets first and plan what drifted there again.
    repair: bool = False


def run_command(
    job_path: Path,
    mode: Mode,
    *,
    full: bool = False,
    restart_listing: bool = False,
    stop_grace: float = DEFAULT_GRACE,
    plan: PlanOutput | None = None,
    repair: bool = False,
) -> int:
    """Load the job, run it in ``mode``, print the report; the exit code says how it went.
    ``full``: a sync or plan lists everything even when an incremental listing is due;
    ``restart_listing``: a listing a stopped run left unfinished is dropped, not resumed;
    ``stop_grace``: seconds requests in flight get to finish after SIGTERM or SIGINT;
    ``plan``: what ``syncer plan`` prints and saves; ``repair``: a sync checks the targets
    first and plans what drifted there again (:func:`~syncer.engine.checking.prepare_repair`),
    listing everything."""
    options = _Options(full, restart_listing, stop_grace, plan or PlanOutput(), repair=repair)
    try:
        job = load_job(job_path)
        remember_secrets(job_secrets(job))
        return anyio.run(_run, job, mode, options)
    except SyncerError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code


def apply_command(
    plan_path: Path, job_path: Path | None, *, skip_stale: bool, stop_grace: float
) -> int:
    """``syncer apply``: read the plan, load its job (``job_path``, or the file the plan names),
    carry out the plan's ops; the exit code as for a run, or 6 for a plan refused."""
    from syncer.plans.jsonfile import read_document
    from syncer.plans.model import Kind

    try:
        document = read_document(plan_path, kind=Kind.PLAN)
        named = document.header.job_file
        if job_path is None and not named:
            raise ConfigError(f"{plan_path} names no job file: give it with --job")
        job = load_job(job_path or Path(str(named)))
        remember_secrets(job_secrets(job))
        applying = PlanApply(document, plan_path, skip_stale=skip_stale)
        options = _Options(stop_grace=stop_grace, applying=applying)
        return anyio.run(_run, job, Mode.APPLY, options)
    except SyncerError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code


async def _run(job: Job, mode: Mode, options: _Options) -> int:
    async with (
        stop_on_signals(options.stop_grace, lambda line: click.echo(line, err=True)) as stop,
        await StateStore.open(job.state) as store,
        Spool(SPOOL_ROOT / job.name) as spool,
        open_session() as session,
    ):
        try:
            full = options.full
            if options.repair:
                click.echo(await _repair(job, store, session), err=True)
                full = True
            with stderr_progress() as progress:
                summary = await run_job(
                    job,
                    mode,
                    store=store,
                    spool=spool,
                    session=session,
                    progress=progress,
                    full=full,
                    restart_listing=options.restart_listing,
                    stop=stop,
                    applying=options.applying,
                    list_unchanged=bool(options.plan and options.plan.unchanged),
                )
        except* SyncerError as group:  # credentials refused, a wrong setting, a lost lease, ...
            raise reported(group) from None
        if summary.run_id is not None:  # a run, not a plan: it leaves a report
            reports = REPORTS_ROOT / job.name
            await leave_report(store, job.name, summary.run_id, reports, _on_stderr)
    codes = {"succeeded": OK, "partial": PARTIAL, "stopped": GUARD, "interrupted": stop.exit_code}
    return _report(job, mode, summary, options, codes.get(summary.status, PARTIAL))


def _report(job: Job, mode: Mode, summary: RunSummary, options: _Options, code: int) -> int:
    """Print what the run did (a plan: the plan, saved with ``--out``); the exit code."""
    if mode is Mode.PLAN and summary.draft is not None and options.plan is not None:
        if not summary.interrupted_by:  # a plan cut short is not saved: it would miss changes
            return _emit_plan(summary, options.plan, code)
        summary.draft.close()
    click.echo(summary_text(summary, job.name, mode.value))
    if options.applying is not None:
        click.echo(_applied_text(options.applying))
    return code


def _emit_plan(summary: RunSummary, output: PlanOutput, code: int) -> int:
    """Save the plan (``--out``), print it in its format; the exit code (``CHANGES`` for
    ``--detailed-exitcode`` when it has any)."""
    from syncer.plans.jsonfile import save_document
    from syncer.plans.render import Format, render

    assert summary.draft is not None
    created = datetime.now(UTC).replace(microsecond=0)
    document = summary.draft.document(
        mode="sync", listing=summary.listing, created=created, expires=output.expires
    )
    try:
        if output.out is not None:
            save_document(document, output.out)
        if output.legacy_json:
            click.echo(legacy_plan_json(summary, document.entries()))
            return code
        render(
            document,
            Format(output.fmt),
            sys.stdout,
            unchanged=output.unchanged,
            color=sys.stdout.isatty(),
        )
        if output.fmt == "text":  # how the plan's run went: status, listed, downloaded
            click.echo(status_line(summary, document.header.job, Mode.PLAN.value))
    finally:
        summary.draft.close()
    if output.out is not None:
        click.echo(
            f"plan {document.header.id} saved to {output.out} (expires "
            f"{document.header.expires_at}); review it, then: syncer apply {output.out}",
            err=True,
        )
    if code == OK and output.detailed_exitcode and document.summary.changes:
        return CHANGES
    return code


def _applied_text(plan: PlanApply) -> str:
    """What an apply carried out of its plan, and the stale items it left (``--skip-stale``)."""
    how = "resumed the" if plan.resumed else "journalled"
    lines = [f"plan {plan.plan_id} ({plan.path}): {how} {plan.journalled} operation(s)"]
    for stale in plan.stale[:50]:
        lines.append(f"  stale, not applied: {stale.line()}")
    if len(plan.stale) > 50:
        lines.append(f"  and {len(plan.stale) - 50} more stale item(s)")
    return "\n".join(lines)


async def _repair(job: Job, store: StateStore, session: ClientSession) -> str:
    from syncer.engine.checking import prepare_repair

    return await prepare_repair(job, store, session)


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
