"""The read routes: keyset list, select, get one (all variants), original, catalog info."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.emulators.partium.conftest import (
    SEEDED_IMAGES,
    Api,
    file_part,
    images_part,
    jpeg,
)

LIST = "/1/catalog/images/list"
SELECT = "/1/catalog/images/select"


def catalog_order(api: Api) -> list[str]:
    return [image.id for image in api.emulator.store.iter_images()]


async def test_pages_through_everything_with_the_keyset_cursor(api: Api) -> None:
    pages = []
    cursor = None
    for _ in range(5):
        status, page = await api.call(
            "POST", LIST, {"paging": {"limit": 10, "last_object_id": cursor}}
        )
        assert status == 200
        pages.append(page)
        if not page["more_data"]:
            break
        cursor = page["last_object_id"]
    assert [len(p["result"]) for p in pages] == [10, 10, 5]
    assert [p["more_data"] for p in pages] == [True, True, False]
    ids = [d["image_id"] for p in pages for d in p["result"]]
    assert ids == catalog_order(api)
    assert len(set(ids)) == SEEDED_IMAGES


async def test_a_full_last_page_says_no_more_data(api: Api) -> None:
    calls = 0
    body: dict[str, Any] = {"paging": {"limit": 5}}
    while True:
        calls += 1
        _, page = await api.call("POST", LIST, body)
        assert len(page["result"]) == 5
        if not page["more_data"]:
            break
        body["paging"]["last_object_id"] = page["last_object_id"]
    assert calls == SEEDED_IMAGES // 5


async def test_cursor_is_opaque_not_an_image_id(api: Api) -> None:
    _, page = await api.call("POST", LIST, {"paging": {"limit": 3}})
    cursor = page["last_object_id"]
    assert re.fullmatch(r"[0-9a-f]{24}", cursor)
    assert cursor not in catalog_order(api)
    status, body = await api.call(
        "POST", LIST, {"paging": {"last_object_id": page["result"][-1]["image_id"]}}
    )
    assert status == 422
    assert body["detail"][0]["loc"] == ["body", "paging", "last_object_id"]


async def test_cursor_survives_deletes_and_inserts_without_replay_or_skip(api: Api) -> None:
    _, first = await api.call("POST", LIST, {"paging": {"limit": 5}})
    last_seen = first["result"][-1]["image_id"]
    # delete the very image the cursor points at, and add a new one
    assert (await api.call("DELETE", "/1/catalog/images", [last_seen]))[0] == 200
    entry = {"image_id": "late", "part_id": "part-0001", "info": "searchable"}
    await api.upsert([images_part([entry]), file_part(jpeg(), "late.jpg")])
    rest: list[str] = []
    cursor = first["last_object_id"]
    while cursor:
        _, page = await api.call("POST", LIST, {"paging": {"limit": 7, "last_object_id": cursor}})
        rest += [d["image_id"] for d in page["result"]]
        cursor = page["last_object_id"] if page["more_data"] else None
    expected = catalog_order(api)[4:]  # the four survivors of page one come first
    assert rest == expected
    assert rest[-1] == "late"


async def test_an_empty_body_lists_the_first_ten(api: Api) -> None:
    status, page = await api.call("POST", LIST, raw=b"")
    assert status == 200
    assert len(page["result"]) == 10
    assert page["more_data"] is True


async def test_part_ids_filter_and_projection(api: Api) -> None:
    wanted = {"part-0001", "part-0003"}
    listed = await api.list_all(4, query={"part_ids": sorted(wanted)}, projection=["part_id"])
    stored = [i for i in api.emulator.store.iter_images() if i.owner in wanted]
    assert listed == [{"image_id": i.id, "part_id": i.owner} for i in stored]


@pytest.mark.parametrize(
    ("projection", "keys"),
    [
        ([], {"image_id"}),
        (["info"], {"image_id", "info"}),
        (["image_id"], {"image_id"}),
        (None, {"image_id", "part_id", "info"}),
    ],
)
async def test_projection_keeps_image_id(
    api: Api, projection: list[str] | None, keys: set[str]
) -> None:
    _, page = await api.call("POST", LIST, {"projection": projection})
    assert {frozenset(d) for d in page["result"]} == {frozenset(keys)}


async def test_unknown_part_ids_match_nothing(api: Api) -> None:
    status, page = await api.call("POST", LIST, {"query": {"part_ids": ["nope"]}})
    assert (status, page) == (200, {"result": [], "last_object_id": None, "more_data": False})


async def test_an_empty_part_ids_list_matches_nothing(api: Api) -> None:
    status, page = await api.call("POST", LIST, {"query": {"part_ids": []}})
    assert (status, page["result"], page["more_data"]) == (200, [], False)


async def test_ids_named_like_the_post_routes_are_reachable_by_get(api: Api) -> None:
    entry = {"image_id": "list", "part_id": "part-0001", "info": "searchable"}
    await api.upsert([images_part([entry]), file_part(jpeg(), "list.jpg")])
    assert await api.call("GET", "/1/catalog/images/list") == (200, entry)
    _, page = await api.call("POST", LIST, {})
    assert set(page) == {"result", "last_object_id", "more_data"}


async def test_limit_of_100_is_the_maximum(api: Api) -> None:
    status, page = await api.call("POST", LIST, {"paging": {"limit": 100}})
    assert (status, len(page["result"]), page["more_data"]) == (200, SEEDED_IMAGES, False)
    status, body = await api.call("POST", LIST, {"paging": {"limit": 101}})
    assert status == 422
    assert body == {
        "detail": [
            {
                "type": "less_than_equal",
                "loc": ["body", "paging", "limit"],
                "msg": "Input should be less than or equal to 100",
                "input": 101,
                "ctx": {"le": 100},
            }
        ]
    }


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        ({"paging": {"limit": 0}}, ["body", "paging", "limit"], "greater_than_equal"),
        ({"paging": {"limit": "ten"}}, ["body", "paging", "limit"], "int_type"),
        ({"paging": {"limit": True}}, ["body", "paging", "limit"], "int_type"),
        ({"paging": []}, ["body", "paging"], "model_attributes_type"),
        ({"query": {"part_ids": "part-0001"}}, ["body", "query", "part_ids"], "list_type"),
        ({"query": {"part_ids": [1]}}, ["body", "query", "part_ids", 0], "string_type"),
        ({"projection": ["url"]}, ["body", "projection", 0], "literal_error"),
        ([1, 2], ["body"], "model_attributes_type"),
    ],
)
async def test_invalid_list_bodies_answer_fastapi_422(
    api: Api, body: object, loc: list[object], kind: str
) -> None:
    status, answer = await api.call("POST", LIST, body)
    assert status == 422
    assert [(d["loc"], d["type"]) for d in answer["detail"]] == [(loc, kind)]


async def test_malformed_json_answers_fastapi_json_invalid(api: Api) -> None:
    status, body = await api.call("POST", LIST, raw=b'{"paging": ')
    assert status == 422
    assert body == {
        "detail": [
            {
                "type": "json_invalid",
                "loc": ["body", 11],
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": "Expecting value"},
            }
        ]
    }


async def test_seed_list_path_parts_list_is_not_served(api: Api) -> None:
    status, body = await api.call("POST", "/1/catalog/parts/list", {"paging": {"limit": 10}})
    assert (status, body) == (404, {"detail": "Not Found"})


async def test_select_returns_existing_ids_in_catalog_order(api: Api) -> None:
    order = catalog_order(api)
    status, found = await api.call(
        "POST", SELECT, {"image_ids": [order[5], "missing", order[2], order[5]]}
    )
    assert status == 200
    assert [d["image_id"] for d in found] == [order[2], order[5]]
    assert set(found[0]) == {"image_id", "part_id", "info"}
    _, projected = await api.call("POST", SELECT, {"image_ids": [order[0]], "projection": []})
    assert projected == [{"image_id": order[0]}]


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        ({"part_ids": ["part-0001"]}, ["body", "image_ids"], "missing"),  # the seed's JS sample
        ({"image_ids": "x"}, ["body", "image_ids"], "list_type"),
        (["x"], ["body"], "model_attributes_type"),
        (None, ["body"], "missing"),
    ],
)
async def test_invalid_select_bodies_answer_422(
    api: Api, body: object, loc: list[object], kind: str
) -> None:
    status, answer = await api.call("POST", SELECT, body)
    assert status == 422
    assert [(d["loc"], d["type"]) for d in answer["detail"]] == [(loc, kind)]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("collection", ["images", "image"])
async def test_get_one_by_every_accepted_variant(api: Api, method: str, collection: str) -> None:
    image = next(api.emulator.store.iter_images())
    status, body = await api.call(method, f"/1/catalog/{collection}/{image.id}")
    assert (status, body) == (
        200,
        {"image_id": image.id, "part_id": image.owner, "info": image.fields["info"]},
    )


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("collection", ["images", "image"])
async def test_original_by_every_accepted_variant(api: Api, method: str, collection: str) -> None:
    for image in list(api.emulator.store.iter_images())[:4]:
        url = f"{api.base}/1/catalog/{collection}/{image.id}/original"
        async with api.session.request(method, url) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == image.mime
            assert await response.read() == api.emulator.store.data(image)


@pytest.mark.parametrize("path", ["/1/catalog/images/missing", "/1/catalog/image/missing/original"])
async def test_unknown_id_is_404_detail(api: Api, path: str) -> None:
    assert await api.call("GET", path) == (404, {"detail": "Image not found"})


async def test_the_orignal_typo_is_not_served(api: Api) -> None:
    image_id = catalog_order(api)[0]
    status, body = await api.call("GET", f"/1/catalog/images/{image_id}/orignal")
    assert (status, body) == (404, {"detail": "Not Found"})


async def test_undocumented_methods_are_405_detail(api: Api) -> None:
    image_id = catalog_order(api)[0]
    status, body = await api.call("DELETE", f"/1/catalog/images/{image_id}")
    assert (status, body) == (405, {"detail": "Method Not Allowed"})


@pytest.mark.parametrize("path", ["/1/catalog", "/1/catalog/"])
async def test_catalog_info(api: Api, path: str) -> None:
    assert await api.call("GET", path) == (
        200,
        {"name": "Emulated catalog", "available_languages": ["en", "de"]},
    )
    api.emulator.knobs.catalog_name = "acme"
    assert (await api.call("GET", path))[1]["name"] == "acme"
