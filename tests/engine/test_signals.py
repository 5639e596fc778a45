"""SIGTERM and SIGINT stop ``syncer migrate`` cleanly: no new work, requests in flight get the
grace, what finished is committed, the lease released, a summary printed, exit ``128 + signal``; a
second signal exits at once. Each rerun ends with every source image on the target exactly once."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

from syncer.emulators.faults import FaultConfig
from syncer.emulators.partium.emulator import PartiumEmulator
from syncer.emulators.spiffy.emulator import SpiffyEmulator
from syncer.engine.stopping import Stop, stop_on_signals
from syncer.errors import StateError
from syncer.state import OpRow, RunRow, StateStore
from tests.engine.rigs import count, start, wait_for
from tests.engine.test_kill import JOB, MOMENTS, live_shas
from tests.engine.test_kill import emulators as emulators  # the fixture

Emulators = tuple[PartiumEmulator, SpiffyEmulator, dict[str, str]]
#: Seconds past the grace that a stopped run may take to commit, print and exit.
MARGIN = 3.0
SLOW = FaultConfig(latency_ms=60, jitter_ms=20)


@dataclass
class Stopped:
    code: int
    #: From the (last) signal to the exit.
    seconds: float
    stdout: str
    stderr: str


def run_and_signal(
    tmp_path: Path,
    env: dict[str, str],
    ready: Callable[[], bool],
    *options: str,
    signals: tuple[signal.Signals, ...] = (signal.SIGTERM,),
    command: str = "migrate",
) -> Stopped:
    """Start syncer, send ``signals`` once ``ready()`` (each after the run said it stops)."""
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = start(
            tmp_path / "job.toml",
            tmp_path,
            env,
            *options,
            command=command,
            stdout=stdout,
            stderr=stderr,
        )
        wait_for(process, ready)
        for n, signum in enumerate(signals):
            if n:
                wait_for(process, lambda: "stopping" in err.read_text())
            os.kill(process.pid, signum)
            sent = time.monotonic()
        try:
            code = process.wait(timeout=60)
        finally:
            process.kill()
    return Stopped(code, time.monotonic() - sent, out.read_text(), err.read_text())


def journal(tmp_path: Path) -> tuple[list[OpRow], RunRow]:
    """The job's open ops and its last run, from the state store the subprocess used."""

    async def read() -> tuple[list[OpRow], RunRow]:
        url = f"sqlite+aiosqlite:///{tmp_path / '.syncer' / 'state.db'}"
        async with await StateStore.open(url) as store:
            return await store.open_ops("job"), (await store.runs("job", limit=1))[0]

    return anyio.run(read)


def left_sent(tmp_path: Path, name: str = "SIGTERM") -> list[OpRow]:
    """The ops a stopped run left ``sent``, once its record shows it finished itself: it was
    recorded ``interrupted`` by ``name`` with its counts, which frees its lease."""
    open_ops, run = journal(tmp_path)
    assert (run.status, run.counts["interrupted_by"]) == ("interrupted", name)
    assert run.finished_at is not None
    return [op for op in open_ops if op.state == "sent"]


def assert_stopped_cleanly(stopped: Stopped, code: int, grace: float = 5.0) -> None:
    assert stopped.code == code, stopped.stderr
    assert "migrate job: interrupted" in stopped.stdout  # the summary
    assert "Traceback" not in stopped.stderr
    assert "Aborted!" not in stopped.stderr + stopped.stdout
    assert stopped.seconds < grace + MARGIN


def assert_a_rerun_completes(tmp_path: Path, emulators: Emulators) -> None:
    partium, spiffy, env = emulators
    partium.faults.configure(FaultConfig())
    spiffy.faults.configure(FaultConfig())
    rerun = start(tmp_path / "job.toml", tmp_path, env)  # not refused: the lease was released
    assert rerun.wait(timeout=120) == 0
    assert live_shas(spiffy) == live_shas(partium)
    assert len(live_shas(spiffy)) == len(set(live_shas(spiffy)))  # nothing twice


@pytest.fixture
def slow(tmp_path: Path, emulators: Emulators) -> Emulators:
    partium, spiffy, _ = emulators
    (tmp_path / "job.toml").write_text(JOB)
    partium.faults.configure(SLOW)
    spiffy.faults.configure(SLOW)
    return emulators


@pytest.mark.parametrize("moment", sorted(MOMENTS))
def test_sigterm_stops_the_run_cleanly_and_a_rerun_resumes_without_duplicates(
    moment: str, tmp_path: Path, slow: Emulators
) -> None:
    partium, spiffy, env = slow
    stopped = run_and_signal(tmp_path, env, lambda: MOMENTS[moment](partium, spiffy))
    assert_stopped_cleanly(stopped, 143)
    assert len(live_shas(spiffy)) < 24  # it was stopped part way
    assert left_sent(tmp_path) == []  # the requests in flight finished within the grace
    assert_a_rerun_completes(tmp_path, slow)


def journalled_sent(tmp_path: Path, action: str) -> Callable[[], bool]:
    """Ready once the run has journalled an ``action`` op as sent (its request is in flight)."""
    query = "SELECT count(*) FROM ops WHERE action = ? AND state = 'sent'"

    def ready() -> bool:
        try:
            with closing(sqlite3.connect(tmp_path / ".syncer" / "state.db")) as db:
                return bool(db.execute(query, (action,)).fetchone()[0])
        except sqlite3.OperationalError:  # not created yet, or locked by a write
            return False

    return ready


def test_sigterm_during_deletes_lets_those_in_flight_finish(
    tmp_path: Path, emulators: Emulators
) -> None:
    partium, spiffy, env = emulators
    (tmp_path / "job.toml").write_text(JOB)
    assert start(tmp_path / "job.toml", tmp_path, env).wait(timeout=120) == 0
    for image in list(partium.store.iter_images())[:2]:  # within the 10% guard of 24
        partium.admin_delete(image)
    spiffy.faults.configure(FaultConfig(latency_ms=1500))
    stopped = run_and_signal(tmp_path, env, journalled_sent(tmp_path, "delete"))
    assert_stopped_cleanly(stopped, 143)
    assert left_sent(tmp_path) == []
    assert live_shas(spiffy) == live_shas(partium)  # the deletes in flight were let finish
    assert_a_rerun_completes(tmp_path, emulators)


def test_sigint_stops_the_run_cleanly_with_130(tmp_path: Path, slow: Emulators) -> None:
    partium, spiffy, env = slow
    ready = MOMENTS["between-sent-and-done"]
    stopped = run_and_signal(
        tmp_path, env, lambda: ready(partium, spiffy), signals=(signal.SIGINT,)
    )
    assert_stopped_cleanly(stopped, 130)
    left_sent(tmp_path, "SIGINT")
    assert_a_rerun_completes(tmp_path, slow)


def slow_creates_begun(spiffy: SpiffyEmulator, seconds: float) -> Callable[[], bool]:
    """Ready once creates have gone through, then a while after the target turned slow: the
    requests in flight then take ``seconds``."""
    turned: list[float] = []

    def ready() -> bool:
        if not turned and count(spiffy, "POST", "/images.json") >= 3:
            spiffy.faults.configure(FaultConfig(latency_ms=seconds * 1000))
            turned.append(time.monotonic())
        return bool(turned) and time.monotonic() > turned[0] + 0.5

    return ready


def test_requests_that_outlast_the_grace_are_cut_off_and_found_by_the_next_run(
    tmp_path: Path, slow: Emulators
) -> None:
    _, spiffy, env = slow
    ready = slow_creates_begun(spiffy, seconds=6)
    stopped = run_and_signal(tmp_path, env, ready, "--stop-grace", "1")
    assert_stopped_cleanly(stopped, 143, grace=1)
    assert left_sent(tmp_path) != []  # cut off: the next run looks them up
    time.sleep(6)  # the target applies what it received, answered or not
    assert_a_rerun_completes(tmp_path, slow)


def test_a_second_signal_exits_at_once(tmp_path: Path, slow: Emulators) -> None:
    _, spiffy, env = slow
    ready = slow_creates_begun(spiffy, seconds=6)
    stopped = run_and_signal(
        tmp_path, env, ready, "--stop-grace", "30", signals=(signal.SIGTERM, signal.SIGTERM)
    )
    assert stopped.code == 143
    assert stopped.seconds < MARGIN
    assert "SIGTERM again: stopping at once" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    time.sleep(6)
    assert_a_rerun_completes(tmp_path, slow)  # its lease is taken over: its process is gone


def test_sigterm_stops_a_plan_cleanly(tmp_path: Path, slow: Emulators) -> None:
    partium, spiffy, env = slow
    ready = MOMENTS["during-listing"]
    stopped = run_and_signal(tmp_path, env, lambda: ready(partium, spiffy), command="plan")
    assert stopped.code == 143, stopped.stderr
    assert "plan job: interrupted" in stopped.stdout
    assert "Traceback" not in stopped.stderr
    assert stopped.seconds < MARGIN


async def test_a_stop_cancels_new_work_at_once_and_work_in_flight_after_the_grace() -> None:
    stop = Stop(grace=0.3)
    ended: dict[str, float] = {}

    async def in_flight() -> None:
        with stop.after_grace():
            await anyio.sleep(10)
        ended["in flight"] = anyio.current_time()

    async def new_work() -> None:
        with stop.at_once():
            await anyio.sleep(10)
        ended["new work"] = anyio.current_time()

    async with anyio.create_task_group() as group:
        group.start_soon(in_flight)
        group.start_soon(new_work)
        await anyio.sleep(0.05)
        began = anyio.current_time()
        stop.request(signal.SIGTERM)
    assert ended["new work"] - began < 0.1
    assert 0.3 <= ended["in flight"] - began < 0.5
    with stop.at_once():  # work that would begin after the stop does not
        await anyio.sleep(10)
    assert (stop.exit_code, stop.name) == (143, "SIGTERM")


async def test_an_error_inside_the_signal_handling_comes_out_as_itself() -> None:
    with pytest.raises(StateError):  # run_command maps it to exit 5, not to a crash
        async with stop_on_signals():
            raise StateError("the job is already running")
