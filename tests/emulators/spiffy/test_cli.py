"""The real ``syncer emulate spiffy`` process, paged through end to end over HTTP."""

from __future__ import annotations

import hashlib
from typing import Any

import requests

from syncer.emulators.process import emulator_process
from syncer.emulators.spiffy.catalog import OWNER_KINDS

AUTH = ("demo", "demo")


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


def test_cli_serves_300_images_paged_through_every_owner() -> None:
    with emulator_process("spiffy", "--seed", "300") as running:
        check_every_owner_and_image(running.url)
    assert "Spiffy Stores emulator on" in running.output
    assert "300 images" in running.output


def check_every_owner_and_image(base: str) -> None:
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
