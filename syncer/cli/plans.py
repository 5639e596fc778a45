"""``plan`` and ``apply``: a dry run kept as a file, then carried out exactly."""

from __future__ import annotations

import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

import click

from syncer.cli.group import main
from syncer.cli.options import FULL, JOB, RESTART, STOP_GRACE, format_option


class _Duration(click.ParamType[timedelta]):
    """``30m``, ``24h``, ``7d``: how long a saved plan may be applied."""

    name = "duration"
    _UNITS: ClassVar[dict[str, int]] = {"s": 1, "m": 60, "h": 3600, "d": 86400}

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> timedelta:
        if isinstance(value, timedelta):
            return value
        match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", str(value))
        if not match or int(match[1]) == 0:
            self.fail(f"{value!r} is not a duration such as 30m, 24h or 7d", param, ctx)
        return timedelta(seconds=int(match[1]) * self._UNITS[match[2]])


@main.command()
@JOB
@FULL
@RESTART
@format_option(
    help="How the plan is printed on stdout (`syncer show` renders a saved plan in any format)."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the plan to this file (JSON) for `syncer apply`.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 10 when the plan has changes, 0 when it has none (errors keep their codes).",
)
@click.option(
    "--expires-in",
    type=_Duration(),
    default="24h",
    show_default=True,
    help="How long the saved plan may be applied.",
)
@click.option("--unchanged", is_flag=True, help="List the unchanged items too (always counted).")
@click.option(
    "--json", "as_json", is_flag=True, hidden=True, help="The JSON of releases before --format."
)
def plan(
    job: Path,
    full: bool,
    restart_listing: bool,
    as_json: bool,
    fmt: str,
    out: Path | None,
    detailed_exitcode: bool,
    expires_in: timedelta,
    unchanged: bool,
) -> None:
    """Show what a sync of JOB would do, without writing to any target or to the state.

    Per target and item: creates, updates (every changed field, old → new), replaces (old and
    new sha256, size, type and pixel size), deletes, and skips with a reason code; conversions,
    shrinks and warnings from the targets' limits. Destructive changes come first. With --out
    the plan is saved for `syncer apply`, which carries out exactly those operations.
    """
    from syncer.engine.commands import PlanOutput, run_command
    from syncer.engine.run import Mode

    output = PlanOutput(fmt, out, detailed_exitcode, expires_in, unchanged, legacy_json=as_json)
    sys.exit(run_command(job, Mode.PLAN, full=full, restart_listing=restart_listing, plan=output))


@main.command()
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--job",
    "job_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The job file. [default: the one the plan was made from]",
)
@click.option(
    "--skip-stale",
    is_flag=True,
    help="Apply the items that did not change since the plan, and report the others.",
)
@STOP_GRACE
def apply(plan_file: Path, job_path: Path | None, skip_stale: bool, stop_grace: float) -> None:
    """Carry out exactly the operations of a plan saved by `syncer plan --out PLAN_FILE`.

    Nothing is planned again; the bytes pushed are the ones the plan hashed. Refused (exit 6),
    naming the items and what changed: a plan of another job or of changed settings, one
    applied already, one past its expiry, or one whose items changed since (a later run, an
    open operation, a new source version). Deletes that would now trip the max-delete guard
    are refused with exit 4. A killed apply resumes when run again.
    """
    from syncer.engine.commands import apply_command

    sys.exit(apply_command(plan_file, job_path, skip_stale=skip_stale, stop_grace=stop_grace))
