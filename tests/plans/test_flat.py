"""The flat list: a line an entry, tab-separated, destructive first, names never split a line."""

from __future__ import annotations

import io

from syncer.plans.flat import render_list
from syncer.plans.model import Document, Entry, FileFacts
from syncer.plans.render import Format, render
from tests.plans.sample import sample_document, sample_entries


def lines_of(document: Document, **options: bool) -> list[list[str]]:
    out = io.StringIO()
    render_list(document, out, **options)
    return [line.split("\t") for line in out.getvalue().splitlines()]


def test_every_entry_is_one_line_of_seven_columns_destructive_first() -> None:
    rows = lines_of(sample_document())
    assert len(rows) == len(sample_entries())
    assert all(len(row) == 7 for row in rows)
    destructive = sum(1 for e in sample_entries() if e.destructive)
    assert {row[0] for row in rows[:destructive]} <= {"delete", "replace"}
    create = next(row for row in rows if row[2] == "k1" and row[1] == "shop")
    assert create == ["create", "shop", "k1", "-", "2048", "red.jpg", "new_item"]


def test_a_tab_or_newline_in_a_name_cannot_split_a_line_or_a_column() -> None:
    header = sample_document().header
    odd = Entry(
        "shop",
        "k\tx",
        "create",
        "new_item",
        "new item",
        filename="a\tb\nc.jpg",
        new=FileFacts(size=5),
    )
    (row,) = lines_of(Document.of(header, [odd]))
    assert row == ["create", "shop", "k\\tx", "-", "5", "a\\tb\\nc.jpg", "new_item"]


def test_unchanged_entries_are_listed_only_on_request() -> None:
    header = sample_document().header
    same = Entry("shop", "k9", "skip", "unchanged", "in step", filename="same.jpg")
    document = Document.of(header, [same])
    assert lines_of(document) == []
    assert lines_of(document, unchanged=True)[0][0] == "skip"


def test_render_writes_the_list_by_format() -> None:
    out = io.StringIO()
    render(sample_document(), Format.LIST, out)
    assert out.getvalue().count("\n") == len(sample_entries())
