"""A source that cannot serve its originals (Moov: renditions only) is named in every run's
report, with the largest side of what the targets get (``Capabilities.originals_readable``,
``max_read_pixels``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncer.engine.report import summary_text
from syncer.engine.run import JobRun, Mode
from syncer.http import open_session
from syncer.jobs import load_job
from tests.engine.rigs import fan_out_job

URLS = {"SOURCE_URL": "http://127.0.0.1:9", "T0_URL": "http://127.0.0.1:9"}


async def report_of(tmp_path: Path, source: str) -> str:
    path = tmp_path / "job.toml"
    path.write_text(fan_out_job(source, [("partium", "part-0001")]))
    async with open_session() as session:
        run = JobRun(load_job(path, URLS), None, None, session, Mode.PLAN)  # type: ignore[arg-type]
    return summary_text(run.summary, "job", "plan")


async def test_a_source_serving_renditions_only_says_so_in_the_report(tmp_path: Path) -> None:
    report = await report_of(tmp_path, "moov")
    assert "note: moov serves renditions, not its originals (at most 2048 px on a side)" in report


@pytest.mark.parametrize("source", ["partium", "spiffy", "beproduct"])
async def test_a_source_serving_originals_adds_no_note(tmp_path: Path, source: str) -> None:
    assert "renditions" not in await report_of(tmp_path, source)
