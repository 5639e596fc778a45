"""Credentials on every route, Partium's maintenance mode (writes only), 429 and 5xx shapes,
and the catalog lifecycle reported by /1/catalog/status."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from syncer.emulators.partium.errors import MAINTENANCE_MESSAGE
from tests.emulators.partium.conftest import Api, file_part, images_part, jpeg

SEEDED_ID = "detail-00001"  # the first seeded image of seed value 90, checked below
ROUTES = [
    ("POST", "/1/catalog/images"),
    ("DELETE", "/1/catalog/images"),
    ("POST", "/1/catalog/images/list"),
    ("POST", "/1/catalog/images/select"),
    ("GET", f"/1/catalog/images/{SEEDED_ID}"),
    ("POST", f"/1/catalog/images/{SEEDED_ID}"),
    ("GET", f"/1/catalog/image/{SEEDED_ID}"),
    ("GET", f"/1/catalog/images/{SEEDED_ID}/original"),
    ("POST", f"/1/catalog/image/{SEEDED_ID}/original"),
    ("GET", "/1/catalog"),
    ("GET", "/1/catalog/status"),
]


async def plain(
    api: Api, method: str, path: str, headers: dict[str, str] | None = None, json_body: Any = None
) -> tuple[int, Any, Mapping[str, str]]:
    """A call with exactly ``headers`` (none of the session's own)."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, api.base + path, headers=headers, json=json_body) as response,
    ):
        return response.status, await response.json(content_type=None), response.headers


async def test_the_first_seeded_id_is_the_one_the_routes_use(api: Api) -> None:
    assert next(api.emulator.store.iter_images()).id == SEEDED_ID


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "Not authenticated"),
        ("Bearer wrong", "Invalid authentication credentials"),
        ("Basic ZGVtbzo=", "Invalid authentication credentials"),
        ("demo", "Invalid authentication credentials"),
    ],
)
async def test_every_route_needs_the_api_key(
    api: Api, method: str, path: str, header: str | None, message: str
) -> None:
    headers = {"Authorization": header} if header else None
    status, body, response_headers = await plain(api, method, path, headers)
    assert (status, body) == (401, {"detail": message})
    assert response_headers["WWW-Authenticate"] == "Bearer"


async def test_the_scheme_is_case_insensitive(api: Api) -> None:
    status, body, _ = await plain(
        api, "GET", f"/1/catalog/images/{SEEDED_ID}", {"Authorization": "bearer demo"}
    )
    assert (status, body["image_id"]) == (200, SEEDED_ID)


async def test_the_admin_api_needs_no_credentials(api: Api) -> None:
    status, body, _ = await plain(api, "GET", "/_emulator")
    assert (status, body["vendor"]) == (200, "partium")


async def set_faults(api: Api, **changes: Any) -> None:
    async with api.session.patch(api.base + "/_emulator/faults", json=changes) as response:
        assert response.status == 200, await response.text()


async def assert_writes_refused_reads_served(api: Api) -> None:
    maintenance = (503, {"detail": MAINTENANCE_MESSAGE})
    entry = {"image_id": "m", "part_id": "part-0001", "info": "display"}
    assert await api.upsert([images_part([entry]), file_part(jpeg(), "m.jpg")]) == maintenance
    assert await api.call("DELETE", "/1/catalog/images", [SEEDED_ID]) == maintenance
    assert api.emulator.store.image(SEEDED_ID) is not None
    assert api.emulator.store.image("m") is None
    for method, path in ROUTES[2:]:
        body = {"image_ids": [SEEDED_ID]} if path.endswith("select") else None
        async with api.session.request(method, api.base + path, json=body) as response:
            assert response.status == 200, (method, path)


async def test_maintenance_refuses_writes_only(api: Api) -> None:
    await set_faults(api, maintenance=True)
    await assert_writes_refused_reads_served(api)
    assert api.emulator.injected["maintenance"] == 2
    await set_faults(api, maintenance=False)
    assert (await api.call("DELETE", "/1/catalog/images", [SEEDED_ID]))[0] == 200


async def test_periodic_maintenance_window_refuses_writes_only(api: Api) -> None:
    await set_faults(api, maintenance_every=3600, maintenance_for=3599)
    await assert_writes_refused_reads_served(api)


async def test_maintenance_has_no_retry_after_and_comes_before_auth(api: Api) -> None:
    await set_faults(api, maintenance=True)
    status, body, headers = await plain(api, "DELETE", "/1/catalog/images", json_body=["x"])
    assert (status, body) == (503, {"detail": MAINTENANCE_MESSAGE})
    assert "Retry-After" not in headers


async def test_rate_limit_answers_429_detail_with_retry_after(api: Api) -> None:
    await set_faults(api, rate_limit=1)
    answers = [await api.call("GET", "/1/catalog") for _ in range(3)]
    assert answers[0][0] == 200
    assert (429, {"detail": "Too Many Requests"}) in answers
    async with api.session.get(api.base + "/1/catalog") as response:
        assert response.status == 429
        assert int(response.headers["Retry-After"]) >= 1


async def test_injected_server_errors_use_the_detail_shape(api: Api) -> None:
    await set_faults(api, error_rate=1.0, error_statuses=[502])
    assert await api.call("GET", "/1/catalog") == (502, {"detail": "injected server error"})


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


async def test_status_follows_the_catalog_lifecycle(api: Api) -> None:
    clock = FakeClock()
    api.emulator.lifecycle.clock = clock
    _, clean = await api.call("GET", "/1/catalog/status")
    seeded_import = {
        "state": "success",
        "created_at": "2026-01-01T00:26:00.000Z",
        "started_at": "2026-01-01T00:26:00.000Z",
        "finished_at": "2026-01-01T00:26:00.000Z",
    }
    assert clean == {
        "status": "clean",
        "details": None,
        "last_import": seeded_import,
        "pending_import": False,
    }

    entries = [{"image_id": x, "part_id": "part-0001", "info": "display"} for x in ("s1", "s2")]
    await api.upsert([images_part(entries), file_part(jpeg(1), None), file_part(jpeg(2), None)])
    _, processing = await api.call("GET", "/1/catalog/status")
    since = "2026-03-01T00:00:00.000Z"
    assert processing == {
        "status": "processing",
        "details": {"changed_images": 2, "since": since},
        "last_import": seeded_import,
        "pending_import": True,
    }

    clock.advance(1)
    await api.call("DELETE", "/1/catalog/images", ["s1"])
    clock.advance(1.5)  # 2.5 s after the first write, 1.5 s after the last: still processing
    assert (await api.call("GET", "/1/catalog/status"))[1]["status"] == "processing"
    clock.advance(1)
    _, ready = await api.call("GET", "/1/catalog/status")
    assert (ready["status"], ready["details"]["changed_images"], ready["pending_import"]) == (
        "data_to_import",
        3,
        True,
    )

    api.emulator.knobs.import_seconds = 10  # imports now start as soon as processing ends
    _, importing = await api.call("GET", "/1/catalog/status")
    assert (importing["status"], importing["pending_import"]) == ("importing", False)
    assert importing["details"]["started_at"] == "2026-03-01T00:00:03.000Z"
    clock.advance(10)
    _, done = await api.call("GET", "/1/catalog/status")
    assert done == {
        "status": "clean",
        "details": None,
        "pending_import": False,
        "last_import": {
            "state": "success",
            "created_at": "2026-03-01T00:00:03.000Z",
            "started_at": "2026-03-01T00:00:03.000Z",
            "finished_at": "2026-03-01T00:00:13.000Z",
        },
    }


async def test_refused_items_and_unknown_deletes_leave_the_status_clean(api: Api) -> None:
    await api.upsert([images_part([{"image_id": "x", "part_id": "nope"}]), file_part(jpeg(), None)])
    await api.call("DELETE", "/1/catalog/images", ["ghost"])
    assert (await api.call("GET", "/1/catalog/status"))[1]["status"] == "clean"
