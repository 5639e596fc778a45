"""The vendor surface over raw HTTP: shapes, paging, filters, tolerance, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from syncer.emulators.beproduct.emulator import BeProductEmulator
from tests.emulators.beproduct.helpers import (
    FOLDERS,
    MISSING,
    SEEDED,
    Api,
    Reply,
    assert_vendor_error,
)


def numbers(reply: Reply) -> list[str]:
    return [h["headerNumber"] for h in reply.body["result"]]


async def test_pages_are_zero_based_with_an_exact_total(api: Api) -> None:
    pages = [await api.page(n, page_size=5) for n in range(4)]

    assert [p.body["total"] for p in pages] == [SEEDED] * 4
    assert [len(p.body["result"]) for p in pages] == [5, 5, 2, 0]
    every = [n for p in pages for n in numbers(p)]
    assert every == [f"IMG-{n:06d}" for n in range(1, SEEDED + 1)]


async def test_every_success_is_200_json(api: Api, emulator: BeProductEmulator) -> None:
    header_id = next(emulator.store.iter_images()).id
    folder_id = next(iter(emulator.store.owners))
    replies = [
        await api.get("/api/demo/Image/Folders"),
        await api.get(f"/api/demo/Image/FolderSchema?folderId={folder_id}"),
        await api.get(f"/api/demo/Image/FolderSearchSchema?folderId={folder_id}"),
        await api.page(),
        await api.get(f"/api/demo/Image/Header/{header_id}"),
        await api.get(f"/api/demo/Image/Header/Delete/{header_id}"),
        await api.get("/api/demo/ratelimit/status"),
    ]
    assert [r.status for r in replies] == [200] * len(replies)
    assert all(r.headers["Content-Type"].startswith("application/json") for r in replies)
    assert replies[5].body is True


async def test_folders_and_schemas(api: Api, emulator: BeProductEmulator) -> None:
    folders = (await api.get("/api/demo/Image/Folders")).body
    assert len(folders) == FOLDERS
    assert set(folders[0]) == {"id", "name", "description", "active"}

    schema = (await api.get(f"/api/demo/Image/FolderSchema?folderId={folders[0]['id']}")).body
    assert {"header_number", "header_name"} <= {f["fieldId"] for f in schema}
    assert set(schema[0]) == {"fieldId", "fieldName", "fieldType", "required", "properties"}
    search = (await api.get(f"/api/demo/Image/FolderSearchSchema?folderId={folders[0]['id']}")).body
    assert {"ModifiedAt", "CreatedAt"} <= {f["fieldId"] for f in search}
    unknown = await api.get(f"/api/demo/Image/FolderSchema?folderId={MISSING}")
    assert_vendor_error(unknown, 404, "Folder not found")


async def test_folder_filter_and_paths_match_case_insensitively(
    api: Api, emulator: BeProductEmulator
) -> None:
    folder_id = next(iter(emulator.store.owners))
    reply = await api.post(
        f"/API/DEMO/image/HEADERS?FOLDERID={folder_id.upper()}&pagesize=100", json={"filters": []}
    )
    expected = [i.id for i in emulator.store.iter_images() if i.owner == folder_id]
    assert reply.status == 200
    assert [h["id"] for h in reply.body["result"]] == expected
    assert reply.body["total"] == len(expected) == SEEDED // FOLDERS

    header = await api.get(f"/api/Demo/IMAGE/header/{expected[0].upper()}")
    assert header.status == 200
    assert header.body["id"] == expected[0]


async def test_forgiving_query_strings(api: Api) -> None:
    """Empty folderId, ``True``, missing paging, an empty body: what hand-glued URLs send."""
    loose = await api.post("/api/demo/Image/Headers?folderId=&showDeleted=True")
    assert loose.status == 200
    assert loose.body["total"] == SEEDED
    assert len(loose.body["result"]) == SEEDED


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("Eq", "img-000003", [3]),
        ("Neq", "IMG-000003", [n for n in range(1, SEEDED + 1) if n != 3]),
        ("NotEq", "IMG-000003", [n for n in range(1, SEEDED + 1) if n != 3]),
        ("Gt", "IMG-000010", [11, 12]),
        ("Gte", "IMG-000010", [10, 11, 12]),
        ("Lt", "IMG-000003", [1, 2]),
        ("Lte", "IMG-000003", [1, 2, 3]),
        ("Contains", "g-00001", [10, 11, 12]),
        ("In", "IMG-000002■IMG-000005", [2, 5]),
        ("In", ["IMG-000002", "IMG-000007"], [2, 7]),
        ("NotIn", "IMG-000001■IMG-000002", list(range(3, SEEDED + 1))),
    ],
)
async def test_header_number_filters(
    api: Api, operator: str, value: Any, expected: list[int]
) -> None:
    filters = [{"field": "header_number", "operator": operator, "value": value}]
    reply = await api.page(page_size=5, filters=filters)
    assert reply.body["total"] == len(expected)
    assert numbers(reply) == [f"IMG-{n:06d}" for n in expected][:5]


async def test_date_filters_accept_the_documented_formats(api: Api) -> None:
    # seeded header n was created and modified at 2026-01-01 00:0n:00Z
    for value in (
        "2026-01-01 00:05:00Z",
        "2026-01-01T00:05:00Z",
        "2026-01-01T01:05:00+01:00",
        "2026-01-01T00:05:00.000Z",
        "2026-01-01 00:05:00",
    ):
        reply = await api.page(filters=[{"field": "ModifiedAt", "operator": "Gte", "value": value}])
        assert numbers(reply)[0] == "IMG-000005", value
        assert reply.body["total"] == SEEDED - 4
    both = [
        {"field": "CreatedAt", "operator": "Gt", "value": "2026-01-01T00:02:00Z"},
        {"field": "CreatedAt", "operator": "Lte", "value": "2026-01-01T00:04:00Z"},
    ]
    assert numbers(await api.page(filters=both)) == ["IMG-000003", "IMG-000004"]  # AND-ed


async def test_name_filters_and_unknown_fields(api: Api, emulator: BeProductEmulator) -> None:
    name = next(emulator.store.iter_images()).fields["values"]["header_name"]
    by_name = await api.page(
        filters=[{"field": "HeaderName", "operator": "Eq", "value": name.upper()}]
    )
    assert by_name.body["total"] >= 1
    assert {h["headerName"] for h in by_name.body["result"]} == {name}

    ignored = await api.page(filters=[{"field": "NoSuchField", "operator": "Eq", "value": "x"}])
    assert ignored.body["total"] == SEEDED


async def test_show_deleted_includes_tombstones(api: Api, emulator: BeProductEmulator) -> None:
    header_id = next(emulator.store.iter_images()).id
    await api.get(f"/api/demo/Image/Header/Delete/{header_id}")

    hidden = await api.page()
    shown = await api.page(query="&showDeleted=true")
    assert hidden.body["total"] == SEEDED - 1
    assert shown.body["total"] == SEEDED
    assert shown.body["result"][0]["isDeleted"] is True
    again = await api.get(f"/api/demo/Image/Header/Delete/{header_id}")
    assert_vendor_error(again, 404, "Image not found")


async def test_update_and_delete_move_modified_at(api: Api, emulator: BeProductEmulator) -> None:
    header = next(emulator.store.iter_images())
    before = header.updated_at
    updated = await api.post(
        f"/api/demo/Image/Header/{header.id}/Update",
        json={"fields": [{"id": "headerName", "value": "Renamed"}]},
    )
    assert updated.body["headerName"] == "Renamed"  # camelCase field ids work too
    assert updated.body["modifiedAt"] > before
    assert updated.body["modifiedBy"]["name"] == "Demo Integration"


async def test_refusals_in_the_vendor_shape(api: Api, emulator: BeProductEmulator) -> None:
    header_id = next(emulator.store.iter_images()).id
    folder_id = next(iter(emulator.store.owners))
    cases = [
        (await api.get(f"/api/demo/Image/Header/{MISSING}"), 404, "Image not found"),
        (await api.get("/api/demo/Image/Header/not-a-guid"), 404, "Image not found"),
        (
            await api.post(f"/api/demo/Image/Header/{MISSING}/Update", json={"fields": []}),
            404,
            "Image not found",
        ),
        (
            await api.post(
                f"/api/demo/Image/Header/{header_id}/Update",
                data=b"{oops",
                headers={"Content-Type": "application/json"},
            ),
            400,
            "malformed JSON",
        ),
        (
            await api.post(
                "/api/demo/Image/Headers", data=b"[1,", headers={"Content-Type": "application/json"}
            ),
            400,
            "malformed JSON",
        ),
        (await api.post("/api/demo/Image/Headers?pageSize=abc"), 400, "pageSize"),
        (await api.post("/api/demo/Image/Headers?pageSize=0"), 400, "pageSize"),
        (await api.post("/api/demo/Image/Headers?pageNumber=-1"), 400, "pageNumber"),
        (await api.post("/api/demo/Image/Headers?showDeleted=maybe"), 400, "showDeleted"),
        (
            await api.page(filters=[{"field": "ModifiedAt", "operator": "Around", "value": "x"}]),
            400,
            "operator",
        ),
        (
            await api.page(filters=[{"field": "ModifiedAt", "operator": "Gt", "value": "soon"}]),
            400,
            "not a valid date",
        ),
        (await api.page(filters=[{"value": "x"}]), 400, "field and operator"),
        (
            await api.post(
                f"/api/demo/Image/Header/Create?folderId={folder_id}",
                json={"fields": [{"id": "keywords", "value": "x"}]},
            ),
            400,
            "header_name",
        ),
        (
            await api.post(
                f"/api/demo/Image/Header/{header_id}/Update",
                json={"fields": [{"id": "header_number", "value": ""}]},
            ),
            400,
            "header_number",
        ),
        (
            await api.post(
                f"/api/demo/Image/Header/Create?folderId={MISSING}",
                json={"fields": [{"id": "header_name", "value": "x"}]},
            ),
            404,
            "Folder not found",
        ),
        (
            await api.post(
                "/api/demo/Image/Header/Create",
                json={"fields": [{"id": "header_name", "value": "x"}]},
            ),
            400,
            "folderId",
        ),
        (await api.get("/api/other/Image/Folders"), 404, "Company 'other' not found"),
        (await api.get("/api/demo/Image/Nothing"), 404, "Not Found"),
        (await api.call("DELETE", f"/api/demo/Image/Header/{header_id}"), 405, "Not Allowed"),
    ]
    for reply, status, text in cases:
        assert_vendor_error(reply, status, text)


async def test_bearer_token_is_required(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic ZGVtbzpkZW1v"}):
        reply = await api.get("/api/demo/Image/Folders", auth=bool(headers), headers=headers)
        assert_vendor_error(reply, 401, "Authorization has been denied")
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    static = await api.get("/api/demo/Image/Folders", headers={"Authorization": "Bearer demo"})
    assert static.status == 200  # the documented static token (knob static_token)


async def test_create_keeps_given_numbers_and_numbers_blank_ones(
    api: Api, emulator: BeProductEmulator
) -> None:
    folder_id = next(iter(emulator.store.owners))
    path = f"/api/demo/image/header/create?folderId={folder_id}&preserveVersion=false"
    given = await api.post(
        path,
        json={
            "fields": [
                {"id": "header_number", "value": "ART-1"},
                {"id": "header_name", "value": "Given"},
            ]
        },
    )
    blank = await api.post(
        path,
        json={
            "fields": [{"id": "header_number", "value": ""}, {"id": "HeaderName", "value": "Blank"}]
        },
    )

    assert given.body["headerNumber"] == "ART-1"
    assert blank.body["headerNumber"] == f"IMG-{SEEDED + 1:06d}"
    assert blank.body["headerName"] == "Blank"
    assert blank.body["createdBy"]["name"] == "Demo Integration"
