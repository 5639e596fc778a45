"""The Moov-specific side of the fault knobs: 429, maintenance and 5xx shapes."""

from __future__ import annotations

from typing import Any

import aiohttp
import httpx
import pytest
from moovio_sdk import Moov
from moovio_sdk.models import errors

from syncer.emulators.faults import FaultConfig
from syncer.emulators.moov.emulator import MoovEmulator
from tests.emulators.moov.helpers import ACCOUNT, AUTH, images_path


async def _set_faults(http: aiohttp.ClientSession, **changes: Any) -> None:
    async with http.patch("/_emulator/faults", json=changes) as response:
        assert response.status == 200


async def _public_id(http: aiohttp.ClientSession) -> str:
    async with http.get(images_path(), params={"count": "1"}, headers=AUTH) as response:
        public_id: str = (await response.json())[0]["publicID"]
        return public_id


async def test_rate_limit_answers_429_json_with_retry_after_everywhere(
    http: aiohttp.ClientSession,
) -> None:
    public_id = await _public_id(http)
    await _set_faults(http, rate_limit=0.5)
    async with http.get(images_path(), headers=AUTH) as allowed:
        assert allowed.status == 200
    async with http.get(images_path(), headers=AUTH) as limited:
        assert limited.status == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert limited.headers["X-Request-Id"]
        assert set(await limited.json()) == {"error"}
    async with http.get(f"/images/{public_id}") as public:
        assert public.status == 429
        assert public.content_type == "application/json"
        assert (await public.json())["error"]


async def test_maintenance_refuses_the_api_but_not_public_links(
    http: aiohttp.ClientSession,
) -> None:
    public_id = await _public_id(http)
    await _set_faults(http, maintenance=True)
    async with http.get(images_path(), headers=AUTH) as refused:
        assert refused.status == 503
        assert refused.headers["Retry-After"] == "5"
        assert set(await refused.json()) == {"error"}
    async with http.get(f"/images/{public_id}") as public:
        assert public.status == 200
        assert public.content_type.startswith("image/")


async def test_injected_errors_have_a_json_body_even_on_public_images(
    http: aiohttp.ClientSession,
) -> None:
    public_id = await _public_id(http)
    await _set_faults(http, error_rate=1.0)
    for path, headers in ((images_path(), AUTH), (f"/images/{public_id}", {})):
        async with http.get(path, headers=headers) as response:
            assert response.status in (500, 502, 503)
            assert (await response.json())["error"]


def test_sdk_sees_api_errors_not_stream_crashes(moov: Moov, emulator: MoovEmulator) -> None:
    public_id = moov.images.list(account_id=ACCOUNT, count=1).result[0].public_id
    emulator.faults.configure(FaultConfig(error_rate=1.0))
    with pytest.raises(errors.APIError) as public:
        moov.images.get_public(public_id=public_id)
    assert public.value.raw_response.status_code >= 500
    assert "injected" in public.value.body
    emulator.faults.configure(FaultConfig(rate_limit=0.5))
    moov.images.list(account_id=ACCOUNT)
    with pytest.raises(errors.APIError) as limited:
        moov.images.list(account_id=ACCOUNT)
    assert limited.value.raw_response.status_code == 429


def test_a_304_is_served_though_the_sdk_cannot_read_it(moov: Moov) -> None:
    """Documents the SDK trap: a 304 (no body, by HTTP) crashes ``get_public``."""
    public_id = moov.images.list(account_id=ACCOUNT, count=1).result[0].public_id
    first = moov.images.get_public(public_id=public_id)
    first.result.close()
    etag = first.headers["etag"][0]
    with pytest.raises(httpx.ResponseNotRead):
        moov.images.get_public(public_id=public_id, if_none_match=etag)
