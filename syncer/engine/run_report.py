"""A run's report: what one ``migrate``, ``sync``, ``retry`` or ``apply`` did, as a
:class:`~syncer.plans.model.Document` of kind ``run`` (the model every renderer reads).

Two sources, each the truth for its part:

* the **summary** (:mod:`~syncer.engine.run_counts`) is the run's stored counts
  (``runs.counts``, written by :meth:`~syncer.engine.summary.RunSummary.to_json` when the run
  finished): the same numbers the terminal summary printed and ``syncer status`` and ``syncer
  history`` show, so they agree by construction. Skips the planner made are never journalled:
  they are counted there only, by reason (``TargetTally.reasons``; the unchanged in
  ``unchanged``).
* the **entries** are the ops journal: the ops the run journalled, and those it took up from
  earlier runs (resumed, or retried), each with its outcome (``done``, ``failed`` with the
  vendor's message as the journal keeps it and the attempts, ``skipped`` with why, or ``open``),
  failures first. The journal holds an op's latest state: a report made again after a later
  ``retry`` shows the item done there; the file a run leaves (:func:`save_run_report`) is the
  report as the run ended.

The journal is read a page at a time (never a million ops at once) into an
:class:`~syncer.plans.jsonfile.EntryLog`, which the document then reads at each pass.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from pathlib import Path

from syncer.engine.failures import printable
from syncer.engine.ops import Payload
from syncer.engine.run_counts import CODES, Found, header_of, skip_code, summary_of
from syncer.errors import ConfigError, SyncerError
from syncer.plans.jsonfile import EntryLog, save_document
from syncer.plans.model import Document, Entry, FileFacts
from syncer.records import ImageRecord
from syncer.state import OpRow, RunRow, StateStore

#: Ops read from the journal at once.
PAGE = 500
#: The journal's states in the order a report lists them: failures first, the open last.
STATES = ("failed_terminal", "failed_retryable", "done", "skipped", "sent", "planned")
#: A report's outcome of each journal state.
OUTCOME = {
    "done": "done",
    "failed_retryable": "failed",
    "failed_terminal": "failed",
    "skipped": "skipped",
    "planned": "open",
    "sent": "open",
}


class RunMissingError(ConfigError):
    """A run the state store does not hold, or one of another job (exit code 2)."""


async def run_report(
    store: StateStore, job: str | None, run_id: int, *, directory: Path | None = None
) -> Document:
    """The report of run ``run_id`` (of ``job``; None: whichever job it is of). Raises
    :class:`RunMissingError` for a run the store does not hold. Its entries wait in a
    temporary file (in ``directory``, else the system's), removed with the document."""
    run = await store.find_run(run_id)
    if run is None or (job is not None and run.job != job):
        of = f" of job {job}" if job is not None else ""
        raise RunMissingError(
            f"no run {run_id}{of} in the state store; `syncer history JOB` lists the runs"
        )
    log = EntryLog(directory)
    try:
        found = await _journal(store, run, log)
    except BaseException:
        log.close()
        raise
    document = Document(header_of(run), summary_of(run, found), lambda: log)
    weakref.finalize(document, log.close)
    return document


async def save_run_report(store: StateStore, job: str, run_id: int, directory: Path) -> Path:
    """Write the report of run ``run_id`` of ``job`` to ``directory/run-<id>.json``
    (atomically); its path."""
    document = await run_report(store, job, run_id)
    path = directory / f"run-{run_id}.json"
    save_document(document, path)
    return path


async def leave_report(
    store: StateStore, job: str, run_id: int, directory: Path, echo: Callable[[str], None]
) -> Path | None:
    """:func:`save_run_report`, saying where in one line; a report that cannot be written is
    a warning line (the run itself went as it went), and None."""
    try:
        path = await save_run_report(store, job, run_id, directory)
    except (OSError, SyncerError) as exc:
        echo(
            printable(
                f"warning: the report of run {run_id} was not written ({exc}); "
                f"`syncer report {run_id} JOB` renders it from the state"
            )
        )
        return None
    echo(f"report: {path}")
    return path


# -- the journal ---------------------------------------------------------------------------


async def _journal(store: StateStore, run: RunRow, log: EntryLog) -> Found:
    """Every op of the run, a state at a time and a page at a time, into ``log``."""
    counts = run.counts or {}
    found = Found(errors=frozenset(str(e) for e in counts.get("errors") or ()))
    took_up = bool(counts.get("resumed")) or run.mode == "retry"
    until = datetime.fromisoformat(run.finished_at) if run.finished_at else store.now()
    between = (datetime.fromisoformat(run.started_at), until)
    for state in STATES:
        reads: list[Callable[..., Awaitable[list[OpRow]]]] = [
            partial(store.run_ops, run.job, run.id, state, limit=PAGE)
        ]
        if took_up:  # what it took up from earlier runs first: those ops are older
            reads.insert(
                0, partial(store.taken_up_ops, run.job, run.id, state, between, limit=PAGE)
            )
        for read in reads:
            after = 0
            while rows := await read(after=after):
                for row in rows:
                    entry = op_entry(row)
                    log.add(entry)
                    found.add(entry)
                after = rows[-1].id
    return found


def op_entry(row: OpRow) -> Entry:
    """The report's entry of one journalled op."""
    payload = _payload(row)
    record = payload.record if payload is not None else None
    code, reason = _code(row, payload)
    facts = _facts(record)
    return Entry(
        target=row.target,
        key=row.key,
        action=row.action,
        code=code,
        reason=reason,
        filename=record.filename if record is not None else None,
        owner=(record.owner or None) if record is not None else None,
        target_id=row.target_id,
        old=facts if row.action == "delete" else None,
        new=facts if row.action in ("create", "replace") else None,
        convert=_convert(record, payload),
        shrink_to=payload.shrink_to if payload is not None else None,
        moves_owner=payload is not None and payload.move_from is not None,
        outcome=OUTCOME.get(row.state, row.state),
        error=row.error if row.state.startswith("failed") else None,
        attempts=row.attempts,
    )


def _payload(row: OpRow) -> Payload | None:
    try:
        return Payload.from_json(row.payload)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _code(row: OpRow, payload: Payload | None) -> tuple[str, str]:
    """The entry's stable code and its text."""
    if row.state == "done":
        return "done", payload.reason if payload is not None else "done"
    if row.state == "skipped":
        reason = row.error or "skipped"
        return skip_code(reason), reason
    code = "sent_unknown" if row.state == "sent" else row.state
    return code, CODES[code]


def _facts(record: ImageRecord | None) -> FileFacts | None:
    if record is None or not (record.sha256 or record.size or record.mime):
        return None
    return FileFacts(record.sha256 or None, record.size, record.mime or None)


def _convert(record: ImageRecord | None, payload: Payload | None) -> str | None:
    if record is None or payload is None or not payload.convert_to:
        return None
    return f"{record.mime or '?'} → {payload.convert_to}"
