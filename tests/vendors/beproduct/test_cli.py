"""The real ``syncer emulate beproduct`` command, paged through by the official SDK."""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from syncer.testing.emulator import is_large
from syncer.testing.images import decodes
from tests.vendors.beproduct.helpers import sdk_client

SEED = 500


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(base: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the emulator exited with {process.returncode}")
        try:
            if requests.get(f"{base}/_emulator", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("the emulator did not come up")


@pytest.fixture
def cli_emulator(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    syncer = Path(sys.executable).parent / "syncer"
    log = tmp_path / "stdout.txt"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(syncer), "emulate", "beproduct", "--port", str(port), "--seed", str(SEED)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base, process)
            yield base, log
        finally:
            process.terminate()
            process.wait(timeout=15)


def test_cli_catalog_pages_through_the_sdk_iterator(cli_emulator: tuple[str, Path]) -> None:
    base, log = cli_emulator
    client = sdk_client(base)

    headers = list(client.image.attributes_list(page_size=120))

    ids = [h["id"] for h in headers]
    assert len(ids) == len(set(ids)) == SEED
    large = [h for index, h in enumerate(headers) if is_large(index, seed_value=0)]
    assert len(large) == SEED // 100
    for header in random.Random(0).sample(headers, 8) + large[:1]:
        origin = header["headerData"]["preview"]["origin"]
        assert origin.startswith(base + "/files/demo/")
        assert decodes(requests.get(origin, timeout=30).content)
    size = requests.head(large[0]["headerData"]["preview"]["origin"], timeout=10)
    assert int(size.headers["Content-Length"]) > 1_000_000  # a few seeded images are large
    printed = log.read_text()
    assert f"{base}/ids/connect/token" in printed
    assert "company domain: demo" in printed
