"""``syncer demo`` runs its whole story and says what happened."""

from __future__ import annotations

from pathlib import Path

from syncer.demo import demo


async def test_the_demo_migrates_changes_plans_applies_and_syncs(tmp_path: Path) -> None:
    lines: list[str] = []
    code = await demo(tmp_path / "demo", lines.append)
    text = "\n".join(lines)
    assert code == 0, text
    assert "migrate demo: succeeded" in text
    assert "apply demo: succeeded" in text
    assert "sync demo: succeeded" in text
    assert "shop.replace" in text  # applied, from the plan
    assert "payments.delete" in text
    assert "Destructive changes" in text  # the plan, printed before it is applied
    plan = tmp_path / "demo" / "plan.json"
    assert f"saved: {plan}" in text
    assert (tmp_path / "demo" / "plan.html").read_text().startswith("<!DOCTYPE html>")
    assert "Spiffy Stores          31 live images" in text
    assert "Moov                   31 live images" in text
    assert (tmp_path / "demo" / "demo.toml").exists()
