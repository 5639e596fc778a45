"""DELETE /1/catalog/images: a JSON array of ids, hard delete, unknown ids in ``errors``."""

from __future__ import annotations

import pytest

from tests.emulators.partium.conftest import Api

IMAGES = "/1/catalog/images"


async def test_deletes_known_ids_and_reports_unknown_ones(api: Api) -> None:
    first, second = [image.id for image in api.emulator.store.iter_images()][:2]
    status, body = await api.call("DELETE", IMAGES, [first, "ghost", second, first])
    assert (status, body) == (
        200,
        {"deleted": [first, second], "errors": {"ghost": "Image not found"}},
    )
    assert await api.call("GET", f"{IMAGES}/{first}") == (404, {"detail": "Image not found"})
    listed = [d["image_id"] for d in await api.list_all(100)]
    assert first not in listed
    assert second not in listed
    # a replay (after a crash, say) reports both as unknown: the delete was hard
    _, again = await api.call("DELETE", IMAGES, [first, second])
    assert again == {"deleted": [], "errors": {first: "Image not found", second: "Image not found"}}


async def test_an_empty_array_deletes_nothing(api: Api) -> None:
    assert await api.call("DELETE", IMAGES, []) == (200, {"deleted": [], "errors": {}})


@pytest.mark.parametrize(
    ("raw", "loc", "kind"),
    [
        (b'["a", ', ["body", 6], "json_invalid"),
        (b"", ["body"], "missing"),
        (b"null", ["body"], "missing"),
        (b'{"image_ids": ["a"]}', ["body"], "list_type"),
        (b'["a", 2]', ["body", 1], "string_type"),
    ],
)
async def test_bad_bodies_answer_422(api: Api, raw: bytes, loc: list[object], kind: str) -> None:
    before = len(api.emulator.store)
    status, body = await api.call("DELETE", IMAGES, raw=raw)
    assert status == 422
    assert [(d["loc"], d["type"]) for d in body["detail"]] == [(loc, kind)]
    assert len(api.emulator.store) == before


async def test_max_batch_limits_deletes_too(api: Api) -> None:
    api.emulator.knobs.max_batch = 2
    status, body = await api.call("DELETE", IMAGES, ["a", "b", "c"])
    assert (status, body) == (400, {"detail": "Too many images in one request: 3 (at most 2)"})


async def test_the_seed_js_delete_path_is_not_served(api: Api) -> None:
    image_id = next(api.emulator.store.iter_images()).id
    status, body = await api.call("DELETE", "/1/catalog/parts", [image_id])
    assert (status, body) == (404, {"detail": "Not Found"})
    assert api.emulator.store.image(image_id) is not None
