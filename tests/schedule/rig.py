"""What the scheduler tests stand on: Partium -> Spiffy emulators served from threads, a job
directory, ``syncer schedule`` as a process, and the tick ledger and runs read back."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
from PIL import Image

from syncer.emulators.partium.emulator import PartiumEmulator
from syncer.emulators.server import serve_in_thread
from syncer.emulators.spiffy.emulator import SpiffyEmulator
from syncer.state import RunRow, StateStore, TickRow
from tests.engine.test_kill import JOB

#: Seconds a scheduler may take past drain + grace to exit (the documented margin is 15).
EXIT_MARGIN = 15.0


def job_text(state_url: str, cron: str, *, extra: str = "") -> str:
    """The Partium -> Spiffy job of the kill tests, with its state and ``[schedule]``."""
    return f'state = "{state_url}"\n{JOB}\n[schedule]\ncron = "{cron}"\n{extra}'


@dataclass
class World:
    partium: PartiumEmulator
    spiffy: SpiffyEmulator
    env: dict[str, str]


@contextmanager
def world(images: int = 12) -> Iterator[World]:
    """Partium seeded with ``images`` images, an empty Spiffy shop, both served."""
    partium, spiffy = PartiumEmulator(), SpiffyEmulator()
    partium.seed(images, 2, seed_value=5)
    spiffy.seed(0, 1)
    with serve_in_thread(partium) as p_url, serve_in_thread(spiffy) as s_url:
        yield World(partium, spiffy, {"PARTIUM_URL": p_url, "SPIFFY_URL": s_url})


def png(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), (shade % 256, 80, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def live_shas(emulator: Any) -> list[str]:
    return sorted(i.sha256 for i in emulator.store.iter_images() if not i.deleted)


def converged(w: World) -> bool:
    """Spiffy holds each live Partium image once (by bytes), and nothing else."""
    return live_shas(w.spiffy) == live_shas(w.partium)


@dataclass
class Scheduler:
    """A ``syncer schedule`` process; its JSON log lines in ``out``, its stderr in ``err``."""

    process: subprocess.Popen[bytes]
    out: Path
    err: Path
    stopped_in: float = field(default=0.0)

    def lines(self) -> list[dict[str, Any]]:
        found = []
        for line in self.out.read_text(errors="replace").splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                found.append({"message": line, "level": "raw"})
        return found

    def said(self, fragment: str) -> bool:
        return any(fragment in str(line.get("message", "")) for line in self.lines())

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 90) -> int:
        """Signal the scheduler and wait for it; its exit code (``stopped_in``: seconds)."""
        sent = time.monotonic()
        if self.process.poll() is None:
            os.kill(self.process.pid, signum)
        try:
            code = self.process.wait(timeout=timeout)
        finally:
            self.process.kill()
            self.process.wait()
        self.stopped_in = time.monotonic() - sent
        return code


def start_scheduler(
    directory: Path, cwd: Path, env: dict[str, str], *options: str, name: str = "scheduler"
) -> Scheduler:
    argv = [
        sys.executable, "-m", "syncer", "schedule", str(directory), "--log-format", "json",
        "--metrics", "off", "--reload-interval", "0.5", *options,
    ]  # fmt: skip
    out, err = cwd / f"{name}.out", cwd / f"{name}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            argv, cwd=cwd, env={**os.environ, **env}, stdout=stdout, stderr=stderr
        )
    return Scheduler(process, out, err)


def wait_until(
    ready: Callable[[], bool], *, timeout: float = 60, alive: Scheduler | None = None
) -> None:
    """Poll ``ready()`` every 50 ms for ``timeout`` seconds, the scheduler still running."""
    deadline = time.monotonic() + timeout
    while not ready():
        if alive is not None and alive.process.poll() is not None:
            raise AssertionError(
                f"the scheduler exited ({alive.process.returncode}): "
                f"{alive.err.read_text()[-2000:]}{alive.out.read_text()[-2000:]}"
            )
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def ledger(state_url: str, job: str = "job") -> tuple[list[TickRow], list[RunRow]]:
    """The job's ticks (oldest first) and runs (oldest first)."""

    async def read() -> tuple[list[TickRow], list[RunRow]]:
        async with await StateStore.open(state_url) as store:
            ticks = await store.ticks(job, limit=100_000)
            runs = await store.runs(job, limit=100_000)
        return sorted(ticks, key=lambda t: t.scheduled_at), sorted(runs, key=lambda r: r.id)

    return anyio.run(read)


def outcomes(ticks: list[TickRow]) -> dict[str, int]:
    found: dict[str, int] = {}
    for tick in ticks:
        found[tick.outcome] = found.get(tick.outcome, 0) + 1
    return found


def record(state_url: str, tick: TickRow) -> None:
    async def write() -> None:
        async with await StateStore.open(state_url) as store:
            await store.record_tick(tick)

    anyio.run(write)


def seconds_between(first: datetime, last: datetime) -> int:
    return int((last - first).total_seconds())
