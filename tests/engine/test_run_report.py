"""A run report's parts, from rows made by hand: each journal state's entry, the skip codes, and
a summary from stored counts (a run recorded before syncer counted bytes and retries too)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from syncer.engine.history import history_markdown, history_text
from syncer.engine.plan import PENDING
from syncer.engine.run_counts import Found, header_of, skip_code, summary_of
from syncer.engine.run_report import op_entry
from syncer.state import OpRow, RunRow
from syncer.state.journal import SUPERSEDED

RECORD = {
    "key": "k1",
    "owner": "p1",
    "filename": "red.webp",
    "mime": "image/webp",
    "size": 2048,
    "sha256": "ab" * 32,
}


def row(state: str, action: str = "create", **values: Any) -> OpRow:
    payload = values.pop("payload", {"reason": "new item", "record": RECORD})
    fields: dict[str, Any] = {
        "id": 1,
        "job": "job",
        "run_id": 3,
        "target": "shop",
        "key": "k1",
        "action": action,
        "state": state,
        "target_id": None,
        "payload": payload,
        "attempts": 1,
        "error": None,
        "updated_at": "2026-12-04T10:00:00+00:00",
    }
    return OpRow(**(fields | values))


def run(counts: dict[str, Any], *, finished: str | None = "2026-12-04T10:01:30+00:00") -> RunRow:
    return RunRow(
        id=3,
        job="job",
        mode="sync",
        status="partial",
        started_at="2026-12-04T10:00:00+00:00",
        finished_at=finished,
        counts=counts,
        heartbeat_at="2026-12-04T10:01:30+00:00",
    )


def test_a_done_create_carries_its_file_its_conversion_and_its_plans_reason() -> None:
    payload = {"reason": "new item", "record": RECORD, "convert_to": "image/png"}
    entry = op_entry(row("done", target_id="t1", payload=payload))
    assert (entry.outcome, entry.code, entry.reason) == ("done", "done", "new item")
    assert (entry.filename, entry.owner, entry.target_id) == ("red.webp", "p1", "t1")
    assert entry.new is not None
    assert (entry.new.size, entry.new.mime) == (2048, "image/webp")
    assert entry.old is None
    assert entry.convert == "image/webp → image/png"
    assert entry.error is None


def test_a_failed_op_keeps_the_vendors_message_and_its_attempts() -> None:
    message = "spiffy create image for target 'shop' [key 'k1']: refused: too big (HTTP 422)"
    entry = op_entry(row("failed_terminal", error=message, attempts=3))
    assert (entry.outcome, entry.code, entry.error, entry.attempts) == (
        "failed",
        "failed_terminal",
        message,
        3,
    )
    assert "refused the item as it is" in entry.reason


@pytest.mark.parametrize(
    ("state", "code", "outcome"),
    [
        ("failed_retryable", "failed_retryable", "failed"),
        ("planned", "planned", "open"),
        ("sent", "sent_unknown", "open"),
    ],
)
def test_each_state_has_its_outcome_and_code(state: str, code: str, outcome: str) -> None:
    entry = op_entry(row(state))
    assert (entry.code, entry.outcome) == (code, outcome)


def test_a_delete_shows_the_file_it_removes_and_a_skip_its_reason() -> None:
    delete = op_entry(row("done", "delete", target_id="t9"))
    assert delete.old is not None
    assert delete.new is None
    skipped = op_entry(row("skipped", error=SUPERSEDED))
    assert (skipped.outcome, skipped.code, skipped.reason) == ("skipped", "superseded", SUPERSEDED)


def test_an_op_whose_payload_cannot_be_read_is_still_an_entry() -> None:
    entry = op_entry(row("skipped", "update", payload={"record": "not a record"}, error="op 1: x"))
    assert (entry.key, entry.outcome, entry.filename, entry.new) == ("k1", "skipped", None, None)


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("unchanged", "unchanged"),
        (PENDING, "pending_op"),
        (f"gone at the source, but {PENDING}", "delete_pending"),
        ("no target owner mapped for this item", "no_owner"),
        ("shop does not take image/tiff", "unsupported_type"),
        ("9000 bytes is over shop's limit of 5000", "over_byte_limit"),
        ("alt changed, which shop cannot update", "cannot_update"),
        ("deletes are off for this target", "deletes_off"),
        ("the source's bytes could not be read", "unreadable"),
        ("target 'old' is no longer in the job", "bad_op"),
        ("something new", "skipped"),
    ],
)
def test_skip_reasons_have_stable_codes(reason: str, code: str) -> None:
    assert skip_code(reason) == code


COUNTS = {
    "listing": "full",
    "listed": 12,
    "downloaded": 4,
    "planned": {"shop.create": 3, "shop.delete": 1},
    "done": {"shop.create": 2, "shop.delete": 1},
    "failed": {"shop.create": 1},
    "skipped": {
        "shop: unchanged": 7,
        "shop: shop does not take image/tiff": 1,
        "listed twice in this run (the listing shifted)": 1,
    },
    "uploaded": {"shop": 5000},
    "uploaded_bytes": 5000,
    "retried": {"shop": 1},
    "resumed": 1,
    "guard": {},
    "shifted": True,
    "errors": ["spiffy create [key 'k2']: refused (HTTP 422)"],
    "interrupted_by": "",
    "not_retried": 0,
    "source_note": "",
    "vendors": {"shop": "spiffy"},
}


def test_the_summary_is_the_runs_counts_with_the_journals_failures_and_open_ops() -> None:
    found = Found(
        outcomes={"shop": Counter({"done": 3, "failed": 1, "open": 2})},
        failures={"shop": Counter({"failed_terminal": 1})},
    )
    summary = summary_of(run(COUNTS), found)
    shop = summary.targets["shop"]
    assert shop.vendor == "spiffy"
    assert shop.actions == Counter({"create": 3, "delete": 1, "skip": 1})
    assert shop.outcomes == Counter({"done": 3, "failed": 1, "skipped": 8, "open": 2})
    assert (shop.unchanged, shop.upload_bytes, shop.destructive) == (7, 5000, 1)
    assert shop.reasons == Counter({"unsupported_type": 1, "failed_terminal": 1})
    assert shop.texts["unsupported_type"] == "shop does not take image/tiff"
    facts = summary.facts
    assert (facts["listed"], facts["done"], facts["failed"], facts["skipped"]) == (12, 3, 1, 9)
    assert (facts["retried"], facts["uploaded_bytes"], facts["open"]) == (1, 5000, 2)
    assert facts["duration_s"] == 90.0
    codes = [note.code for note in summary.notes]
    assert codes == ["shifted", "error", "listed_twice"]
    # An error a failed entry already shows is not a note again.
    shown = Found(shown={"spiffy create [key 'k2']: refused (HTTP 422)"})
    assert "error" not in [note.code for note in summary_of(run(COUNTS), shown).notes]


def test_a_run_recorded_before_bytes_and_retries_were_counted_reports_what_it_can() -> None:
    old = {k: v for k, v in COUNTS.items() if k not in ("uploaded", "retried", "vendors")}
    summary = summary_of(run(old, finished=None), Found(retried=2))
    assert summary.targets["shop"].upload_bytes == 0
    assert summary.facts["retried"] == 2  # from the journal: ops done after two attempts
    assert summary.facts["duration_s"] is None
    header = header_of(run(old, finished=None))
    assert (header.id, header.listing, header.extra["finished_at"]) == ("3", "full", None)


def test_a_runs_guard_stop_signal_source_and_terminal_failures_are_notes() -> None:
    counts = {
        **COUNTS,
        "shifted": False,
        "errors": [],
        "guard": {"shop": "would delete 60% (limit 10%)"},
        "interrupted_by": "SIGTERM",
        "source_note": "the source serves renditions, not originals",
        "not_retried": 2,
    }
    notes = {note.code: note.text for note in summary_of(run(counts), Found()).notes}
    assert notes == {
        "guard_stop": "shop: would delete 60% (limit 10%)",
        "interrupted": "stopped by SIGTERM; the next run resumes what was left",
        "source_renditions": "the source serves renditions, not originals",
        "not_retried": "2 terminal failure(s) left",
        "listed_twice": "1 skipped: listed twice in this run (the listing shifted)",
    }


def test_history_of_a_job_with_no_runs_says_so_in_every_table() -> None:
    assert history_text([]) == history_markdown([]) == "no runs yet"
