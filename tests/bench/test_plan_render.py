"""``bench/plan_render.py``: the synthetic plan's mix, and a small run printing a row per
format."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import plan_render


def test_the_synthetic_plan_has_the_mix_and_thumbnails_it_says() -> None:
    plan = plan_render.synthetic_plan(1200, 100)  # 20 rounds of 20 entries on 3 targets
    actions = Counter(entry.action for entry in plan.entries())
    assert actions == {"create": 720, "update": 180, "replace": 120, "delete": 60, "skip": 120}
    assert {entry.target for entry in plan.entries()} == {"shop", "parts", "media"}
    assert all(len(entry.changes) == 2 for entry in plan.entries() if entry.action == "update")
    assert len(plan.thumbnails) == 100
    assert all(1900 < len(uri) < 2200 for uri in plan.thumbnails.values())
    assert sum(t.actions.total() for t in plan.summary.targets.values()) == 1200


def test_a_small_run_prints_a_row_per_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert plan_render.main(["--items", "2000", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2000 entries: built and written in ")
    rows = {line.split(" | ")[0].strip("| "): line for line in out.splitlines()[3:]}
    assert set(rows) == set(plan_render.FORMATS)
    for fmt in ("text", "json", "markdown"):
        assert rows[fmt].count(" s | ") == 1
        assert rows[fmt].count(" MB") == 3
        assert (tmp_path / f"rendered.{fmt}").stat().st_size > 0
    if importlib.util.find_spec("syncer.plans.html") is None:
        assert "skipped" in rows["html"]
    else:
        assert rows["html"].count(" MB") == 3
