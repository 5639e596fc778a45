"""The HTML page of a document: escaping, the CSP and its hashes, nothing external, thumbnails
and their budget, reading order, the kinds, and memory bounded by streaming."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from syncer.plans.html import render_html
from syncer.plans.jsonfile import read_document, save_document
from syncer.plans.model import Document, Entry, FileFacts, Header, Kind, Note, Summary
from syncer.plans.render import Format, render
from tests.plans.htmlpage import Page
from tests.plans.sample import HOSTILE, sample_document, sample_entries, sha, thumb


def page_of(document: Document, **options: int | bool) -> str:
    out = io.StringIO()
    render_html(document, out, **options)  # type: ignore[arg-type]
    return out.getvalue()


@pytest.fixture(scope="module")
def sample_html() -> str:
    return page_of(sample_document())


def csp_of(html: str) -> dict[str, str]:
    found = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', html)
    assert found is not None, "no CSP meta"
    directives = (part.strip().split(" ", 1) for part in found[1].split(";"))
    return dict(directives)


def block_hash(html: str, tag: str) -> str:
    (body,) = re.findall(rf"<{tag}>(.*?)</{tag}>", html, re.DOTALL)
    return f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"


def test_the_hostile_file_name_stays_text(sample_html: str) -> None:
    assert HOSTILE not in sample_html
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;.jpg" in sample_html
    page = Page(sample_html)
    assert [tag for tag, _ in page.tags].count("script") == 1
    (row,) = (r for r in page.rows if r.attrs["data-action"] == "create" and HOSTILE in r.text)
    assert row.attrs["data-target"] == "shop"


def test_vendor_strings_in_filter_attributes_are_escaped() -> None:
    odd = replace(sample_entries()[0], target='t"><b>x', code="c'\"<i>")
    html = page_of(Document.of(sample_document().header, [odd]))
    assert 'data-target="t&quot;&gt;&lt;b&gt;x"' in html
    assert 'data-code="c&#x27;&quot;&lt;i&gt;"' in html
    assert "<b>x" not in html
    assert "<i>" not in html
    (row,) = Page(html).rows
    assert row.attrs["data-target"] == 't"><b>x'


def test_the_csp_allows_only_the_pages_own_style_and_script(sample_html: str) -> None:
    policy = csp_of(sample_html)
    assert policy == {
        "default-src": "'none'",
        "img-src": "data:",
        "style-src": block_hash(sample_html, "style"),
        "script-src": block_hash(sample_html, "script"),
        "base-uri": "'none'",
        "form-action": "'none'",
    }
    assert sample_html.index("Content-Security-Policy") < sample_html.index("<style>")


def test_nothing_in_the_page_points_outside_it(sample_html: str) -> None:
    without_data = re.sub(r'(src|href)="data:[^"]*"', "", sample_html)
    for scheme in ("http:", "https:", "//", "url(", "@import"):
        assert scheme not in without_data
    assert " on" not in re.sub(r"<(script|style)>.*?</\1>", "", without_data, flags=re.DOTALL)
    for tag, attrs in Page(sample_html).tags:
        assert not any(name.startswith("on") for name in attrs), tag
        assert "style" not in attrs, tag
        for name in ("src", "href"):
            assert attrs.get(name, "data:").startswith(("data:", "#")), (tag, attrs)


def test_every_create_replace_and_delete_shows_its_images(sample_html: str) -> None:
    rows = Page(sample_html).rows
    wanted = {"create": 1, "delete": 1, "replace": 2}
    shown = [r for r in rows if r.attrs["data-action"] in wanted]
    assert len(shown) == 7
    for row in shown:
        assert len(row.imgs) == wanted[row.attrs["data-action"]], row.text
        assert all(src.startswith("data:image/png;base64,") for src in row.imgs)
    (blue,) = (r for r in rows if "blue.jpg" in r.text)
    assert blue.imgs == [thumb((0, 90, 0)), thumb((0, 200, 0))]  # old, then new
    assert "no thumbnail" not in sample_html
    assert 'id="budget"' not in sample_html


def test_past_the_budget_rows_show_a_placeholder_and_the_page_says_so() -> None:
    document = sample_document()
    first = (sha(3), sha(4), sha(5))  # shop's replace and delete: the first destructive rows
    budget = sum(len(document.thumbnails[s]) for s in first)
    page = Page(html := page_of(document, thumb_budget=budget))
    assert sum(len(r.imgs) for r in page.rows) == 3
    assert sum(r.placeholders for r in page.rows) == 6
    assert "The thumbnail budget was reached: 3 thumbnails" in html
    # The destructive rows come first and so get the budget first.
    assert [len(r.imgs) for r in page.rows if r.section == "destructive"] == [1, 2, 0]
    assert "thumbnail budget reached" in next(r.text for r in page.rows if "moved.jpg" in r.text)
    nothing = Page(page_of(document, thumb_budget=0))
    assert not any(r.imgs for r in nothing.rows)


def test_a_missing_thumbnail_shows_no_thumbnail() -> None:
    document = sample_document()
    document.thumbnails.pop(sha(5))
    document.thumbnails[sha(1)] = "javascript:alert(1)"  # not an image URI: not embedded
    html = page_of(document)
    (gone,) = (r for r in Page(html).rows if "gone.jpg" in r.text)
    assert not gone.imgs
    assert "no thumbnail" in gone.text
    assert "javascript:" not in html
    assert 'id="budget"' not in html


def test_the_summary_shows_the_documents_counts(sample_html: str) -> None:
    tallies = Page(sample_html).tallies
    for name, tally in sample_document().summary.targets.items():
        for action in ("create", "update", "replace", "delete", "skip"):
            assert tallies[f"{name}/{action}"] == str(tally.actions.get(action, 0))
        assert tallies[f"{name}/unchanged"] == str(tally.unchanged)
        assert tallies[f"{name}/destructive"] == str(tally.destructive)
    assert "9.0 MB" in sample_html  # bytes to upload: parts's 9 MB file and the rest
    assert "renditions_only" in sample_html
    assert "the source serves renditions, not originals" in sample_html


def test_destructive_changes_come_first_then_each_target_by_action(sample_html: str) -> None:
    page = Page(sample_html)
    assert page.sections == ["destructive", "target-1", "target-2"]
    assert sample_html.index('id="summary"') < sample_html.index('id="destructive"')
    first = [(r.attrs["data-target"], r.attrs["data-action"]) for r in page.rows]
    assert first[:3] == [("shop", "delete"), ("shop", "replace"), ("parts", "replace")]
    assert all(r.section == "destructive" for r in page.rows if "destructive" in r.attrs["class"])
    shop = [r.attrs["data-action"] for r in page.rows if r.section == "target-1"]
    assert shop == ["create", "create", "update", "skip"]
    assert len(page.rows) == len(sample_entries())  # each entry listed once


def test_an_update_lists_each_field_and_marks_the_ones_the_target_cannot_change(
    sample_html: str,
) -> None:
    (row,) = (r for r in Page(sample_html).rows if r.attrs["data-action"] == "update")
    assert "alt old alt → new alt" in row.text
    assert "title A → B" in row.text
    assert "position 1 → 2shop cannot update it" in row.text
    assert row.text.count("cannot update") == 1


def test_a_replace_shows_old_and_new_facts_and_the_details_of_each_kind(sample_html: str) -> None:
    rows = {r.text.split("key")[0].strip(): r for r in Page(sample_html).rows}
    blue = next(r for k, r in rows.items() if "blue.jpg" in k)
    assert "00000000…0003" in blue.text
    assert "00000000…0004" in blue.text
    for shown in ("1.0 kB", "3.0 kB", "100×100", "200×200", "image/jpeg"):
        assert shown in blue.text
    moved = next(r for k, r in rows.items() if "moved.jpg" in k)
    assert "owner move" in moved.text
    assert "owner P-1 → P-2" in moved.text
    hostile = next(r for k, r in rows.items() if HOSTILE in k)
    assert "convert image/webp → image/png" in hostile.text
    huge = next(r for k, r in rows.items() if "huge.png" in k)
    assert "shrink to at most 5.0 MB (5000000 bytes)" in huge.text
    assert "over_byte_limit" in huge.text
    (red,) = (r for r in Page(sample_html).rows if r.section == "target-2" and "red.jpg" in r.text)
    assert "display_limit part P-1 would have 6 display images" in red.text


def run_document() -> Document:
    header = Header(Kind.RUN, "demo", "2026-12-04T10:00:00+00:00", id="run-9")
    new = FileFacts(sha(1), 2048, "image/jpeg", 640, 480)
    entries = [
        Entry(
            "shop",
            "k1",
            "create",
            "new_item",
            "new item",
            filename="a.jpg",
            new=new,
            outcome="done",
            attempts=1,
        ),
        Entry(
            "shop",
            "k2",
            "create",
            "new_item",
            "new item",
            filename="b.jpg",
            new=new,
            outcome="failed",
            attempts=3,
            error="shop said 500: <html>upstream down</html>",
        ),
        Entry("shop", "k3", "update", "metadata_changed", "alt changed", outcome="open"),
    ]
    return Document.of(header, entries, thumbnails={sha(1): thumb((1, 2, 3))})


def test_a_run_report_shows_outcomes_errors_and_attempts() -> None:
    html = page_of(run_document())
    page = Page(html)
    assert "<title>Run report: demo · syncer</title>" in html
    failed = next(r for r in page.rows if r.attrs.get("data-outcome") == "failed")
    assert "3 attempts" in failed.text
    assert "shop said 500: <html>upstream down</html>" in failed.text
    assert "&lt;html&gt;upstream down" in html
    assert [r.attrs["data-outcome"] for r in page.rows] == ["done", "failed", "open"]
    assert page.tallies["shop/outcome/failed"] == "1"
    assert page.tallies["shop/outcome/done"] == "1"
    assert '<select name="outcome">' in html
    assert '<div class="card alert" data-card="failed"><b>1</b>failed</div>' in html
    assert "<h3>Skipped or failed, by reason</h3>" in html


def test_a_check_shows_each_finding() -> None:
    header = Header(Kind.CHECK, "demo", "2026-12-04T10:00:00+00:00")
    facts = FileFacts(sha(3), 10, "image/jpeg")
    entries = [
        Entry("shop", f"k{i}", finding, finding, f"{finding} text", old=facts, new=facts)
        for i, finding in enumerate(("in_step", "foreign", "changed", "missing"))
    ]
    html = page_of(Document.of(header, entries, thumbnails={sha(3): thumb((9, 9, 9))}))
    page = Page(html)
    assert [r.attrs["data-action"] for r in page.rows] == [
        "missing",
        "changed",
        "foreign",
        "in_step",
    ]
    assert "in step" in page.rows[-1].text
    assert page.tallies["shop/missing"] == "1"
    assert page.tallies["shop/in_step"] == "1"
    assert "<title>Check: demo · syncer</title>" in html
    assert '<div class="card alert" data-card="missing"><b>1</b>missing</div>' in html
    assert '<div class="card" data-card="in step"><b>1</b>in step</div>' in html
    assert 'data-card="changes"' not in html
    assert all(len(r.imgs) == 2 for r in page.rows)  # a finding shows the thumbnails it has


def test_unchanged_entries_are_listed_only_on_request() -> None:
    document = sample_document()
    same = Entry("shop", "k9", "skip", "unchanged", "unchanged", filename="same.jpg")
    with_same = Document.of(document.header, [*sample_entries(), same], thumbnails={})
    assert "same.jpg" not in page_of(with_same)
    assert "1 unchanged entry: counted, not listed" in page_of(with_same)
    assert "same.jpg" in page_of(with_same, unchanged=True)


def test_render_writes_html_by_format() -> None:
    out = io.StringIO()
    render(sample_document(), Format.HTML, out)
    assert out.getvalue().startswith("<!DOCTYPE html>")
    assert out.getvalue().rstrip().endswith("</html>")


class Sink(io.StringIO):
    """Counts what is written and keeps nothing (the page can be large)."""

    def __init__(self) -> None:
        super().__init__()
        self.chars = 0
        self.largest = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        self.largest = max(self.largest, len(text))
        return len(text)


def many(count: int) -> Document:
    """A document of ``count`` entries made anew at each pass (nothing held in a list)."""
    proto = sample_entries()
    base = sample_document()

    def source() -> Iterator[Entry]:
        for i in range(count):
            entry = proto[i % len(proto)]
            yield replace(entry, key=f"{entry.key}-{i}")

    summary = Summary(notes=[Note("n", "many")])
    for entry in source():
        summary.add(entry)
    return Document(base.header, summary, source, base.thumbnails)


def test_a_large_document_is_written_in_pieces_with_memory_bounded() -> None:
    document = many(3000)
    sink = Sink()
    tracemalloc.start()
    try:
        render_html(document, sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.chars > 2_500_000
    assert sink.largest < 100_000
    # The page held as one string would take 4 bytes a character (it is not all ASCII).
    assert peak < 1_500_000


def test_unknown_facts_show_as_such_and_an_idle_target_says_so() -> None:
    header = sample_document().header
    entries = [
        Entry("shop", "k1", "create", "new_item", "new item", new=FileFacts()),
        Entry(
            "shop", "k2", "replace", "bytes_changed", "b", old=FileFacts(), new=FileFacts(size=0)
        ),
        Entry("shop", "k3", "create", "new_item", "n", new=FileFacts(sha(9), 4_200_000_000_000)),
    ]
    summary = Summary()
    for entry in entries:
        summary.add(entry)
    summary.count_unchanged("idle", 40)
    html = page_of(Document(header, summary, lambda: entries, {}))
    rows = Page(html).rows
    assert [r.placeholders for r in rows] == [2, 1, 1]  # the replace first: it is destructive
    assert "sha256??size?0 Btype??pixels??" in rows[0].text
    assert "4.2 TB" in rows[2].text
    assert '<h2>idle</h2>\n<p class="dim">No other entries.</p>' in html


def test_a_saved_document_renders_as_the_one_in_memory(tmp_path: Path) -> None:
    """Read back from its file, the document's entries are streamed twice (two passes)."""
    save_document(sample_document(), tmp_path / "plan.json")
    assert page_of(read_document(tmp_path / "plan.json")) == page_of(sample_document())


def test_the_renderer_loads_neither_rich_nor_pillow_nor_the_engine() -> None:
    probe = (
        "import sys, syncer.plans.html\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'PIL') "
        "or m.startswith(('syncer.engine', 'syncer.spool', 'syncer.cli'))))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "[]"


def test_a_long_group_lists_its_first_rows_and_says_how_many_more() -> None:
    header = sample_document().header
    creates = [
        Entry("shop", f"k{n:03}", "create", "new_item", "new item", filename=f"f{n:03}.jpg")
        for n in range(30)
    ]
    html = page_of(Document.of(header, creates), rows_per_group=10)
    assert html.count('class="row" role="row"') == 10
    assert "f009.jpg" in html
    assert "f010.jpg" not in html
    assert "and 20 more, not listed here" in html
    assert '<span class="dim">30</span>' in html  # the group still counts all of them
