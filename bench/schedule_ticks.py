"""N ``syncer schedule`` processes on one PostgreSQL, a job on an every-second cron, for a while.

A Partium -> Spiffy job (``--images`` images, Spiffy answering with ``--latency-ms``) runs on
``* * * * * *``: every second one tick, which runs a sync unless the previous one still holds
the job's lease. After ``--seconds`` the schedulers get SIGTERM. Printed, from the tick ledger and
the runs table: ticks recorded and how each ended (ran, overlap, ...), ticks missing from the
sequence (must be 0), ticks recorded twice (0: the primary key), runs that overlapped in time
(must be 0), which scheduler ran how many, the delay from a tick's time to its run's start (p50,
p95, max: DBOS's claim and queue plus our own decision step), and how long each scheduler took to
exit after SIGTERM.

    .venv/bin/python bench/schedule_ticks.py [--schedulers 1,2,3] [--seconds 20] [--images 12]
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import psycopg

from syncer.emulators.faults import FaultConfig
from syncer.emulators.partium.emulator import PartiumEmulator
from syncer.emulators.server import serve_in_thread
from syncer.emulators.spiffy.emulator import SpiffyEmulator

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
JOB = """state = "{state}"
[source]
vendor = "partium"
base_url = "${{PARTIUM_URL}}"
api_key = "demo"

[[targets]]
name = "shop"
vendor = "spiffy"
base_url = "${{SPIFFY_URL}}"
api_key = "demo"
password = "demo"

[targets.mapping]
default_owner = "products/100001"

[schedule]
cron = "* * * * * *"
"""


def one(count: int, seconds: float, images: int, latency: int) -> None:
    name = f"bench_schedule_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        _measure(name, count, seconds, images, latency)
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _measure(name: str, count: int, seconds: float, images: int, latency: int) -> None:
    state = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    partium, spiffy = PartiumEmulator(), SpiffyEmulator()
    partium.seed(images, 2, seed_value=5)
    spiffy.seed(0, 1)
    spiffy.faults.configure(FaultConfig(latency_ms=latency))
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve_in_thread(partium) as p_url,
        serve_in_thread(spiffy) as s_url,
    ):
        work = Path(tmp)
        (work / "jobs").mkdir()
        (work / "jobs" / "job.toml").write_text(JOB.format(state=state))
        env = {**os.environ, "PARTIUM_URL": p_url, "SPIFFY_URL": s_url}
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "syncer", "schedule", "jobs", "--state", state,
                 "--executor-id", f"s{n}", "--metrics", "off", "--log-format", "json"],
                cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            for n in range(count)
        ]  # fmt: skip
        time.sleep(seconds)
        exits = _stop(procs)
    _report(state.replace("+asyncpg", ""), count, exits)


def _stop(procs: list[subprocess.Popen[bytes]]) -> list[float]:
    sent = time.monotonic()
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    exits = []
    for proc in procs:
        proc.wait(timeout=120)
        exits.append(time.monotonic() - sent)
    return exits


def _report(url: str, count: int, exits: list[float]) -> None:
    with psycopg.connect(url) as conn:
        ticks = conn.execute(
            "SELECT scheduled_at, outcome, run_id, executor FROM ticks ORDER BY scheduled_at"
        ).fetchall()
        runs = {r[0]: r for r in conn.execute("SELECT id, started_at, finished_at FROM runs")}
    times: list[datetime] = [t[0] for t in ticks]
    gaps = sum(int((b - a).total_seconds()) - 1 for a, b in itertools.pairwise(times))
    outcome: dict[str, int] = {}
    by_executor: dict[str, int] = {}
    delays = []
    for at, what, run_id, executor in ticks:
        outcome[what] = outcome.get(what, 0) + 1
        if what == "ran" and run_id in runs:
            by_executor[executor] = by_executor.get(executor, 0) + 1
            delays.append((runs[run_id][1] - at).total_seconds())
    spans = sorted((r[1], r[2]) for r in runs.values() if r[2] is not None)
    overlaps = sum(1 for a, b in itertools.pairwise(spans) if a[1] > b[0])
    delays.sort()
    p = (lambda q: delays[min(len(delays) - 1, int(q * len(delays)))]) if delays else None
    print(
        f"{count} scheduler(s): {len(ticks)} ticks {outcome}, {gaps} missing from the sequence, "
        f"{len(times) - len(set(times))} twice; {len(runs)} runs, {overlaps} overlapping; "
        f"ran by {dict(sorted(by_executor.items()))}"
    )
    if p is not None:
        print(
            f"  tick -> run start: p50 {p(0.5) * 1000:.0f} ms, p95 {p(0.95) * 1000:.0f} ms, "
            f"max {delays[-1] * 1000:.0f} ms (mean {statistics.mean(delays) * 1000:.0f} ms)"
        )
    print(f"  exit after SIGTERM: {', '.join(f'{s:.1f} s' for s in exits)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schedulers", default="1,2,3")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--latency-ms", type=int, default=40)
    args = parser.parse_args()
    for count in (int(n) for n in args.schedulers.split(",")):
        one(count, args.seconds, args.images, args.latency_ms)


if __name__ == "__main__":
    main()
