"""``syncer history JOB`` (a job's runs, newest first) and ``syncer report RUN`` (one run's
report), as functions returning an exit code.

Both read the state store and never create one (``StateStore.open(url, create=False)``, as
``status`` does): a store that does not exist, or a run it does not hold, is one line and exit
code 2. The numbers are the runs' stored counts (:func:`~syncer.engine.run_report.totals`), the
same the terminal summary printed, ``status`` shows and each report's summary holds.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC
from pathlib import Path
from typing import IO, Any

import anyio
import click

from syncer.display import printable
from syncer.engine.run_counts import duration_s, totals
from syncer.engine.run_report import run_report
from syncer.errors import ConfigError, SyncerError
from syncer.jobs import load_job
from syncer.plans.render import Format, render
from syncer.state import RunRow, StateStore, TickRow

OK = 0
#: The columns of ``syncer history``: (key of a row, heading).
COLUMNS = (
    ("id", "run"),
    ("mode", "mode"),
    ("status", "status"),
    ("started", "started (UTC)"),
    ("duration_s", "took (s)"),
    ("listed", "listed"),
    ("done", "done"),
    ("failed", "failed"),
    ("skipped", "skipped"),
    ("retried", "retried"),
    ("uploaded_bytes", "bytes up"),
)
#: The columns of words (the others are numbers, aligned to the right).
WORDS = frozenset({"mode", "status", "started"})


def history_row(run: RunRow) -> dict[str, Any]:
    """One run as ``history`` shows it (and as its JSON holds it)."""
    counts = totals(run.counts or {})
    return {
        "id": run.id,
        "job": run.job,
        "mode": run.mode,
        "status": run.status,
        "started": run.started_at[:19].replace("T", " "),
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_s": duration_s(run),
        **counts,
    }


#: The columns of ``syncer history JOB --ticks``: what became of each of the scheduler's ticks.
TICK_COLUMNS = (
    ("scheduled_at", "scheduled (UTC)"),
    ("outcome", "outcome"),
    ("run", "run"),
    ("scheduler", "scheduler"),
    ("reason", "reason"),
)
TICK_WORDS = frozenset({"scheduled_at", "outcome", "scheduler", "reason"})
Columns = tuple[tuple[str, str], ...]


def history_text(rows: list[dict[str, Any]]) -> str:
    """The runs as an aligned table (numbers to the right)."""
    return _text(rows, COLUMNS, WORDS) if rows else "no runs yet"


def history_markdown(rows: list[dict[str, Any]]) -> str:
    """The runs as a Markdown table."""
    return _markdown(rows, COLUMNS, WORDS) if rows else "no runs yet"


def tick_row(tick: TickRow) -> dict[str, Any]:
    """One tick as ``history --ticks`` shows it (and as its JSON holds it)."""
    return {
        "scheduled_at": tick.scheduled_at.astimezone(UTC).isoformat(),
        "outcome": tick.outcome,
        "run": tick.run_id,
        "scheduler": tick.executor,
        "reason": tick.reason,
    }


def _text(rows: list[dict[str, Any]], columns: Columns, words: frozenset[str]) -> str:
    cells = [[_cell(row[key]) for key, _ in columns] for row in rows]
    heads = [head for _, head in columns]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(heads)]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.ljust(w) if key in words else v.rjust(w)
            for v, w, (key, _) in zip(values, widths, columns, strict=True)
        ).rstrip()

    return "\n".join([line(heads), *(line(r) for r in cells)])


def _markdown(rows: list[dict[str, Any]], columns: Columns, words: frozenset[str]) -> str:
    rule = ["---" if key in words else "---:" for key, _ in columns]
    lines = [_pipes([head for _, head in columns]), _pipes(rule)]
    lines += [_pipes([_cell(row[key]) for key, _ in columns]) for row in rows]
    return "\n".join(lines)


def _pipes(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _cell(value: Any) -> str:
    """A table cell: ``-`` for nothing, else one printable line."""
    return "-" if value is None else printable(str(value))


def history_command(job_path: Path, limit: int, fmt: str) -> int:
    """Print the last ``limit`` runs of the job in ``job_path``, newest first, as ``fmt``
    (``text``, ``json`` or ``markdown``)."""
    try:
        job = load_job(job_path)
        runs = anyio.run(_runs, job.state, job.name, limit)
    except SyncerError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    rows = [history_row(run) for run in runs]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    elif fmt == "markdown":
        click.echo(history_markdown(rows))
    else:
        click.echo(history_text(rows))
    return OK


def ticks_command(job_path: Path, limit: int, fmt: str) -> int:
    """Print the job's latest ``limit`` ticks of ``syncer schedule``, newest first, as ``fmt``
    (``text``, ``json`` or ``markdown``)."""
    try:
        job = load_job(job_path)
        ticks = anyio.run(_ticks, job.state, job.name, limit)
    except SyncerError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    rows = [tick_row(tick) for tick in ticks]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return OK
    if not rows:
        click.echo(f"no ticks recorded for {job.name} yet (syncer schedule records them)")
        return OK
    shown = [{**row, "scheduled_at": row["scheduled_at"][:19].replace("T", " ")} for row in rows]
    table = _markdown if fmt == "markdown" else _text
    click.echo(table(shown, TICK_COLUMNS, TICK_WORDS))
    return OK


async def _runs(url: str, job: str, limit: int) -> list[RunRow]:
    async with await StateStore.open(url, create=False) as store:
        return await store.runs(job, limit=limit)


async def _ticks(url: str, job: str, limit: int) -> list[TickRow]:
    async with await StateStore.open(url, create=False) as store:
        return await store.ticks(job, limit=limit)


def report_command(
    run_id: int, job_path: Path | None, state_url: str | None, fmt: str, out: Path | None
) -> int:
    """Render run ``run_id``'s report from the state (of the job in ``job_path``, or at
    ``state_url``) as ``fmt`` to ``out`` (stdout when None)."""
    try:
        job = load_job(job_path) if job_path is not None else None
        url = job.state if job is not None else state_url
        anyio.run(_report, url, job.name if job is not None else None, run_id, Format(fmt), out)
    except SyncerError as exc:
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    return OK


async def _report(
    url: str | None, job: str | None, run_id: int, fmt: Format, out: Path | None
) -> None:
    async with await StateStore.open(url, create=False) as store:
        document = await run_report(store, job, run_id)
    with _output(out) as stream:
        render(document, fmt, stream, color=out is None and stream.isatty())


@contextmanager
def _output(out: Path | None) -> Iterator[IO[str]]:
    """``out`` written atomically (its directory made; a failure leaves no half file), or
    stdout."""
    if out is None:
        yield sys.stdout
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    except OSError as exc:
        raise ConfigError(f"{out}: cannot write the report ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            yield stream
        os.replace(name, out)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(name)
        raise
