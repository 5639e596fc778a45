"""The real ``syncer emulate moov`` command, paged through with the official SDK."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from moovio_sdk import Moov
from moovio_sdk.models import components

from tests.vendors.moov.helpers import ACCOUNT

SYNCER = Path(sys.executable).with_name("syncer")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(base: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"syncer emulate exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/_emulator", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("syncer emulate did not come up in time")


@pytest.fixture
def cli_emulator(tmp_path: Path) -> Iterator[str]:
    """``syncer emulate moov --seed 500`` on a free loopback port; yields its base URL."""
    port = _free_port()
    log = (tmp_path / "emulate.log").open("wb")
    command = [str(SYNCER), "emulate", "moov", "--port", str(port), "--seed", "500"]
    with log, subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT) as process:
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base, process, time.monotonic() + 60)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert "11111111-1111-4111-8111-111111111111" in (tmp_path / "emulate.log").read_text()


def test_cli_serves_500_seeded_images_to_the_sdk(cli_emulator: str) -> None:
    security = components.Security(username="demo", password="demo")
    ids: list[str] = []
    pages = 0
    with Moov(server_url=cli_emulator, security=security) as moov:
        while True:
            page = moov.images.list(account_id=ACCOUNT, skip=len(ids), count=60).result
            pages += 1
            ids += [image.image_id for image in page]
            if len(page) < 60:
                break
    assert len(ids) == 500
    assert len(set(ids)) == 500
    assert pages == 9
