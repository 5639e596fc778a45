"""``history`` and ``report``: what a job's runs did, read from the state store."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from syncer.cli.group import main
from syncer.cli.options import JOB as _JOB
from syncer.cli.options import format_option, out_option


@main.command()
@_JOB
@click.option(
    "--limit", type=click.IntRange(1), default=20, show_default=True, help="Runs to show."
)
@click.option(
    "--ticks",
    is_flag=True,
    help="Show the scheduler's ticks of JOB instead: when each was due, what became of it "
    "(ran, overlap, late, missed, dst_repeat, stopping, failed), its run, which scheduler "
    "recorded it, and why.",
)
@format_option(("text", "json", "markdown"), "text: a table; json: a list; markdown: a table.")
def history(job: Path, limit: int, ticks: bool, fmt: str) -> None:
    """JOB's runs, newest first: mode, status, start, duration, and what each listed, did,
    failed, skipped, retried and uploaded (the counts the run printed when it ended)."""
    if ticks:
        from syncer.engine.history import ticks_command

        sys.exit(ticks_command(job, limit, fmt))
    from syncer.engine.history import history_command

    sys.exit(history_command(job, limit, fmt))


@main.command()
@click.argument("run", type=click.IntRange(1))
@click.argument("job", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--state",
    "state_url",
    help="State URL when no JOB is given. [default: sqlite+aiosqlite:///.syncer/state.db]",
)
@format_option()
@out_option()
def report(run: int, job: Path | None, state_url: str | None, fmt: str, out: Path | None) -> None:
    """The report of run RUN (of JOB, or in the state store at --state): every item it did,
    failed (with the vendor's message), skipped (and why) or left open, after the counts.
    Each migrate, sync and retry also leaves it in .syncer/reports/<job>/run-<id>.json."""
    from syncer.engine.history import report_command

    sys.exit(report_command(run, job, state_url, fmt, out))
