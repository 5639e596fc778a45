"""The services of docker-compose.yml as plain processes: PostgreSQL (a fresh database), the four
emulators and one scheduler, started from the compose file's own commands and environment (ports,
data directories and crons changed for a test), run for several cycles while the sources change.

The jobs of jobs/ that run fast here are beproduct-to-partium and partium-to-spiffy (a chain:
BeProduct -> Partium -> Spiffy). The other two keep a cron that never comes during the test: with
them the four jobs copy images around a circle (Spiffy -> Moov -> BeProduct, Spiffy -> Partium),
each copy comes back as a new source image and the catalogs grow every cycle, never converging.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from syncer.emulators.process import free_port
from tests.deploy.compose import JOBS, load, parse
from tests.engine.rigs import admin_images
from tests.state.conftest import create_pg_database, drop_pg_database, skip_without_pg

FAST = "*/2 * * * * *"  # every 2 s (6 fields: seconds first)
NEVER = "0 0 1 1 *"  # New Year's midnight: not during a test
CRONS = {
    "BEPRODUCT_TO_PARTIUM_CRON": FAST,
    "PARTIUM_TO_SPIFFY_CRON": FAST,
    "MOOV_TO_BEPRODUCT_CRON": NEVER,
    "SPIFFY_TO_MOOV_AND_PARTIUM_CRON": NEVER,
}
#: Per emulator, the options that differ from docker-compose.yml: small catalogs, so that a cycle
#: is quick; Partium gets the ten part types beproduct-to-partium maps to (part-0010 included).
SEEDS = {
    "beproduct": ["--seed", "3"],
    "moov": ["--seed", "0"],
    "partium": ["--seed", "12", "--owners", "10"],
    "spiffy": ["--seed", "3"],
}
DRAIN, GRACE = 15.0, 2.0
CONVERGE = 30.0  # seconds a cycle may take to show in the targets


def replaced(args: list[str], values: dict[str, str]) -> list[str]:
    """``args`` with the value after each option of ``values`` replaced (appended if absent)."""
    out = list(args)
    for option, value in values.items():
        if option in out:
            out[out.index(option) + 1] = value
        else:
            out += [option, value]
    return out


def http(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


class Stack:
    """The processes of the stack, their URLs, and where their output goes."""

    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.urls: dict[str, str] = {}

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        with (self.dir / f"{name}.log").open("wb") as sink:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "syncer", *args],
                cwd=self.dir,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
                stdout=sink,
                stderr=subprocess.STDOUT,
            )

    def emulator(self, vendor: str, command: list[str]) -> None:
        port = free_port()
        values = {"--host": "127.0.0.1", "--port": str(port), "--data": str(self.dir / vendor)}
        self.start(vendor, replaced(command, values) + SEEDS[vendor])
        self.urls[vendor] = f"http://127.0.0.1:{port}"

    def poll(self, ready: Callable[[], bool], what: str) -> None:
        """Returns once ``ready()``, polled while every process runs, within :data:`CONVERGE`."""
        deadline = time.monotonic() + CONVERGE
        while not ready():
            for name, process in self.processes.items():
                assert process.poll() is None, f"{name} exited ({process.returncode})"
            assert time.monotonic() < deadline, f"{what}: not within {CONVERGE:.0f} s"
            time.sleep(0.25)

    def log(self, name: str) -> str:
        return (self.dir / f"{name}.log").read_text(errors="replace")

    def kill(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


@contextmanager
def stack(tmp_path: Path) -> Iterator[Stack]:
    running = Stack(tmp_path)
    try:
        yield running
    finally:
        running.kill()


def scheduler_env(spec: dict[str, Any], urls: dict[str, str], state: str) -> dict[str, str]:
    """The scheduler service's environment, its emulator URLs and state pointed at this stack."""
    env: dict[str, str] = {}
    for name, value in spec["environment"].items():
        vendor = name.removesuffix("_URL").lower()
        if name == "SYNCER_STATE_URL":
            env[name] = state
        elif vendor in urls:
            env[name] = urls[vendor]
        elif value is None:
            env[name] = CRONS[name]
        else:
            env[name] = str(value)
    return env


def shas(url: str) -> set[str]:
    return {image["sha256"] for image in admin_images(url)}


def png(seed: int) -> str:
    """A small PNG of its own bytes, in Base64."""
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), (seed % 256, 90, 200)).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.slow  # about 30 s on two cores
def test_the_compose_services_as_processes_converge_cycle_after_cycle(tmp_path: Path) -> None:
    skip_without_pg()
    database, state = create_pg_database()
    services = load()["services"]
    try:
        with stack(tmp_path) as running:
            run_the_stack(running, services, state)
    finally:
        drop_pg_database(database)


def run_the_stack(running: Stack, services: dict[str, Any], state: str) -> None:
    for vendor in ("beproduct", "moov", "partium", "spiffy"):
        running.emulator(vendor, services[vendor]["command"])
    for vendor, url in running.urls.items():
        running.poll(partial(answers, f"{url}/_emulator"), f"{vendor} serving")
    shutil.copytree(JOBS, running.dir / "jobs")
    spec = services["scheduler"]
    metrics = f"127.0.0.1:{free_port()}"
    options = {"--state": state, "--metrics": metrics, "--drain-timeout": str(DRAIN)}
    command = replaced(spec["command"], {**options, "--stop-grace": str(GRACE)})
    assert parse(command).params["directory"] == Path("jobs")
    running.start("scheduler", command, scheduler_env(spec, running.urls, state))
    cycles(running)
    health = healthcheck(spec["healthcheck"]["test"], metrics)
    scraped = scrape(f"http://{metrics}/metrics")
    stop(running)
    assert health == 0, f"the container's health check fails: exit {health}"
    check_metrics(scraped)


def cycles(running: Stack) -> None:
    """Three cycles: the seeded catalogs; then an image added to each source, one replaced and
    one deleted in Partium; then the image added to BeProduct deleted. After each, the targets
    hold what their sources hold: Partium's images in Spiffy (by bytes), the PNG added to
    BeProduct in Partium and Spiffy (unconverted), and nothing deleted."""
    beproduct, partium, spiffy = (running.urls[v] for v in ("beproduct", "partium", "spiffy"))

    def synced(present: set[str], gone: set[str]) -> Callable[[], bool]:
        def check() -> bool:
            held = shas(partium)
            return held <= shas(spiffy) and present <= held and not gone & (held | shas(spiffy))

        return check

    running.poll(synced(set(), set()), "cycle 1: the seeded Partium images in Spiffy")
    first, second = admin_images(partium)[:2]
    http("POST", f"{partium}/_emulator/images", {"data_base64": png(1)})
    http("PATCH", f"{partium}/_emulator/images/{first['id']}", {"regenerate": True})
    http("DELETE", f"{partium}/_emulator/images/{second['id']}")
    added = http("POST", f"{beproduct}/_emulator/images", {"data_base64": png(2)})
    gone = {first["sha256"], second["sha256"]}
    assert not gone & shas(partium), "the admin API changed nothing"
    running.poll(synced({added["sha256"]}, gone), "cycle 2: additions, a replacement, a deletion")
    http("DELETE", f"{beproduct}/_emulator/images/{added['id']}")
    running.poll(synced(set(), {added["sha256"]}), "cycle 3: a deletion down the chain")


def healthcheck(test: list[str], metrics: str) -> int:
    """The exit code of the compose health check (``CMD syncer healthcheck --url ...``) asking
    this scheduler."""
    assert test[:3] == ["CMD", "syncer", "healthcheck"], test
    args = replaced(test[2:], {"--url": f"http://{metrics}/readyz"})
    command = [sys.executable, "-m", "syncer", *args]
    return subprocess.run(command, capture_output=True, timeout=30, check=False).returncode


def scrape(url: str) -> str:
    """The scheduler's /metrics, in Prometheus text."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        return str(answer.read().decode())


def stop(running: Stack) -> None:
    """SIGTERM: the scheduler drains and exits 0 within drain timeout + stop grace + 15 s."""
    scheduler = running.processes["scheduler"]
    scheduler.send_signal(signal.SIGTERM)
    code = scheduler.wait(timeout=DRAIN + GRACE + 15)
    log = running.log("scheduler")
    assert code == 0, log
    assert "Traceback" not in log, log


def check_metrics(text: str) -> None:
    """Each fast job's runs and ticks are counted (the metric names of issue 12)."""
    for job in ("beproduct-to-partium", "partium-to-spiffy"):
        for family in ("syncer_runs_total", "syncer_ticks_total"):
            line = re.compile(rf'^{family}{{[^}}]*\bjob="{re.escape(job)}"', re.M)
            assert line.search(text), f"no {family} line for {job}:\n{text}"
