"""The terminal renderer: summary first, destructive changes ahead, every detail a user needs to
decide, at most ``limit`` entries a group, and vendor strings shown literally."""

from __future__ import annotations

import io

from syncer.plans.model import Change, Document, Entry, FileFacts, Kind, Note
from syncer.plans.terminal import render_terminal
from tests.plans.sample import HOSTILE, sample_document
from tests.plans.synthetic import HOSTILE_NAMES, header, hostile_create, streamed


def text_of(document: Document, **options: object) -> str:
    out = io.StringIO()
    render_terminal(document, out, **options)  # type: ignore[arg-type]
    return out.getvalue()


def test_the_summary_comes_first_then_destructive_changes_then_each_target() -> None:
    text = text_of(sample_document())
    lines = text.splitlines()
    assert lines[0] == "Plan plan-1 for job demo"
    row = next(line.split() for line in lines if line.startswith("shop "))
    # target vendor delete replace create update skip unchanged upload(2 words) destructive warn
    assert row == ["shop", "spiffy", "1", "1", "2", "1", "1", "12", "9.1", "kB", "2", "0"]
    assert "8 changes, 9.0 MB to upload, 3 destructive, 2 warnings" in text
    assert "note renditions_only: the source serves renditions, not originals" in text
    destructive = text.index("Destructive changes")
    assert text.index("shop: delete (1)") > destructive
    assert text.index("parts: replace (1)") > destructive
    assert text.index("create (2)") > text.index("parts: replace (1)")
    assert text.count("k5") == 1  # a destructive entry is not listed again under its target


def test_each_action_shows_what_a_user_needs_to_decide() -> None:
    text = text_of(sample_document())
    assert 'alt: "old alt" → "new alt"' in text
    assert 'title: "A" → "B"' in text
    position = next(line for line in text.splitlines() if "position:" in line)
    assert "1 → 2" in position
    assert "cannot update" in position
    assert "cannot update" not in next(line for line in text.splitlines() if "alt:" in line)
    assert f"sha256 {3:012x} → {4:012x}" not in text  # first 12 of the 64 digits
    assert f"sha256 {'0' * 12} → {'0' * 12}, image/jpeg 100×100 1.0 kB → image/jpeg 200×200" in text
    assert "convert image/webp → image/png" in text
    assert "shrink to 5.0 MB" in text
    assert "moves owner to P-2" in text
    assert "! display_limit: part P-1 would have 6 display images" in text
    assert "skip unsupported_type ×1: shop does not take image/tiff (k6)" in text
    assert "12 unchanged" in text


def test_hostile_names_show_literally_and_cannot_style_or_escape() -> None:
    entries = [hostile_create(i) for i in range(len(HOSTILE_NAMES))]
    document = Document.of(header(), entries)
    for color in (False, True):
        text = text_of(document, color=color)
        assert "[bold]x[/]" in text
        assert HOSTILE.removesuffix(".jpg")[:10] in text
        assert "\\x1b[31mred\\x1b[0m.jpg" in text
        assert "\x1b[31mred" not in text
        assert "two\\nlines.jpg" in text
        assert "*bold* _it_ [link](http://x) <b>&amp;" in text
    assert "\x1b" not in text_of(document)  # no colour: no escape at all


def test_a_group_shows_at_most_limit_entries_then_how_many_more() -> None:
    document = streamed(header(), hostile_create, 120)
    text = text_of(document, limit=50)
    assert "create (120)" in text
    assert sum(1 for line in text.splitlines() if line.startswith("    + ")) == 50
    assert "… and 70 more (all of them: --format json)" in text
    assert "more" not in text_of(streamed(header(), hostile_create, 50), limit=50)


def unchanged_entries() -> list[Entry]:
    same = [Entry("shop", f"u{i}", "skip", "unchanged", "unchanged") for i in range(3)]
    return [*same, Entry("shop", "s1", "skip", "no_owner_mapped", "no owner mapping for X")]


def test_unchanged_items_are_counted_and_listed_only_on_request() -> None:
    document = Document.of(header(), unchanged_entries())
    quiet = text_of(document)
    assert "3 unchanged" in quiet
    assert "u1" not in quiet
    assert "skip no_owner_mapped ×1" in quiet
    row = next(line.split() for line in quiet.splitlines() if line.startswith("shop "))
    assert row[6:8] == ["1", "3"]  # skip, unchanged: a listed unchanged item is not a skip
    listed = text_of(document, unchanged=True)
    assert "unchanged (3)" in listed
    assert "u1" in listed


def test_a_run_report_shows_each_outcome_its_error_and_attempts() -> None:
    entries = [
        Entry(
            "shop",
            "k1",
            "create",
            "new_item",
            "new item",
            outcome="failed",
            error="spiffy create_image: [red]no[/]\x1b[2J (HTTP 422)",
            attempts=3,
        ),
        Entry("shop", "k2", "update", "metadata_changed", "alt changed", outcome="done"),
    ]
    text = text_of(Document.of(header(Kind.RUN), entries))
    assert text.startswith("Run report doc-1 for job demo")
    assert (
        "outcome failed after 3 attempts: spiffy create_image: [red]no[/]\\x1b[2J (HTTP 422)"
        in text
    )
    assert "outcome done" in text
    assert "done 1, failed 1" in text


def test_a_check_shows_its_findings() -> None:
    entries = [
        Entry("shop", "k1", "missing", "missing", "not on the target"),
        Entry(
            "shop",
            "k2",
            "changed",
            "changed",
            "changed on the target",
            changes=(Change("alt", "a", "b"),),
        ),
        Entry("shop", "k3", "in_step", "in_step", "in step"),
    ]
    text = text_of(Document.of(header(Kind.CHECK), entries))
    heads = next(line.split() for line in text.splitlines() if line.startswith("target"))
    assert heads[2:6] == ["missing", "changed", "foreign", "in_step"]
    assert text.index("missing (1)") < text.index("changed (1)") < text.index("in_step (1)")
    assert 'alt: "a" → "b"' in text


def test_a_replace_with_unknown_facts_and_a_warning_only_entry() -> None:
    entry = Entry(
        "shop",
        "k1",
        "replace",
        "bytes_changed",
        "bytes changed",
        old=None,
        new=FileFacts(size=10),
        warnings=(Note("w", "careful\nnow"),),
    )
    text = text_of(Document.of(header(), [entry]))
    assert "sha256 - → -, - → 10 B" in text
    assert "! w: careful\\nnow" in text
