"""``migrate``, ``sync``, ``plan``, ``retry``, ``status`` and ``demo``: running jobs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from syncer.cli.group import main
from syncer.cli.options import FULL as _FULL
from syncer.cli.options import JOB as _JOB
from syncer.cli.options import RESTART as _RESTART
from syncer.cli.options import STOP_GRACE as _STOP_GRACE


@main.command()
@_JOB
@_RESTART
@_STOP_GRACE
def migrate(job: Path, restart_listing: bool, stop_grace: float) -> None:
    """Copy everything from JOB's source to its targets (a full listing).

    Safe to stop at any moment: the next run resumes where this one stopped. Exit codes: 0 done,
    2 configuration error, 3 some items failed, 4 stopped by the max-delete guard, 5 could not run,
    130/143 stopped by SIGINT/SIGTERM, 70 an unexpected error (a bug: the message names the log
    with its traceback).
    """
    from syncer.engine.commands import run_command
    from syncer.engine.run import Mode

    sys.exit(run_command(job, Mode.MIGRATE, restart_listing=restart_listing, stop_grace=stop_grace))


@main.command()
@_JOB
@_FULL
@_RESTART
@_STOP_GRACE
@click.option(
    "--repair",
    is_flag=True,
    help="Check the targets first (as `syncer check` does) and put back what drifted there: "
    "items missing are created again, items changed outside syncer are replaced or updated "
    "back; items not syncer's are left alone. Lists everything (as --full).",
)
def sync(job: Path, full: bool, restart_listing: bool, stop_grace: float, repair: bool) -> None:
    """Bring JOB's targets in step with its source: creates, updates, replaces and (when enabled,
    under the max-delete guard) deletes. Exit codes as for migrate.

    A source with a watermark (BeProduct) lists only what changed since the last sync, and in
    full (sweeping for deletes) once [schedule] full_every has passed since the last full sweep.
    Other sources are listed in full every time; unchanged version tokens spare the downloads.
    """
    from syncer.engine.commands import run_command
    from syncer.engine.run import Mode

    sys.exit(
        run_command(
            job,
            Mode.SYNC,
            full=full,
            restart_listing=restart_listing,
            stop_grace=stop_grace,
            repair=repair,
        )
    )


@main.command()
@_JOB
@_STOP_GRACE
def retry(job: Path, stop_grace: float) -> None:
    """Re-attempt JOB's failed operations (no listing).

    An operation that a later migrate or sync planned again, for the same item and target, was
    superseded by that plan and is not retried.
    """
    from syncer.engine.commands import run_command
    from syncer.engine.run import Mode

    sys.exit(run_command(job, Mode.RETRY, stop_grace=stop_grace))


@main.command()
@click.argument("job", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--state",
    "state_url",
    help="State URL when no JOB is given. [default: sqlite+aiosqlite:///.syncer/state.db]",
)
def status(job: Path | None, state_url: str | None) -> None:
    """Last runs (of JOB, or of every job in the state store), counts and failures."""
    from syncer.engine.commands import status_command

    sys.exit(status_command(job, state_url))


@main.command()
@click.option(
    "--dir",
    "workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".syncer/demo"),
    show_default=True,
    help="Where the demo keeps its job file, state and spool.",
)
def demo(workdir: Path) -> None:
    """Start the four emulators, migrate Partium to Spiffy and Moov, change the source, sync,
    and show what happened. Everything stays on this machine (127.0.0.1)."""
    import anyio

    from syncer.demo import demo as run_demo

    click.echo("Starting the vendor emulators on 127.0.0.1:")
    sys.exit(anyio.run(run_demo, workdir, click.echo))
