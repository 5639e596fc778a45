"""What the engine tests stand on: two emulators served on loopback, a job file naming them, and
the state store, spool and HTTP session a run needs; or emulators served from threads for
syncer run as a process, started, killed (``kill -9``) and waited for."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import aiohttp

from syncer.emulators.base import VendorEmulator
from syncer.emulators.server import serve, serve_in_thread
from syncer.http import open_session
from syncer.jobs import load_job
from syncer.spool import Spool
from syncer.state import StateStore
from syncer.testing.connections import DEMO_CONNECTION as CONNECTION


@dataclass
class Opened:
    job: Any
    store: StateStore
    spool: Spool
    session: aiohttp.ClientSession


@asynccontextmanager
async def opened(
    tmp_path: Path,
    job_text: str,
    emulators: dict[str, VendorEmulator],
    **store_options: Any,
) -> AsyncIterator[Opened]:
    """Each of ``emulators`` served, its URL in the environment variable it is keyed by, for
    ``job_text`` (written to ``tmp_path/job.toml`` and loaded); with a SQLite state store in
    ``tmp_path`` (``store_options`` go to ``StateStore.open``) and a spool."""
    names = list(emulators)
    async with (
        serve(emulators[names[0]]) as first,
        serve(emulators[names[1]]) as second,
        open_session() as session,
    ):
        path = tmp_path / "job.toml"
        path.write_text(job_text)
        job = load_job(path, {names[0]: first, names[1]: second})
        url = f"sqlite+aiosqlite:///{tmp_path}/state.db"
        async with (
            await StateStore.open(url, **store_options) as store,
            Spool(tmp_path / "spool") as spool,
        ):
            yield Opened(job, store, spool, session)


# -- syncer as a process, against emulators served from threads ----------------------------------

#: Per target vendor, job-file lines a test run needs beyond the demo credentials.
TARGET_EXTRA = {"beproduct": "poll_interval = 0.02\n"}


def target_owner(vendor: str, emulator: Any) -> str:
    """An owner on ``emulator`` that a job may push ``vendor`` images to (made if need be), by
    the vendor's harness (``syncer.testing.harness.<vendor>``)."""
    from syncer.testing.conformance import VendorHarness

    module = importlib.import_module(f"syncer.testing.harness.{vendor}")
    harness = next(
        value()
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, VendorHarness)
        and value.__module__ == module.__name__
    )
    owner: str = harness.target_owner(emulator)
    return owner


def fan_out_job(source: str, targets: Sequence[tuple[str, str]], *, delete: str = "") -> str:
    """A job from ``source`` (at ``${SOURCE_URL}``) to each ``(vendor, owner)`` of ``targets``,
    named ``t0``, ``t1``... (at ``${T0_URL}``, ``${T1_URL}``...); ``delete``, when given, is the
    body of each target's ``[targets.delete]`` table."""
    text = f'[source]\nvendor = "{source}"\nbase_url = "${{SOURCE_URL}}"\n{CONNECTION[source]}'
    for i, (vendor, owner) in enumerate(targets):
        text += (
            f'\n[[targets]]\nname = "t{i}"\nvendor = "{vendor}"\nbase_url = "${{T{i}_URL}}"\n'
            f"{CONNECTION[vendor]}{TARGET_EXTRA.get(vendor, '')}"
            f"{f'[targets.delete]{chr(10)}{delete}' if delete else ''}"
            f'\n[targets.mapping]\ndefault_owner = "{owner}"\n'
        )
    return text


def admin_images(url: str) -> list[dict[str, Any]]:
    """The live (not deleted) images of the emulator at ``url``, from its admin API."""
    with urllib.request.urlopen(f"{url}/_emulator/catalog", timeout=10) as answer:
        catalog: dict[str, Any] = json.load(answer)
    return [image for image in catalog["images"] if not image["deleted"]]


def admin_bytes(url: str, image_id: str) -> bytes:
    """The bytes the emulator at ``url`` stores for one image, from its admin API."""
    path = f"{url}/_emulator/images/{urllib.parse.quote(image_id, safe='')}/bytes"
    with urllib.request.urlopen(path, timeout=10) as answer:
        data: bytes = answer.read()
    return data


@contextmanager
def served(source: VendorEmulator, targets: Sequence[VendorEmulator]) -> Iterator[dict[str, str]]:
    """``source`` and ``targets`` served from threads; yields the environment of
    :func:`fan_out_job` (``SOURCE_URL``, ``T0_URL``...)."""
    with ExitStack() as stack:
        env = {"SOURCE_URL": stack.enter_context(serve_in_thread(source))}
        for i, target in enumerate(targets):
            env[f"T{i}_URL"] = stack.enter_context(serve_in_thread(target))
        yield env


#: Where each started process (by pid) writes its output.
_OUTPUT: dict[int, Path] = {}


def start(
    job: Path,
    cwd: Path,
    env: dict[str, str],
    *options: str,
    command: str = "migrate",
    stdout: IO[bytes] | None = None,
    stderr: IO[bytes] | None = None,
) -> subprocess.Popen[bytes]:
    """``syncer <command> <job> <options>`` as a process. Its output goes to ``stdout`` and
    ``stderr`` when given, else to one file in ``cwd`` (a pipe nobody reads could fill and stall
    it) that :func:`finish` reads."""
    argv = [sys.executable, "-m", "syncer", command, str(job), *options]
    environ = {**os.environ, **env}
    if stdout is not None or stderr is not None:
        return subprocess.Popen(argv, cwd=cwd, env=environ, stdout=stdout, stderr=stderr)
    output = cwd / f"syncer-{command}-{time.monotonic_ns()}.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            argv, cwd=cwd, env=environ, stdout=sink, stderr=subprocess.STDOUT
        )
    _OUTPUT[process.pid] = output
    return process


def finish(process: subprocess.Popen[bytes], timeout: float = 120) -> tuple[int, str]:
    """Wait for ``process``: its exit code and its output, which must hold no traceback."""
    code = process.wait(timeout=timeout)
    text = _OUTPUT.pop(process.pid).read_text(errors="replace")
    assert "Traceback" not in text, text
    return code, text


def kill(process: subprocess.Popen[bytes]) -> None:
    """``kill -9`` of ``process`` unless it already ended; reaped."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    _OUTPUT.pop(process.pid, None)


def wait_for(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> None:
    """Returns when ``ready()`` (polled every 10 ms), which must come while ``process`` runs,
    within a minute."""
    deadline = time.monotonic() + 60
    while not ready():
        assert process.poll() is None, "the run finished before the moment came"
        assert time.monotonic() < deadline, "the moment never came"
        time.sleep(0.01)


def kill_when(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> None:
    """``kill -9`` of ``process`` as soon as ``ready()`` holds."""
    wait_for(process, ready)
    kill(process)


def count(emulator: VendorEmulator, method: str, fragment: str) -> int:
    """Requests ``emulator`` answered (resets not counted) whose route contains ``fragment``."""
    return sum(
        n
        for (m, route, status), n in emulator.requests.items()
        if m == method and fragment in route and status
    )
