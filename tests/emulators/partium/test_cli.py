"""The real command line: ``syncer emulate partium --seed 300`` served, paged, stopped."""

from __future__ import annotations

from typing import Any

import requests

from syncer.emulators.process import emulator_process
from tests.emulators.partium.conftest import AUTH


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
    with emulator_process("partium", "--seed", "300") as running:
        results = page_through(running.url, limit=100)
        ids = [d["image_id"] for d in results]
        assert len(ids) == len(set(ids)) == 300
        # the default owners: ten part types
        assert {d["part_id"] for d in results} == {f"part-{n:04d}" for n in range(1, 11)}
        small_pages = page_through(running.url, limit=7)
        assert [d["image_id"] for d in small_pages] == ids
    assert f"emulator on {running.url}  (300 images, 10 owners)" in running.output
    assert "Authorization: Bearer demo" in running.output
