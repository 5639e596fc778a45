"""What ``syncer schedule`` does, as functions returning an exit code (the CLI only parses)."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import click

from syncer.display import printable
from syncer.errors import SyncerError
from syncer.jobs import load_job
from syncer.schedule.catalog import JobCatalog
from syncer.schedule.logs import configure
from syncer.schedule.service import Scheduler, Settings
from syncer.state import StateStore, TickRow

log = logging.getLogger("syncer.schedule")
OK, CONFIG = 0, 2


def next_command(directory: Path, count: int, now: datetime | None = None) -> int:
    """Print the next ``count`` run times of every job in ``directory``; 2 if a file is bad."""
    if not directory.is_dir():
        click.echo(f"error: {directory} is not a directory of job files", err=True)
        return CONFIG
    catalog = JobCatalog(directory)
    changes = catalog.reload()
    moment = now or datetime.now(UTC)
    click.echo(next_text(catalog, count, moment))
    for line in changes.errors:
        click.echo(f"error: {line}", err=True)
    return CONFIG if changes.errors else OK


def next_text(catalog: JobCatalog, count: int, now: datetime) -> str:
    """The coming run times of each job, in its zone and in UTC."""
    lines: list[str] = []
    for entry in catalog.entries():
        job, cron = entry.job, entry.cron
        if job is None or catalog.get(job.name) is not job:  # broken, or a name's second file
            continue
        if cron is None:
            lines.append(f"{job.name}  on demand (no [schedule] cron)")
            continue
        lines.append(f"{job.name}  cron '{cron.expression}' ({cron.timezone})")
        for fire in cron.next_fires(now, count):
            local = fire.strftime("%Y-%m-%d %H:%M:%S %Z")
            utc = fire.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            lines.append(f"  {local}" + ("" if cron.timezone == "UTC" else f"  ({utc})"))
    return "\n".join(lines) if lines else f"no job files in {catalog.directory}"


def ticks_command(job_path: Path, limit: int, fmt: str) -> int:
    """Print the job's latest ``limit`` ticks, newest first, as ``fmt`` (text, json, markdown)."""
    try:
        job = load_job(job_path)
        ticks = anyio.run(_ticks, job.state, job.name, limit)
    except SyncerError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    rows = [
        {
            "scheduled_at": t.scheduled_at.astimezone(UTC).isoformat(),
            "outcome": t.outcome,
            "run": t.run_id,
            "scheduler": t.executor,
            "reason": t.reason,
        }
        for t in ticks
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return OK
    if not rows:
        click.echo(f"no ticks recorded for {job.name} yet (syncer schedule records them)")
        return OK
    click.echo(_ticks_table(rows, markdown=fmt == "markdown"))
    return OK


async def _ticks(url: str, job: str, limit: int) -> list[TickRow]:
    async with await StateStore.open(url, create=False) as store:
        return await store.ticks(job, limit=limit)


def _ticks_table(rows: list[dict[str, Any]], *, markdown: bool) -> str:
    head = ["scheduled (UTC)", "outcome", "run", "scheduler", "reason"]
    body = [
        [
            str(r["scheduled_at"])[:19].replace("T", " "),
            str(r["outcome"]),
            "" if r["run"] is None else str(r["run"]),
            printable(str(r["scheduler"])),
            printable(str(r["reason"])),
        ]
        for r in rows
    ]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        + "  "
        + row[-1]
        for row in [head, *body]
    )


def schedule_command(settings: Settings, *, metrics_address: str, log_format: str) -> int:
    """Run the scheduler until a signal stops it; the exit code."""
    chosen = configure(log_format)
    if not settings.directory.is_dir():
        click.echo(f"error: {settings.directory} is not a directory of job files", err=True)
        return CONFIG
    try:
        return anyio.run(_serve, settings, metrics_address)
    except SyncerError as exc:
        log.error("%s", exc)
        if chosen == "json":  # the log is on stdout: stderr gets the one line too
            click.echo(f"error: {exc}", err=True)
        return exc.exit_code


async def _serve(settings: Settings, metrics_address: str) -> int:
    from syncer.schedule.health import serving
    from syncer.schedule.metrics import Metrics

    metrics = Metrics()
    scheduler = Scheduler(settings, metrics)
    if metrics_address == "off":
        code = await scheduler.serve()
    else:
        async with serving(metrics_address, scheduler, metrics):
            code = await scheduler.serve()
    if scheduler.unfinished:  # DBOS's threads outlived the documented bound: do not wait
        logging.shutdown()
        os._exit(code)
    return code
