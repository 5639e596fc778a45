"""``syncer show FILE``: every format, to stdout or a file made whole, and a bad file in one
line with exit code 2."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from click.testing import CliRunner

from syncer.cli import main
from syncer.plans.jsonfile import save_document
from syncer.plans.model import Document, Entry, Kind
from tests.plans.sample import sample_document
from tests.plans.synthetic import header, streamed

HAS_HTML = importlib.util.find_spec("syncer.plans.html") is not None


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    save_document(sample_document(), path)
    return path


def show(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["show", *args])
    return result.exit_code, result.stdout, result.stderr


def test_text_is_the_default_and_has_no_colour_in_a_pipe(plan: Path) -> None:
    code, out, err = show(str(plan))
    assert (code, err) == (0, "")
    assert out.startswith("Plan plan-1 for job demo\n")
    assert "Destructive changes" in out
    assert "\x1b" not in out


def test_json_is_the_document_as_saved(plan: Path) -> None:
    code, out, _ = show(str(plan), "--format", "json")
    assert code == 0
    assert out == plan.read_text(encoding="utf-8")


def test_list_is_a_line_an_entry(plan: Path) -> None:
    code, out, _ = show(str(plan), "--format", "list")
    assert code == 0
    rows = [line.split("\t") for line in out.splitlines()]
    assert len(rows) == len(list(sample_document().entries()))
    assert {len(row) for row in rows} == {7}


def test_markdown_to_a_file_is_written_whole(plan: Path, tmp_path: Path) -> None:
    target = tmp_path / "comment.md"
    code, out, _ = show(str(plan), "--format", "markdown", "--out", str(target))
    assert (code, out) == (0, "")
    assert target.read_text(encoding="utf-8").startswith("### Plan plan-1 for job demo")
    assert {p.name for p in tmp_path.iterdir()} == {"plan.json", "comment.md"}  # no temp left


def test_out_may_be_the_file_shown(plan: Path) -> None:
    before = plan.read_text(encoding="utf-8")
    assert show(str(plan), "--format", "json", "--out", str(plan))[0] == 0
    assert plan.read_text(encoding="utf-8") == before


def test_a_file_cut_short_leaves_the_previous_output_as_it_was(plan: Path, tmp_path: Path) -> None:
    target = tmp_path / "plan.txt"
    target.write_text("before", encoding="utf-8")
    plan.write_text(plan.read_text(encoding="utf-8").removesuffix("]}\n"), encoding="utf-8")
    code, _, err = show(str(plan), "--format", "json", "--out", str(target))
    assert code == 2
    assert err.startswith("error: ")
    assert "cut short" in err
    assert err.count("\n") == 1
    assert target.read_text(encoding="utf-8") == "before"
    assert {p.name for p in tmp_path.iterdir()} == {"plan.json", "plan.txt"}


@pytest.mark.parametrize(
    "content", ["not json", "[]", '{"schema": "syncer/plan", "version": "9.0", "entries": []}']
)
def test_a_file_that_is_no_document_is_one_line_and_exit_2(tmp_path: Path, content: str) -> None:
    path = tmp_path / "odd.json"
    path.write_text(content, encoding="utf-8")
    code, out, err = show(str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {path}")
    assert err.count("\n") == 1


def test_a_missing_file_and_an_unwritable_out_are_one_line_each(plan: Path, tmp_path: Path) -> None:
    code, _, err = show(str(tmp_path / "nope.json"))
    assert code == 2
    assert "cannot read it" in err
    code, _, err = show(str(plan), "--out", str(tmp_path / "no" / "such" / "dir.txt"))
    assert code == 2
    assert err.startswith("error: cannot write")


def test_unchanged_items_are_listed_on_request(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    same = [Entry("shop", f"same{i}", "skip", "unchanged", "unchanged") for i in range(2)]
    save_document(streamed(header(), lambda i: same[i], 2), path)
    assert "same1" not in show(str(path))[1]
    assert "same1" in show(str(path), "--unchanged")[1]


def test_a_run_report_and_a_check_show_too(tmp_path: Path) -> None:
    for kind, first in ((Kind.RUN, "Run report"), (Kind.CHECK, "Check")):
        path = tmp_path / f"{kind.value}.json"
        entries = [Entry("shop", "k1", "missing", "missing", "not on the target")]
        save_document(Document.of(header(kind), entries), path)
        code, out, _ = show(str(path))
        assert code == 0
        assert out.startswith(f"{first} doc-1 for job demo")


@pytest.mark.skipif(not HAS_HTML, reason="syncer/plans/html.py is not there yet")
def test_html_to_stdout_and_to_a_file(plan: Path, tmp_path: Path) -> None:
    code, out, _ = show(str(plan), "--format", "html")
    assert code == 0
    assert "<script>alert(1)</script>" not in out
    target = tmp_path / "plan.html"
    assert show(str(plan), "--format", "html", "--out", str(target))[0] == 0
    assert target.read_text(encoding="utf-8") == out


def test_showing_json_or_markdown_loads_no_rich(plan: Path) -> None:
    from tests.test_lazy_imports import loaded_after

    code = (
        "import io, pathlib\n"
        "from syncer.plans.show import _render\n"
        "from syncer.plans.jsonfile import read_document\n"
        "from syncer.plans.render import Format\n"
        f"document = read_document(pathlib.Path({str(plan)!r}))\n"
        "_render(document, Format.JSON, io.StringIO(), False)\n"
        "_render(document, Format.MARKDOWN, io.StringIO(), False)\n"
    )
    assert not loaded_after(code) & {"rich", "PIL", "aiohttp", "sqlalchemy"}
