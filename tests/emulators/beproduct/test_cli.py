"""The real ``syncer emulate beproduct`` command, paged through by the official SDK."""

from __future__ import annotations

import random

import requests

from syncer.emulators.base import is_large
from syncer.emulators.images import decodes
from syncer.emulators.process import emulator_process
from tests.emulators.beproduct.helpers import sdk_client

SEED = 500


def test_cli_catalog_pages_through_the_sdk_iterator() -> None:
    with emulator_process("beproduct", "--seed", str(SEED)) as running:
        base = running.url
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
    assert f"{base}/ids/connect/token" in running.output
    assert "company domain: demo" in running.output
