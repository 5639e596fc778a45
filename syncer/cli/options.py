"""Arguments and options that several commands share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from click.decorators import FC

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


#: The formats of a document (those of :class:`syncer.plans.render.Format`, which the CLI does
#: not import: ``syncer --help`` stays fast).
FORMATS = ("text", "json", "markdown", "html", "list")
_FORMAT_HELP = (
    "text: for a terminal; json: the document as syncer writes it (docs/report-schema.md); "
    "markdown: a pull-request comment (at most 60,000 characters); html: one page with thumbnails; "
    "list: one tab-separated line an entry (action, target, key, target id, bytes, file, code)."
)


def format_option(
    formats: tuple[str, ...] = FORMATS, help: str = _FORMAT_HELP
) -> Callable[[FC], FC]:
    """``--format``, into the parameter ``fmt`` (default ``text``)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(formats),
        default="text",
        show_default=True,
        help=help,
    )


def out_option(
    help: str = "Write to this file (whole, or not at all) instead of stdout.",
) -> Callable[[FC], FC]:
    """``--out FILE``, into the parameter ``out``."""
    return click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help=help)
