"""Plain-text reports of runs for the terminal."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from syncer.engine.failures import printable, shown
from syncer.engine.summary import RunSummary
from syncer.plans.model import Entry
from syncer.state import OpRow, RunRow

#: Failed items ``syncer status JOB`` lists (the rest are counted).
FAILED_SHOWN = 20
#: What a terminal failure needs, as ``retry`` and ``status`` say it.
TERMINAL = (
    "terminal failure(s): the vendor refused the item as it is, so `syncer retry` leaves "
    "them; `syncer status JOB` lists them, and a sync plans each item again"
)


def status_line(summary: RunSummary, job: str, mode: str) -> str:
    """How the run ended, what it listed, downloaded, uploaded, retried and resumed."""
    listing = f" ({summary.listing} listing)" if summary.listing else ""
    retried = sum(summary.retried.values())
    return (
        f"{mode} {job}: {summary.status} — listed {summary.listed}{listing}, "
        f"downloaded {summary.downloaded}, uploaded {summary.uploaded_bytes} bytes"
        + (f", retried {retried}" if retried else "")
        + (f", resumed {summary.resumed}" if summary.resumed else "")
    )


def summary_text(summary: RunSummary, job: str, mode: str) -> str:
    """What a run did, a line per target and action, then skips, guard stops and errors."""
    lines = [status_line(summary, job, mode)]
    for label in sorted(set(summary.planned) | set(summary.done) | set(summary.failed)):
        lines.append(
            f"  {label:24} planned {summary.planned[label]:>6}  "
            f"done {summary.done[label]:>6}  failed {summary.failed[label]:>6}"
        )
    for reason, count in summary.skipped.most_common(10):
        lines.append(f"  skipped {count:>6}  {reason}")
    for target, reason in summary.guard.items():
        lines.append(
            f"  STOPPED {target}: {reason} (raise the limit in [targets.delete] to allow it)"
        )
    for target in summary.new_id_targets:
        if summary.planned_of(target, "replace"):
            lines.append(
                f"  note: on {target} a replace creates a new item (a new id), then deletes "
                "the old one"
            )
    if summary.source_note:
        lines.append(f"  note: {summary.source_note}")
    if summary.shifted:
        lines.append(
            "  note: the source changed while it was listed, so nothing was deleted for being "
            "absent; the next full listing sweeps"
        )
    if summary.interrupted_by:
        lines.append(
            f"  note: stopped by {summary.interrupted_by}; what finished is committed, and the "
            "next run resumes what was left"
        )
    if summary.not_retried:
        lines.append(f"  not retried {summary.not_retried}: {TERMINAL}")
    for error in summary.errors[:10]:
        lines.append(f"  error: {error}")
    return "\n".join(lines)


def legacy_plan_json(summary: RunSummary, entries: Iterable[Entry]) -> str:
    """``syncer plan --json`` as releases before saved plans printed it (kept for the scripts
    that read it): the run's counts, and every change and skip but the unchanged as an op."""
    ops = [
        {
            "target": e.target,
            "key": e.key,
            "action": e.action,
            "reason": e.reason,
            "target_id": e.target_id,
            "convert_to": e.convert.rpartition("→ ")[2] if e.convert else None,
            "shrink_to": e.shrink_to,
        }
        for e in entries
        if not (e.action == "skip" and e.code == "unchanged")
    ]
    return json.dumps({"summary": summary.to_json(), "ops": ops}, indent=2)


def runs_text(
    runs: list[RunRow], failed: dict[str, int], terminal: dict[str, int] | None = None
) -> str:
    """The runs, then each job's failed operations (``terminal``: how many of them are
    terminal, by job)."""
    if not runs:
        return "no runs yet"
    lines = [f"{'run':>5}  {'job':20} {'mode':8} {'status':11} {'started (UTC)':19} counts"]
    for run in runs:
        counts: dict[str, Any] = run.counts or {}
        done = sum((counts.get("done") or {}).values())
        bad = sum((counts.get("failed") or {}).values())
        lines.append(
            f"{run.id:>5}  {run.job:20} {run.mode:8} {run.status:11} "
            f"{_moment(run.started_at):19} listed {counts.get('listed', 0)}, done {done}, "
            f"failed {bad}"
        )
    for job, count in failed.items():
        stuck = (terminal or {}).get(job, 0)
        if count > stuck:
            lines.append(
                f"{job}: {count - stuck} failed operation(s); `syncer retry` re-attempts them"
            )
        if stuck:
            lines.append(f"{job}: {stuck} {TERMINAL}")
    return "\n".join(lines)


def _moment(stamp: str) -> str:
    """An ISO timestamp to the second, as ``2026-12-03 15:52:54``."""
    return stamp[:19].replace("T", " ")


def failed_items_text(ops: list[OpRow], total: int) -> str:
    """The failed items of a job, each with its target, key, file name, attempts and message
    (the first ``len(ops)`` of ``total``); empty when none failed."""
    if not total:
        return ""
    lines = ["failed items (target, action, key, file, attempts, kind; then the message):"]
    for op in ops:
        record = op.payload.get("record") or {}
        filename = record.get("filename")
        kind = "retryable" if op.state == "failed_retryable" else "terminal"
        lines.append(
            f"  {op.target}  {op.action} key {shown(op.key)}  "
            f"file {shown(filename) if isinstance(filename, str) else '-'}  "
            f"attempts {op.attempts}  {kind}"
        )
        lines.append(f"    {printable(op.error or 'no message was kept')}")
    if total > len(ops):
        lines.append(f"  and {total - len(ops)} more")
    return "\n".join(lines)
