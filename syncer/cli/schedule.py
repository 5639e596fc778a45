"""``schedule``: run the jobs of a directory on their cron; ``healthcheck``: ask a scheduler."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from syncer.cli.group import main
from syncer.cli.options import STOP_GRACE as _STOP_GRACE


@main.command()
@click.argument(
    "directory",
    required=False,
    default=Path("jobs"),
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option(
    "--next",
    "next_count",
    type=click.IntRange(1, 1000),
    metavar="N",
    help="Print the next N run times of every job (in its zone and in UTC) and exit.",
)
@click.option(
    "--state",
    "state_url",
    envvar="SYNCER_STATE_URL",
    show_envvar=True,
    help="Where the scheduler keeps DBOS's records: beside this SQLite state file (one "
    "scheduler), or in this PostgreSQL database, schema dbos (any number of schedulers). "
    "[default: sqlite+aiosqlite:///.syncer/state.db]",
)
@click.option(
    "--executor-id",
    envvar="SYNCER_EXECUTOR_ID",
    show_envvar=True,
    help="This scheduler's id among several on one PostgreSQL: a restarted scheduler with the "
    "same id recovers the ticks it left unfinished. [default: the host name; 'local' on SQLite]",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=4,
    show_default=True,
    help="Runs at once in this scheduler (due jobs beyond it wait for a free slot, then run if "
    "still within their catchup window).",
)
@click.option(
    "--drain-timeout",
    type=click.FloatRange(0),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="On SIGTERM or SIGINT, how long runs in progress get to finish before they are stopped "
    "at a checkpoint (then --stop-grace applies); the process exits within drain timeout + stop "
    "grace + 15 s.",
)
@_STOP_GRACE
@click.option(
    "--reload-interval",
    type=click.FloatRange(0.2),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="How often the job files are looked at for changes (SIGHUP: at once).",
)
@click.option(
    "--metrics",
    "metrics_address",
    default="127.0.0.1:9464",
    show_default=True,
    envvar="SYNCER_METRICS_ADDRESS",
    show_envvar=True,
    metavar="HOST:PORT",
    help="Serve /metrics (Prometheus), /livez and /readyz here; 'off' for none. Bind 0.0.0.0 "
    "only inside a container whose port is published on the host's loopback.",
)
@click.option(
    "--log-format",
    type=click.Choice(["auto", "text", "json"]),
    default="auto",
    show_default=True,
    help="json: one object a line on stdout (job, run, tick; secrets redacted); text: lines on "
    "stderr; auto: json unless stdout is a terminal.",
)
def schedule(
    directory: Path,
    next_count: int | None,
    state_url: str | None,
    executor_id: str | None,
    concurrency: int,
    drain_timeout: float,
    stop_grace: float,
    reload_interval: float,
    metrics_address: str,
    log_format: str,
) -> None:
    """Run every job file in DIRECTORY (default: jobs/) on its [schedule] cron, as incremental
    syncs, until SIGTERM or SIGINT; SIGHUP reloads the job files.

    A tick runs once however many schedulers share a PostgreSQL state; a job never runs twice
    at once (its lease in the state store, which a manual `syncer sync` holds too: such a tick
    is recorded 'overlap'); ticks missed while no scheduler ran are run once, when the latest is
    within the job's [schedule] catchup window. Every tick is recorded: `syncer history JOB
    --ticks`. Exit codes: 0 stopped by a signal after draining, 2 configuration error, 5 could
    not start (another scheduler holds the database or the executor id, no database).
    """
    if next_count is None:  # a stop while DBOS loads (a second or more) still drains
        from syncer.schedule.signals import keep_early_signals

        keep_early_signals()
    from syncer.schedule.command import next_command, schedule_command
    from syncer.schedule.service import Settings

    if next_count is not None:
        sys.exit(next_command(directory, next_count))
    settings = Settings(
        directory, state_url, executor_id, concurrency, drain_timeout, stop_grace, reload_interval
    )
    sys.exit(schedule_command(settings, metrics_address=metrics_address, log_format=log_format))


@main.command()
@click.option(
    "--url",
    default="http://127.0.0.1:9464/readyz",
    show_default=True,
    help="The scheduler's readiness URL (its --metrics address, path /readyz).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for the answer.",
)
def healthcheck(url: str, timeout: float) -> None:
    """Ask a running `syncer schedule` whether it is ready (for containers without curl):
    exit 0 when its /readyz answers 200, 1 otherwise, with one line saying why."""
    from syncer.schedule.health import healthcheck as check

    code, line = check(url, timeout)
    click.echo(line, err=code != 0)
    sys.exit(code)
