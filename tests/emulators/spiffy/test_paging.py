"""Page-number and since_id paging over owners and images, with the 50-item cap."""

from __future__ import annotations

from typing import Any

import pytest

from syncer.emulators.spiffy.catalog import OWNER_KINDS
from tests.emulators.spiffy.helpers import SpiffyApi, running, seeded


async def pages(api: SpiffyApi, path: str, root: str, limit: int) -> list[list[dict[str, Any]]]:
    """Every page of ``path`` until a short one, as a client following the KB would read it."""
    result: list[list[dict[str, Any]]] = []
    page = 1
    while True:
        reply = await api.get(path, limit=limit, page=page)
        assert reply.status == 200
        result.append(reply.body[root])
        if len(reply.body[root]) < limit:
            return result
        page += 1


async def test_images_page_by_30_by_default_and_at_most_50() -> None:
    async with running(seeded(61, owners=1)) as api:
        path = f"/api/products/{api.owner('products').id}/images.json"
        default = (await api.get(path)).body["images"]
        assert len(default) == 30
        capped = (await api.get(path, limit=500)).body["images"]
        assert len(capped) == 50
        assert (await api.get(path, limit=500, page=2)).body["images"] == (
            await api.get(path, limit=50, page=2)
        ).body["images"]
        assert len((await api.get(path, limit=50, page=2)).body["images"]) == 11
        assert (await api.get(path, page=9)).body["images"] == []

        walked = await pages(api, path, "images", 7)
        assert [len(page) for page in walked] == [7] * 8 + [5]
        flat = [image for page in walked for image in page]
        assert [image["position"] for image in flat] == list(range(1, 62))
        assert len({image["id"] for image in flat}) == 61
        count = await api.get(path.replace("images.json", "images/count.json"))
        assert count.body == {"count": 61}


async def test_since_id_follows_ids_while_the_order_stays_by_position() -> None:
    async with running(seeded(12, owners=1)) as api:
        path = f"/api/products/{api.owner('products').id}/images.json"
        listed = (await api.get(path)).body["images"]
        newest = listed[-1]
        moved = await api.put(
            path.replace("images.json", f"images/{newest['id']}.json"),
            {"image": {"id": newest["id"], "position": 1}},
        )
        assert moved.status == 200
        pivot = sorted(image["id"] for image in listed)[8]
        after = (await api.get(path, since_id=pivot)).body["images"]
        assert [image["id"] for image in after] == [
            newest["id"],
            *sorted(image["id"] for image in listed if pivot < image["id"] != newest["id"]),
        ]
        assert [image["position"] for image in after] == sorted(i["position"] for i in after)
        paged = (await api.get(path, since_id=pivot, limit=2, page=2)).body["images"]
        assert paged == after[2:4]


@pytest.mark.parametrize("kind", OWNER_KINDS)
async def test_owners_page_in_id_order_with_since_id_and_count(kind: str) -> None:
    async with running(seeded(0, owners=130)) as api:
        total = (await api.get(f"/api/{kind}/count.json")).body["count"]
        assert total == len(api.emulator.catalog.owners(kind))
        walked = await pages(api, f"/api/{kind}.json", kind, 9)
        ids = [owner["id"] for page in walked for owner in page]
        assert ids == sorted(ids)
        assert len(ids) == total
        assert len(walked) == total // 9 + 1
        middle = ids[len(ids) // 2]
        after = (await api.get(f"/api/{kind}.json", since_id=middle, limit=50)).body[kind]
        assert [owner["id"] for owner in after] == [i for i in ids if i > middle][:50]
        count = await api.get(f"/api/{kind}/count.json", since_id=middle)
        assert count.body == {"count": len([i for i in ids if i > middle])}
        slim = (await api.get(f"/api/{kind}.json", fields="id,handle")).body[kind]
        assert all(set(owner) == {"id", "handle"} for owner in slim)


async def test_owner_lists_cap_at_50() -> None:
    async with running(seeded(0, owners=130)) as api:
        assert len((await api.get("/api/products.json")).body["products"]) == 30
        assert len((await api.get("/api/products.json", limit=51)).body["products"]) == 50
