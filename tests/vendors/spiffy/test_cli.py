"""The real ``syncer emulate spiffy`` process, paged through end to end over HTTP."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from syncer.vendors.spiffy.catalog import OWNER_KINDS

SYNCER = Path(sys.executable).with_name("syncer")
AUTH = ("demo", "demo")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def cli_emulator() -> Iterator[tuple[str, str]]:
    """``syncer emulate spiffy --seed 300`` on a free port; yields (base URL, first stdout line)."""
    port = free_port()
    process = subprocess.Popen(
        [str(SYNCER), "emulate", "spiffy", "--port", str(port), "--seed", "300"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(process, base)
        assert process.stdout is not None
        yield base, process.stdout.readline()
    finally:
        process.terminate()
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def wait_until_up(process: subprocess.Popen[str], base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"emulator exited: {process.communicate()}")
        try:
            requests.get(f"{base}/_emulator", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("emulator did not answer within 60 s")


def paged(session: requests.Session, url: str, root: str, limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        reply = session.get(url, params={"limit": limit, "page": page}, timeout=10)
        assert reply.status_code == 200, reply.text
        assert "X-Ratelimit" in reply.headers
        items.extend(reply.json()[root])
        if len(reply.json()[root]) < limit:
            return items
        page += 1


def test_cli_serves_300_images_paged_through_every_owner(cli_emulator: tuple[str, str]) -> None:
    base, banner = cli_emulator
    assert "Spiffy Stores emulator on" in banner
    assert "300 images" in banner
    session = requests.Session()
    session.auth = AUTH
    images: dict[int, dict[str, Any]] = {}
    for kind in OWNER_KINDS:
        owners = paged(session, f"{base}/api/{kind}.json", kind, 4)
        count = session.get(f"{base}/api/{kind}/count.json", timeout=10).json()["count"]
        assert len(owners) == count > 0
        for owner in owners:
            listed = paged(session, f"{base}/api/{kind}/{owner['id']}/images.json", "images", 7)
            assert [image["position"] for image in listed] == list(range(1, len(listed) + 1))
            images.update((image["id"], image) for image in listed)
    assert len(images) == 300

    catalog = requests.get(f"{base}/_emulator/catalog", timeout=10).json()
    sha256 = {int(image["id"]): image["sha256"] for image in catalog["images"]}
    for image_id, image in images.items():
        data = requests.get(image["src"], timeout=10).content
        assert hashlib.sha256(data).hexdigest() == sha256[image_id]
