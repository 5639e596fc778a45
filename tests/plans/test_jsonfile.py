"""Documents as JSON files: a round trip, entries streamed, the version policy, and every bad
file refused with one line naming it."""

from __future__ import annotations

import io
import json
import tracemalloc
from itertools import islice
from pathlib import Path

import pytest

from syncer.errors import ConfigError
from syncer.plans.jsonfile import DocumentError, read_document, save_document, write_document
from syncer.plans.model import Entry, Kind
from tests.plans.sample import sample_document, sample_entries
from tests.plans.synthetic import header, hostile_create, streamed


def saved(tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    save_document(sample_document(), path)
    return path


def test_a_saved_document_reads_back_the_same(tmp_path: Path) -> None:
    path = saved(tmp_path)
    again = read_document(path, kind=Kind.PLAN)
    original = sample_document()
    assert again.header == original.header
    assert again.summary == original.summary
    assert again.thumbnails == original.thumbnails
    assert list(again.entries()) == sample_entries()
    assert list(again.entries()) == sample_entries()  # every pass reads the file again
    out = io.StringIO()
    write_document(again, out)
    assert out.getvalue() == path.read_text(encoding="utf-8")


def test_entries_are_streamed_not_held(tmp_path: Path) -> None:
    """Memory is traced over the first 10,000 entries of 100,000 (tracing all of them takes
    long on a busy machine): a reader that loads the file, or holds what it read, has its
    whole load inside that window."""
    path = tmp_path / "big.json"
    save_document(streamed(header(), hostile_create, 1), path)
    head, line, end = path.read_text(encoding="utf-8").rsplit("\n", 3)[:3]
    lines = [head, *[line + ","] * 99_999, line, end, ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    entries = read_document(path).entries()
    tracemalloc.start()
    try:
        traced = sum(1 for _ in islice(entries, 10_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert traced + sum(1 for _ in entries) == 100_000
    assert peak < 1_000_000  # 10,000 entries held: over 5 MB; the file loaded: over 100 MB


def test_another_major_version_is_refused_and_a_newer_minor_read(tmp_path: Path) -> None:
    path = saved(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"version": "1.0"', '"version": "2.0"', 1), encoding="utf-8")
    with pytest.raises(DocumentError) as refused:
        read_document(path)
    message = str(refused.value)
    assert "\n" not in message
    assert str(path) in message
    assert "schema version 2.0" in message
    newer = text.replace('"version": "1.0"', '"version": "1.7"', 1)
    newer = newer.replace('"key":"k1"', '"key":"k1","added_in_1_7":{"x":1}')
    path.write_text(newer, encoding="utf-8")
    assert list(read_document(path).entries()) == sample_entries()


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_a_file_cut_short_is_refused_naming_it(tmp_path: Path, keep: float) -> None:
    path = saved(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(DocumentError) as refused:
        list(read_document(path).entries())
    assert str(path) in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_file_cut_after_its_last_entry_line_is_refused(tmp_path: Path) -> None:
    path = saved(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").removesuffix("]}\n"), encoding="utf-8")
    with pytest.raises(DocumentError, match="cut short"):
        list(read_document(path).entries())


def test_a_file_reformatted_by_a_tool_is_read_whole(tmp_path: Path) -> None:
    path = saved(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    again = read_document(path)
    assert again.header == sample_document().header
    assert again.summary == sample_document().summary
    assert list(again.entries()) == sample_entries()


def test_a_document_of_another_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"plan.json is a plan document, not a run"):
        read_document(saved(tmp_path), kind=Kind.RUN)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("", "not a syncer document"),
        ("not json at all", "not a syncer document"),
        ("[1, 2, 3]", "not a JSON object"),
        ('{"schema": "other/thing", "version": "1.0"}', "no syncer schema"),
        ('{"schema": "syncer/plan", "version": "1.0", "header": {}}', "header is not valid"),
        ('{"schema": "syncer/plan", "version": "1.0", "header": [], "entries": []}', "header"),
        (
            '{"schema": "syncer/plan", "version": "1.0", "summary": [1],'
            ' "header": {"kind": "plan", "job": "j", "created_at": "t"}, "entries": []}',
            "header is not valid",
        ),
        (
            '{"schema": "syncer/plan", "version": "1.0",'
            ' "header": {"kind": "plan", "job": "j", "created_at": "t"}, "entries": [7]}',
            "an entry is not valid",
        ),
        (
            '{"schema": "syncer/plan", "version": "1.0",'
            ' "header": {"kind": "plan", "job": "j", "created_at": "t"}}',
            "no entries list",
        ),
    ],
)
def test_anything_else_is_refused_with_one_line(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "odd.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DocumentError) as refused:
        list(read_document(path).entries())
    message = str(refused.value)
    assert isinstance(refused.value, ConfigError)
    assert refused.value.exit_code == 2
    assert says in message
    assert str(path) in message
    assert "\n" not in message


def test_bytes_that_are_not_text_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "binary.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DocumentError, match="not a syncer document"):
        read_document(path)
    with pytest.raises(DocumentError, match="cannot read it"):
        read_document(tmp_path / "missing.json")


def test_a_bad_entry_line_in_syncers_layout_names_the_file(tmp_path: Path) -> None:
    path = saved(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[6] = '{"target": "shop"},\n'  # no key, no action
    path.write_text("".join(lines), encoding="utf-8")
    entries = read_document(path).entries()
    assert isinstance(next(entries), Entry)
    with pytest.raises(DocumentError, match=r"plan.json: an entry is not valid"):
        next(entries)
