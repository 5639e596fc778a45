"""``show``: a saved plan, run report or check, in the terminal or as a file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from syncer.cli.group import main
from syncer.cli.options import format_option, out_option


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@format_option()
@out_option()
@click.option(
    "--unchanged", is_flag=True, help="List unchanged items too, where the file holds them."
)
def show(file: Path, fmt: str, out: Path | None, unchanged: bool) -> None:
    """Show FILE, a plan, run report or check that syncer saved. Exit codes: 0 shown, 2 not
    such a file (or another major version of its format, or cut short)."""
    from syncer.plans.render import Format
    from syncer.plans.show import show_command

    sys.exit(show_command(file, Format(fmt), out, unchanged))
