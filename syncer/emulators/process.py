"""``syncer emulate`` as a separate process, for tests and benchmarks that need a real one
(command-line behaviour, restarts with ``--data``, killing it)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class EmulatorProcess:
    """A running ``syncer emulate``; ``output`` (stdout and stderr) is filled in once it stops."""

    url: str
    process: subprocess.Popen[bytes]
    output: str = field(default="")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_emulator", timeout=1):
            return True
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextmanager
def emulator_process(
    vendor: str, *args: str, port: int | None = None, startup_timeout: float = 60.0
) -> Iterator[EmulatorProcess]:
    """Run ``syncer emulate VENDOR ARGS --port PORT`` until the block ends.

    Yields once the admin API answers; on leaving, terminates the process and collects its output.
    """
    port = free_port() if port is None else port
    command = [sys.executable, "-m", "syncer", "emulate", vendor, *args, "--port", str(port)]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        running = EmulatorProcess(f"http://{LOOPBACK}:{port}", process)
        try:
            if not _came_up(running, time.monotonic() + startup_timeout):
                log.seek(0)
                raise RuntimeError(
                    f"syncer emulate {vendor} did not come up on {running.url}:\n"
                    + log.read().decode(errors="replace")
                )
            yield running
        finally:
            stop(process)
            log.seek(0)
            running.output = log.read().decode(errors="replace")


def stop(process: subprocess.Popen[Any]) -> None:
    """Terminate ``process`` and wait for it; kill it if it does not end within 15 s."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _came_up(running: EmulatorProcess, deadline: float) -> bool:
    while not _answers(running.url):
        if running.process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
