"""The real command line: ``syncer emulate partium --seed 300`` served, paged, stopped."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from tests.vendors.partium.conftest import AUTH

SYNCER = Path(sys.executable).with_name("syncer")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_up(base: str, process: subprocess.Popen[str], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            requests.get(base + "/_emulator", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"the emulator did not answer on {base} within {seconds} s")


def page_through(base: str, limit: int) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    cursors: set[str] = set()
    body: dict[str, Any] = {"paging": {"limit": limit}}
    while True:
        response = requests.post(
            base + "/1/catalog/images/list", json=body, headers=AUTH, timeout=10
        )
        assert response.status_code == 200, response.text
        page = response.json()
        results += page["result"]
        if not page["more_data"]:
            return results
        assert page["last_object_id"] not in cursors, "a cursor repeated"
        cursors.add(page["last_object_id"])
        body["paging"]["last_object_id"] = page["last_object_id"]


def test_cli_serves_300_seeded_images_through_the_keyset_cursor() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(SYNCER), "emulate", "partium", "--port", str(port), "--seed", "300"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_up(base, process)
        results = page_through(base, limit=100)
        ids = [d["image_id"] for d in results]
        assert len(ids) == len(set(ids)) == 300
        # the default owners: ten part types
        assert {d["part_id"] for d in results} == {f"part-{n:04d}" for n in range(1, 11)}
        small_pages = page_through(base, limit=7)
        assert [d["image_id"] for d in small_pages] == ids
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=15)
    assert f"emulator on {base}  (300 images, 10 owners)" in output
    assert "Authorization: Bearer demo" in output
