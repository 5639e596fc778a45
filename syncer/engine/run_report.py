"""A run's report: what one ``migrate``, ``sync``, ``retry`` or ``apply`` did, as a
:class:`~syncer.plans.model.Document` of kind ``run`` (the model every renderer reads).

Two sources, each the truth for its part:

* the **summary** is the run's stored counts (``runs.counts``, written by
  :meth:`~syncer.engine.summary.RunSummary.to_json` when the run finished): the same numbers the
  terminal summary printed and ``syncer status`` and ``syncer history`` show, so they agree by
  construction. Skips the planner made are never journalled: they are counted there only, by
  reason (``TargetTally.reasons``; the unchanged in ``unchanged``).
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
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from syncer.engine.failures import printable
from syncer.engine.ops import Payload
from syncer.engine.plan import PENDING, UNCHANGED
from syncer.errors import ConfigError, SyncerError
from syncer.plans.jsonfile import EntryLog, save_document
from syncer.plans.model import Document, Entry, FileFacts, Header, Kind, Note, Summary
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
#: The code and text of each outcome but a skip (whose reason the journal keeps).
CODES = {
    "failed_retryable": "failed: the vendor may take it later; `syncer retry` re-attempts it",
    "failed_terminal": "failed: the vendor refused the item as it is; a sync plans it again",
    "planned": "not applied yet: the next run resumes it",
    "sent_unknown": "sent, its outcome unknown: the next run looks for it before sending again",
}


class RunMissingError(ConfigError):
    """A run the state store does not hold, or one of another job (exit code 2)."""


@dataclass
class Found:
    """What the journal pass counted, per target: entries by outcome, failures by code."""

    outcomes: dict[str, Counter[str]] = field(default_factory=dict)
    failures: dict[str, Counter[str]] = field(default_factory=dict)
    #: Ops done or failed after more than one attempt.
    retried: int = 0
    #: The run's kept errors (``counts["errors"]``) and those an entry shows already.
    errors: frozenset[str] = frozenset()
    shown: set[str] = field(default_factory=set)

    def add(self, entry: Entry) -> None:
        self.outcomes.setdefault(entry.target, Counter())[entry.outcome or ""] += 1
        if entry.outcome == "failed":
            self.failures.setdefault(entry.target, Counter())[entry.code] += 1
            if entry.error in self.errors:
                self.shown.add(entry.error)
        if entry.outcome in ("done", "failed") and (entry.attempts or 0) > 1:
            self.retried += 1


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


def skip_code(reason: str) -> str:
    """A stable code for a skip's reason (the planner's reasons are texts)."""
    if reason == UNCHANGED:
        return "unchanged"
    if reason.startswith("superseded"):
        return "superseded"
    if reason.startswith("gone at the source, but"):
        return "delete_pending"
    if reason == PENDING:
        return "pending_op"
    for fragment, code in _SKIP_FRAGMENTS:
        if fragment in reason:
            return code
    return "skipped"


_SKIP_FRAGMENTS = (
    ("no target owner mapped", "no_owner"),
    ("does not take", "unsupported_type"),
    ("'s limit of", "over_byte_limit"),
    ("cannot update", "cannot_update"),
    ("never on this target", "never_on_target"),
    ("deletes are off", "deletes_off"),
    ("listed twice", "listed_twice"),
    ("could not be read", "unreadable"),
    ("no longer in the job", "bad_op"),
    ("cannot be applied", "bad_op"),
)


# -- the summary, from the run's counts ------------------------------------------------------


def header_of(run: RunRow) -> Header:
    counts = run.counts or {}
    extra = {
        "status": run.status,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_s": duration_s(run),
    }
    return Header(
        Kind.RUN,
        run.job,
        run.started_at,
        id=str(run.id),
        mode=run.mode,
        listing=str(counts.get("listing") or ""),
        extra=extra,
    )


def duration_s(run: RunRow) -> float | None:
    """How long the run took, in seconds (None while it runs)."""
    if not run.finished_at:
        return None
    took = datetime.fromisoformat(run.finished_at) - datetime.fromisoformat(run.started_at)
    return round(took.total_seconds(), 3)


def totals(counts: Mapping[str, Any]) -> dict[str, int]:
    """A run's stored counts summed over targets: what every view of the run shows."""

    def total(name: str) -> int:
        value = counts.get(name) or {}
        return sum(int(n) for n in value.values()) if isinstance(value, Mapping) else int(value)

    return {
        "listed": int(counts.get("listed") or 0),
        "downloaded": int(counts.get("downloaded") or 0),
        "planned": total("planned"),
        "done": total("done"),
        "failed": total("failed"),
        "skipped": total("skipped"),
        "retried": total("retried"),
        "resumed": int(counts.get("resumed") or 0),
        "uploaded_bytes": total("uploaded"),
        "not_retried": int(counts.get("not_retried") or 0),
    }


def summary_of(run: RunRow, found: Found) -> Summary:
    """The report's summary: the run's counts per target, the failures by code and the open
    ops from the journal pass, the run's facts and notes."""
    counts = run.counts or {}
    summary = Summary()
    vendors = {str(k): str(v) for k, v in (counts.get("vendors") or {}).items()}
    names = _target_names(counts, vendors)
    summary.notes = _notes(counts, found.shown)
    for name in sorted(names):
        summary.tally(name, vendors.get(name, ""))
    _add_actions(summary, counts)
    _add_skips(summary, counts, names)
    for name, sent in (counts.get("uploaded") or {}).items():
        summary.tally(name).upload_bytes = int(sent)
    for name, codes in found.failures.items():
        tally = summary.tally(name)
        for code, n in codes.items():
            tally.reasons[code] += n
            tally.texts.setdefault(code, CODES.get(code, code))
    for name, outcomes in found.outcomes.items():
        if outcomes["open"]:
            summary.tally(name).outcomes["open"] = outcomes["open"]
    summary.facts = {**totals(counts), "duration_s": duration_s(run), "status": run.status}
    if "retried" not in counts:  # a run recorded before syncer counted them
        summary.facts["retried"] = found.retried
    summary.facts["open"] = sum(o["open"] for o in found.outcomes.values())
    return summary


def _target_names(counts: Mapping[str, Any], vendors: Mapping[str, str]) -> set[str]:
    names = set(vendors) | set(counts.get("uploaded") or {})
    for name in ("planned", "done", "failed"):
        names.update(label.rpartition(".")[0] for label in counts.get(name) or {})
    return names


def _add_actions(summary: Summary, counts: Mapping[str, Any]) -> None:
    """Done and failed ops by target and action (``shop.create``)."""
    for outcome in ("done", "failed"):
        for label, n in (counts.get(outcome) or {}).items():
            name, _, action = str(label).rpartition(".")
            tally = summary.tally(name)
            tally.actions[action] += int(n)
            tally.outcomes[outcome] += int(n)
            if action in ("delete", "replace"):
                tally.destructive += int(n)


def _add_skips(summary: Summary, counts: Mapping[str, Any], names: set[str]) -> None:
    """Skips by target and reason (``shop: unchanged``); those of no target are notes."""
    for label, n in (counts.get("skipped") or {}).items():
        name, _, reason = str(label).partition(": ")
        if name not in names:
            summary.notes.append(Note(skip_code(str(label)), f"{n} skipped: {label}"))
            continue
        tally = summary.tally(name)
        tally.outcomes["skipped"] += int(n)
        if reason == UNCHANGED:
            tally.unchanged += int(n)
            continue
        code = skip_code(reason)
        tally.actions["skip"] += int(n)
        tally.reasons[code] += int(n)
        tally.texts.setdefault(code, reason)


def _notes(counts: Mapping[str, Any], shown: set[str]) -> list[Note]:
    """The run's notes; its errors but those a failed entry shows (a download that failed,
    say: no op was journalled for it)."""
    notes = [
        Note("guard_stop", f"{target}: {reason}")
        for target, reason in (counts.get("guard") or {}).items()
    ]
    if counts.get("shifted"):
        notes.append(Note("shifted", "the source changed while it was listed: no deletes"))
    if counts.get("interrupted_by"):
        stopped = f"stopped by {counts['interrupted_by']}; the next run resumes what was left"
        notes.append(Note("interrupted", stopped))
    if counts.get("source_note"):
        notes.append(Note("source_renditions", str(counts["source_note"])))
    if counts.get("not_retried"):
        notes.append(Note("not_retried", f"{counts['not_retried']} terminal failure(s) left"))
    errors = (str(error) for error in counts.get("errors") or ())
    notes.extend(Note("error", error) for error in errors if error not in shown)
    return notes
