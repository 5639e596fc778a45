"""A run's summary, from the counts the run stored when it finished (``runs.counts``, written
by :meth:`~syncer.engine.summary.RunSummary.to_json`): the numbers the terminal summary printed,
``syncer status`` and ``syncer history`` show and a run report's summary holds, so every view of
a run agrees. The journal pass of :mod:`~syncer.engine.run_report` adds what only the journal
knows (:class:`Found`: failures by code, the ops left open).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from syncer.engine.plan import PENDING, UNCHANGED
from syncer.plans.model import Entry, Header, Kind, Note, Summary
from syncer.state import RunRow

#: The code and text of each outcome but a skip (whose reason the journal keeps).
CODES = {
    "failed_retryable": "failed: the vendor may take it later; `syncer retry` re-attempts it",
    "failed_terminal": "failed: the vendor refused the item as it is; a sync plans it again",
    "planned": "not applied yet: the next run resumes it",
    "sent_unknown": "sent, its outcome unknown: the next run looks for it before sending again",
}


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


# -- the summary ---------------------------------------------------------------------------


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
