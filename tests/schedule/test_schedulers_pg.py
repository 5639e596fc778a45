"""Two and three ``syncer schedule`` processes on one PostgreSQL: every tick runs once (DBOS's
workflow id is the claim), none is missed, and the job never runs twice at once (its lease)."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest

from syncer.emulators.faults import FaultConfig
from tests.schedule.rig import converged, job_text, ledger, start_scheduler, wait_until, world

#: Seconds the schedulers share the job's every-second cron.
WINDOW = 10.0


@pytest.mark.parametrize("schedulers", [2, 3])
def test_several_schedulers_run_each_tick_once_and_never_two_runs_at_once(
    schedulers: int, tmp_path: Path, pg_url: str
) -> None:
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (jobs / "job.toml").write_text(job_text(pg_url, "* * * * * *"))
    with world(images=16) as w:
        # Every run lists and hashes the source again (Partium has no version tokens): at 250 ms
        # a request, a run outlasts the one-second cron, so ticks overlap and must be skipped.
        w.partium.faults.configure(FaultConfig(latency_ms=250))
        started = [
            start_scheduler(jobs, tmp_path, w.env, "--state", pg_url, "--executor-id", f"s{n}",
                            name=f"s{n}")
            for n in range(schedulers)
        ]  # fmt: skip
        try:
            for scheduler in started:
                wait_until(partial(scheduler.said, "scheduled job(s)"), alive=scheduler)
            wait_until(lambda: converged(w), alive=started[0])
            time.sleep(WINDOW)
        finally:
            codes = [s.stop() for s in started]
    assert codes == [0] * schedulers, [s.err.read_text()[-500:] for s in started]
    ticks, runs = ledger(pg_url)
    settled = [t for t in ticks if t.outcome != "started"]
    assert {t.outcome for t in settled} <= {"ran", "overlap", "stopping"}, ticks
    # Every second from the first tick to the last, each once (the primary key), none missing.
    steps = {b.scheduled_at - a.scheduled_at for a, b in itertools.pairwise(ticks)}
    assert steps == {timedelta(seconds=1)}, sorted(t.scheduled_at for t in ticks)
    assert len(ticks) >= WINDOW
    # One run per tick that ran, and no two runs of the job at the same time.
    ran = sorted(t.run_id for t in ticks if t.outcome == "ran" and t.run_id is not None)
    assert ran == [r.id for r in runs]
    for before, after in itertools.pairwise(runs):
        assert before.finished_at is not None
        assert before.finished_at <= after.started_at, (before, after)
    assert any(t.outcome == "overlap" for t in ticks)  # the lease did skip some
    # Which scheduler dequeues a tick is DBOS's choice (often one takes most): not asserted.
