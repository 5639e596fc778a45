"""Arguments and options that several commands share."""

from __future__ import annotations

from pathlib import Path

import click

JOB = click.argument("job", type=click.Path(exists=True, dir_okay=False, path_type=Path))


STOP_GRACE = click.option(
    "--stop-grace",
    type=click.FloatRange(0),
    default=5.0,
    show_default=True,
    envvar="SYNCER_STOP_GRACE",
    show_envvar=True,
    metavar="SECONDS",
    help="On SIGTERM or SIGINT, how long requests in flight get to finish before the run "
    "commits, releases its lease and exits (130 SIGINT, 143 SIGTERM); a second signal exits at "
    "once.",
)


FULL = click.option(
    "--full",
    is_flag=True,
    help="List everything and sweep for deletes, even when an incremental listing is due.",
)
RESTART = click.option(
    "--restart-listing",
    is_flag=True,
    help="List the source from the start: a listing a stopped run left unfinished is not "
    "resumed (needed after changing what the source lists, e.g. partium.part_ids). "
    "Operations and links in the state are kept.",
)
