"""``check``: every target of a job against what syncer last pushed there."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from syncer.cli.group import main
from syncer.cli.options import JOB as _JOB
from syncer.cli.options import format_option, out_option


@main.command()
@_JOB
@format_option()
@out_option()
@click.option(
    "--download/--no-download",
    default=True,
    show_default=True,
    help="Download and hash the bytes a target's listing does not vouch for (an unchanged "
    "version token does); without it, such bytes are not compared.",
)
@click.option("--in-step", "in_step", is_flag=True, help="List the items in step too.")
def check(job: Path, fmt: str, out: Path | None, download: bool, in_step: bool) -> None:
    """Compare every target's catalog with what syncer last pushed there: items missing there
    (deleted by hand, or disabled), changed outside syncer (bytes or metadata), there but not
    syncer's, and in step. Writes nothing anywhere; `syncer sync --repair` puts back what
    drifted.

    Exit codes: 0 all in step (items not syncer's alone are not drift), 1 drift found, 2
    configuration error (or no state: nothing was ever synced), 5 could not run (credentials
    refused, a vendor unreachable).
    """
    from syncer.engine.check import CheckOptions
    from syncer.engine.checking import check_command
    from syncer.plans.render import Format

    options = CheckOptions(download=download, list_in_step=in_step)
    sys.exit(check_command(job, Format(fmt), out=out, options=options))
