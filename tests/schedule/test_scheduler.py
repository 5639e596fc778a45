"""``syncer schedule`` on a SQLite state, as a process: runs on the cron while the source
changes, a manual run's lease makes ticks ``overlap``, missed ticks coalesce into one run, a
tick past its catchup window is skipped, an invalid edit keeps the last good job, SIGTERM
drains (or stops a run at a checkpoint that the next tick resumes), a second scheduler on the
same SQLite state is refused."""

from __future__ import annotations

import itertools
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio

from syncer.emulators.faults import FaultConfig
from syncer.state import StateStore, TickRow
from tests.schedule.rig import (
    EXIT_MARGIN,
    converged,
    job_text,
    ledger,
    live_shas,
    outcomes,
    png,
    record,
    start_scheduler,
    wait_until,
    world,
)


def _setup(tmp_path: Path, cron: str, extra: str = "") -> tuple[Path, str]:
    url = f"sqlite+aiosqlite:///{tmp_path}/.syncer/state.db"
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (jobs / "job.toml").write_text(job_text(url, cron, extra=extra))
    return jobs, url


def _ran(url: str) -> int:
    try:
        return outcomes(ledger(url)[0]).get("ran", 0)
    except Exception:  # not created yet
        return 0


def test_the_scheduler_keeps_the_target_in_step_with_a_changing_source(tmp_path: Path) -> None:
    with world() as w:
        jobs, url = _setup(tmp_path, "*/2 * * * * *")
        scheduler = start_scheduler(jobs, tmp_path, w.env)
        try:
            wait_until(lambda: _ran(url) >= 1 and converged(w), alive=scheduler)
            owner = w.partium.store.owners_of()[0]
            w.partium.admin_add(owner, "new-part.png", png(7), {})
            gone = next(i for i in w.partium.store.iter_images() if not i.deleted)
            w.partium.admin_delete(gone)
            wait_until(lambda: converged(w), alive=scheduler)
            before = _ran(url)
            wait_until(lambda: _ran(url) >= before + 2, alive=scheduler)  # quiet ticks go on
        finally:
            code = scheduler.stop()
    assert code == 0, scheduler.err.read_text()
    ticks, runs = ledger(url)
    assert {t.outcome for t in ticks} <= {"ran", "overlap", "stopping"}
    ran = [t for t in ticks if t.outcome == "ran"]
    assert [t.run_id for t in ran] == [r.id for r in runs]  # one run per tick that ran
    assert all(r.status == "succeeded" for r in runs)
    gaps = [b.scheduled_at - a.scheduled_at for a, b in itertools.pairwise(ticks)]
    assert set(gaps) == {timedelta(seconds=2)}  # no tick missed, none twice
    assert "Traceback" not in scheduler.err.read_text() + scheduler.out.read_text()


def test_a_manual_run_holding_the_lease_makes_ticks_overlap(tmp_path: Path) -> None:
    jobs, url = _setup(tmp_path, "* * * * * *")

    async def hold() -> int:
        async with await StateStore.open(url) as store:
            return (await store.start_run("job", "sync")).id

    async def release(run_id: int) -> None:
        async with await StateStore.open(url) as store:
            await store.finish_run(run_id, "succeeded", {})

    with world() as w:
        held = anyio.run(hold)  # as `syncer sync` in this (live) process would
        scheduler = start_scheduler(jobs, tmp_path, w.env)
        try:
            wait_until(lambda: outcomes(ledger(url)[0]).get("overlap", 0) >= 2, alive=scheduler)
            assert _ran(url) == 0
            anyio.run(release, held)
            wait_until(lambda: _ran(url) >= 1 and converged(w), alive=scheduler)
        finally:
            assert scheduler.stop() == 0
    overlap = next(t for t in ledger(url)[0] if t.outcome == "overlap")
    assert f"run {held}" in overlap.reason  # names the run that holds the lease


def test_ticks_missed_while_down_coalesce_into_one_run(tmp_path: Path) -> None:
    jobs, url = _setup(tmp_path, "0 * * * * *")  # every minute, on the minute
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    long_ago = now - timedelta(minutes=5)
    record(url, TickRow("job", long_ago, "ran", "before the downtime", None, "earlier"))
    with world() as w:
        scheduler = start_scheduler(jobs, tmp_path, w.env)
        try:
            wait_until(lambda: _ran(url) >= 2, alive=scheduler)  # the one before, and one now
        finally:
            assert scheduler.stop() == 0
    ticks, runs = ledger(url)
    missed = [t for t in ticks if t.outcome == "missed"]
    ran = [t for t in ticks if t.outcome == "ran" and t.scheduled_at > long_ago]
    latest = ran[0].scheduled_at
    assert len(runs) == len(ran) >= 1
    assert latest >= now  # the latest missed tick (or a later one) ran, once
    assert len(missed) == int((latest - long_ago).total_seconds() // 60) - 1
    assert all("covers it" in t.reason for t in missed)
    assert scheduler.said("was missed; enqueuing it")


def test_a_tick_later_than_its_catchup_window_is_skipped(tmp_path: Path) -> None:
    jobs, url = _setup(tmp_path, "0 0 1 1 *", extra='catchup = "1h"\n')  # New Year's only
    year = datetime.now(UTC).year
    record(url, TickRow("job", datetime(year - 2, 1, 1, tzinfo=UTC), "ran", "ok", None, "x"))
    with world() as w:
        scheduler = start_scheduler(jobs, tmp_path, w.env)
        try:
            wait_until(lambda: len(ledger(url)[0]) >= 3, alive=scheduler)
        finally:
            assert scheduler.stop() == 0
        assert live_shas(w.spiffy) == []  # nothing ran
    ticks, runs = ledger(url)
    by_time = {t.scheduled_at.year: t for t in ticks}
    assert by_time[year].outcome == "late"
    assert "catchup window of 60 min" in by_time[year].reason
    assert by_time[year - 1].outcome == "missed"
    assert runs == []


def test_an_invalid_edit_keeps_the_last_good_version_scheduled(tmp_path: Path) -> None:
    with world() as w:
        jobs, url = _setup(tmp_path, "* * * * * *")
        scheduler = start_scheduler(jobs, tmp_path, w.env)
        try:
            wait_until(lambda: _ran(url) >= 1, alive=scheduler)
            (jobs / "job.toml").write_text("[source\nvendor = ")
            wait_until(lambda: any(x["level"] == "error" for x in scheduler.lines()))
            before = _ran(url)
            wait_until(lambda: _ran(url) >= before + 2, alive=scheduler)
        finally:
            assert scheduler.stop() == 0
    errors = [x for x in scheduler.lines() if x["level"] == "error"]
    assert "job.toml" in errors[0]["message"]
    assert "last good version stays scheduled" in errors[0]["message"]
    assert "Traceback" not in scheduler.out.read_text() + scheduler.err.read_text()


def test_sigterm_mid_run_stops_at_a_checkpoint_and_the_next_tick_resumes(
    tmp_path: Path,
) -> None:
    with world(images=24) as w:
        # About 4 s of creates (24 at two at a time): far more than the drain lets finish.
        slow = FaultConfig(latency_ms=300, jitter_ms=20)
        w.partium.faults.configure(slow)
        w.spiffy.faults.configure(slow)
        jobs, url = _setup(tmp_path, "*/2 * * * * *")
        options = ("--drain-timeout", "0.5", "--stop-grace", "1")
        scheduler = start_scheduler(jobs, tmp_path, w.env, *options)
        try:
            wait_until(lambda: 0 < len(live_shas(w.spiffy)) < 24, alive=scheduler)
        finally:
            code = scheduler.stop()
        assert code == 0, scheduler.err.read_text()
        assert scheduler.stopped_in < 0.5 + 1 + EXIT_MARGIN
        _ticks, runs = ledger(url)
        assert runs[-1].status == "interrupted"  # the lease released, the run recorded
        assert 0 < len(live_shas(w.spiffy)) < 24

        w.partium.faults.configure(FaultConfig())
        w.spiffy.faults.configure(FaultConfig())
        again = start_scheduler(jobs, tmp_path, w.env, name="again")
        try:
            wait_until(lambda: converged(w), alive=again)
        finally:
            assert again.stop() == 0
        assert len(live_shas(w.spiffy)) == len(set(live_shas(w.spiffy))) == 24  # no duplicate


def test_a_second_signal_exits_at_once(tmp_path: Path) -> None:
    with world(images=24) as w:
        w.spiffy.faults.configure(FaultConfig(latency_ms=400))
        jobs, _ = _setup(tmp_path, "* * * * * *")
        scheduler = start_scheduler(jobs, tmp_path, w.env, "--drain-timeout", "120")
        wait_until(lambda: len(w.spiffy.requests) > 0, alive=scheduler)
        scheduler.process.send_signal(signal.SIGTERM)
        wait_until(lambda: scheduler.said("stopping; no new tick is claimed"))
        assert scheduler.stop(signal.SIGINT, timeout=20) == 128 + signal.SIGINT


def test_sighup_reloads_the_job_files_at_once(tmp_path: Path) -> None:
    with world() as w:
        jobs, _ = _setup(tmp_path, "0 0 1 1 *")
        scheduler = start_scheduler(jobs, tmp_path, w.env, "--reload-interval", "600")
        try:
            wait_until(lambda: scheduler.said("scheduled job(s)"), alive=scheduler)
            path = jobs / "job.toml"
            path.write_text(path.read_text().replace("1 1 *", "2 2 *"))
            time.sleep(0.05)
            scheduler.process.send_signal(signal.SIGHUP)
            wait_until(lambda: scheduler.said("'0 0 2 2 *'"), alive=scheduler, timeout=20)
        finally:
            assert scheduler.stop() == 0


def test_a_second_scheduler_on_one_sqlite_state_is_refused(tmp_path: Path) -> None:
    with world() as w:
        jobs, _ = _setup(tmp_path, "0 0 1 1 *")
        first = start_scheduler(jobs, tmp_path, w.env)
        try:
            wait_until(lambda: first.said("scheduled job(s)"), alive=first)
            second = start_scheduler(jobs, tmp_path, w.env, name="second")
            assert second.process.wait(timeout=60) == 5
            text = second.err.read_text()
            assert "one scheduler runs at a time" in text
            assert "Traceback" not in text
            assert len(text.strip().splitlines()) == 1
        finally:
            assert first.stop() == 0


def test_a_scheduler_killed_mid_run_recovers_its_tick_and_duplicates_nothing(
    tmp_path: Path,
) -> None:
    with world(images=24) as w:
        slow = FaultConfig(latency_ms=150, jitter_ms=20)
        w.spiffy.faults.configure(slow)
        jobs, url = _setup(tmp_path, "0 0 1 1 *")  # no tick of its own: only the recovered one
        record(url, TickRow("job", datetime(2020, 1, 1, tzinfo=UTC), "ran", "old", None, "x"))
        year = datetime.now(UTC).year
        # A tick enqueued by hand as a scheduler starting up does (the catch-up), run at once.
        jobs_file = jobs / "job.toml"
        jobs_file.write_text(
            jobs_file.read_text().replace('"0 0 1 1 *"', '"0 0 1 1 *"\ncatchup = "1000d"')
        )
        scheduler = start_scheduler(jobs, tmp_path, w.env)
        wait_until(lambda: 3 <= len(live_shas(w.spiffy)) < 24, alive=scheduler)
        scheduler.stop(signal.SIGKILL)
        assert len(live_shas(w.spiffy)) < 24

        w.spiffy.faults.configure(FaultConfig())
        again = start_scheduler(jobs, tmp_path, w.env, name="again")
        try:
            wait_until(lambda: converged(w), alive=again)
            wait_until(lambda: any(t.outcome == "ran" and t.scheduled_at.year == year
                                   for t in ledger(url)[0]), alive=again)  # fmt: skip
        finally:
            assert again.stop() == 0
        assert len(live_shas(w.spiffy)) == 24  # each image once: the journal adopted the rest
    ticks, runs = ledger(url)
    assert [r.status for r in runs] == ["interrupted", "succeeded"]
    assert next(t for t in ticks if t.scheduled_at.year == year).run_id == runs[-1].id


def test_a_stop_while_dbos_launches_still_drains(tmp_path: Path) -> None:
    with world() as w:
        jobs, _ = _setup(tmp_path, "0 0 1 1 *")
        scheduler = start_scheduler(jobs, tmp_path, w.env)
        wait_until(lambda: scheduler.said("job job loaded"), alive=scheduler)  # before launch
        assert scheduler.stop() == 0, scheduler.err.read_text()
    assert scheduler.said("SIGTERM: stopping")
