"""``show``: a saved plan, run report or check, in the terminal or as a file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from syncer.cli.group import main

#: The formats of ``syncer show`` (those of :class:`syncer.plans.render.Format`, which this
#: module does not import: ``syncer --help`` stays fast).
FORMATS = ("text", "json", "markdown", "html")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: for a terminal; json: the document as syncer writes it; markdown: a "
    "pull-request comment (at most 60,000 characters); html: a page with thumbnails.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (made whole, or not at all) instead of stdout.",
)
@click.option(
    "--unchanged", is_flag=True, help="List unchanged items too, where the file holds them."
)
def show(file: Path, fmt: str, out: Path | None, unchanged: bool) -> None:
    """Show FILE, a plan, run report or check that syncer saved. Exit codes: 0 shown, 2 not
    such a file (or another major version of its format, or cut short)."""
    from syncer.plans.render import Format
    from syncer.plans.show import show_command

    sys.exit(show_command(file, Format(fmt), out, unchanged))
