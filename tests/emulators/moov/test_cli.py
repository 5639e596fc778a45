"""The real ``syncer emulate moov`` command, paged through with the official SDK."""

from __future__ import annotations

from moovio_sdk import Moov
from moovio_sdk.models import components

from syncer.emulators.process import emulator_process
from tests.emulators.moov.helpers import ACCOUNT


def test_cli_serves_500_seeded_images_to_the_sdk() -> None:
    security = components.Security(username="demo", password="demo")
    ids: list[str] = []
    pages = 0
    with (
        emulator_process("moov", "--seed", "500") as running,
        Moov(server_url=running.url, security=security) as moov,
    ):
        while True:
            page = moov.images.list(account_id=ACCOUNT, skip=len(ids), count=60).result
            pages += 1
            ids += [image.image_id for image in page]
            if len(page) < 60:
                break
    assert len(ids) == 500
    assert len(set(ids)) == 500
    assert pages == 9
    assert ACCOUNT in running.output
