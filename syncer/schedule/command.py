"""What ``syncer schedule`` does, as functions returning an exit code (the CLI only parses)."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path

import anyio
import click

from syncer.errors import SyncerError
from syncer.schedule.catalog import JobCatalog
from syncer.schedule.logs import configure
from syncer.schedule.service import Scheduler, Settings

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
