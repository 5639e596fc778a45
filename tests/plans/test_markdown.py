"""The Markdown renderer: a pull-request comment of bounded size, destructive changes first,
what was cut said, and no name able to leave its table cell or inject HTML."""

from __future__ import annotations

import re

import pytest

from syncer.plans.markdown import GITHUB_LIMIT, cell, render_markdown
from syncer.plans.model import Document, Entry, Kind
from tests.plans.sample import sample_document
from tests.plans.synthetic import HOSTILE_NAMES, header, hostile_create, streamed

#: A pipe that splits cells: not escaped by a backslash (entities are no pipes).
_PIPE = re.compile(r"(?<!\\)\|")


def tables_are_whole(text: str) -> None:
    """Every row of every table has its header's number of cells, on one line."""
    columns = None
    for line in text.splitlines():
        if not line.startswith("|"):
            columns = None
            continue
        assert line.endswith("|"), line
        cells = len(_PIPE.findall(line))
        columns = columns or cells
        assert cells == columns, line


def test_the_sample_plan_reads_in_order_summary_destructive_then_targets() -> None:
    text = render_markdown(sample_document())
    assert text.startswith("### Plan plan-1 for job demo\n")
    assert "| shop | spiffy | 1 | 1 | 2 | 1 | 1 | 12 | 9.1 kB | 2 | 0 |" in text
    assert "- **renditions\\_only**: the source serves renditions, not originals" in text
    assert text.index("#### Destructive changes") < text.index("**shop: delete** (1)")
    assert text.index("**parts: replace** (1)") < text.index("#### shop")
    assert "position: 1 → 2 (the target cannot update it: not applied)" in text
    assert "convert image/webp → image/png" in text
    assert "| unsupported\\_type | 1 | shop does not take image/tiff | <code>k6</code> |" in text
    assert "not shown" not in text
    tables_are_whole(text)


def test_what_was_cut_is_said_with_the_command_that_shows_all() -> None:
    text = render_markdown(sample_document(), limit=1)
    assert "… 1 more creates on shop not shown" in text
    assert "… 1 more creates on parts not shown" in text
    assert text.endswith("_the full plan: `syncer show plan.json`_")


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_name_stays_in_its_cell_and_injects_nothing(name: str) -> None:
    entry = Entry("shop", name, "create", "new_item", name, filename=name, owner=name)
    text = render_markdown(Document.of(header(), [entry]))
    row = next(line for line in text.splitlines() if line.startswith("| <code>"))
    assert len(_PIPE.findall(row)) == 6
    assert "<script" not in text
    assert "<b>" not in text
    assert "`" not in row
    assert "@octocat" not in text
    assert not any(line.startswith("# ") for line in text.splitlines())
    assert "\x1b" not in text
    tables_are_whole(text)


def test_cell_escapes_markdown_and_html_marks() -> None:
    assert cell("a|b") == "a&#124;b"
    assert cell("<i>&") == "&lt;i&gt;&amp;"
    assert cell("*x* _y_ [z]") == "\\*x\\* \\_y\\_ \\[z\\]"
    assert cell("#1 @me `c` $x$") == "&#35;1 &#64;me &#96;c&#96; &#36;x&#36;"
    assert cell("line\nbreak") == "line\\\\nbreak"  # the newline escaped, then its backslash
    assert cell("x" * 500, 10) == "x" * 10 + "… (500 characters)"


@pytest.mark.parametrize(("count", "max_chars"), [(100_000, 60_000), (5_000, 8_000), (500, 700)])
def test_any_document_fits_its_bound_even_100k_entries_with_long_hostile_names(
    count: int, max_chars: int
) -> None:
    def make(i: int) -> Entry:
        return hostile_create(i, target=("shop", "parts", "web")[i % 3], long=400)

    document = streamed(header(), make, count)
    text = render_markdown(document, max_chars=max_chars)
    assert len(text) <= max_chars <= GITHUB_LIMIT
    assert re.search(r"… \d+ more (creates on shop|entries) not shown", text)
    assert "syncer show plan.json" in text.splitlines()[-1]
    tables_are_whole(text)


def test_a_run_report_shows_outcomes_and_escaped_errors() -> None:
    entry = Entry(
        "shop",
        "k1",
        "create",
        "new_item",
        "new item",
        outcome="failed",
        error="spiffy: <html>|oops\n",
        attempts=2,
    )
    text = render_markdown(Document.of(header(Kind.RUN), [entry]))
    assert text.startswith("### Run report doc-1 for job demo")
    assert "| warnings | outcomes |" in text
    assert "| 0 | failed 1 |" in text
    assert "**failed** after 2 attempts: spiffy: &lt;html&gt;&#124;oops\\\\n" in text
    tables_are_whole(text)


def test_unchanged_entries_are_listed_only_on_request() -> None:
    entries = [Entry("shop", f"u{i}", "skip", "unchanged", "unchanged") for i in range(3)]
    document = Document.of(header(), entries)
    assert "u1" not in render_markdown(document)
    assert "**unchanged** (3)" in render_markdown(document, unchanged=True)
    assert "… 2 more unchanged entries on shop" in render_markdown(
        document, unchanged=True, limit=1
    )
