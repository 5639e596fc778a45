"""Every example of the vendor file over raw HTTP, for the three owner kinds, by id and handle."""

from __future__ import annotations

from hashlib import md5
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.emulators.spiffy.helpers import (
    IMAGE_KEYS,
    KINDS,
    OWNER_KEY,
    SpiffyApi,
    b64,
    image_bytes,
)

pytestmark = pytest.mark.parametrize("by", ["id", "handle"])

SINGULAR = {
    "products": "product",
    "standard_collections": "standard_collection",
    "super_collections": "super_collection",
}


def owner_path(api: SpiffyApi, kind: str, by: str) -> tuple[str, int]:
    owner = api.owner(kind)
    ref = owner.id if by == "id" else owner.fields["handle"]
    return f"/api/{kind}/{ref}", int(owner.id)


def positions(images: list[dict[str, Any]]) -> list[int]:
    return [image["position"] for image in images]


async def create_from_attachment(api: SpiffyApi, base: str, data: bytes) -> dict[str, Any]:
    reply = await api.post(
        f"{base}/images.json",
        {
            "image": {
                "attachment": b64(data),
                "filename": "cute-puppy.png",
                "alt": "A cute puppy",
                "position": 1,
                "variation_ids": [],
            }
        },
    )
    assert reply.status == 201, reply.body
    assert reply.headers["Content-Type"].startswith("application/json")
    image: dict[str, Any] = reply.body["image"]
    return image


@pytest.mark.parametrize("kind", KINDS)
async def test_create_from_attachment_then_src(api: SpiffyApi, kind: str, by: str) -> None:
    base, owner_id = owner_path(api, kind, by)
    before = await api.all_images(f"{base}/images.json")
    data = image_bytes("png", seed=7)

    made = await create_from_attachment(api, base, data)
    assert set(made) == IMAGE_KEYS | {OWNER_KEY[kind]}
    assert made[OWNER_KEY[kind]] == owner_id
    assert (made["position"], made["alt"], made["filename"]) == (
        1,
        "A cute puppy",
        "cute-puppy.png",
    )
    assert made["extension"] == "png"
    stored = api.emulator.store.image(str(made["id"]))
    assert stored is not None
    expected = md5(b"cute-puppy.png" + data + stored.created_at.encode()).hexdigest()
    assert made["digest"] == expected
    assert urlsplit(made["src"]).query == made["digest"]
    served = await api.call("GET", made["src"], auth=None)
    assert (served.status, served.raw) == (200, data)
    assert served.headers["Content-Type"] == "image/png"

    copy = await api.post(f"{base}/images.json", {"image": {"src": made["src"], "alt": "copy"}})
    assert copy.status == 201, copy.body
    again = copy.body["image"]
    assert again["id"] > made["id"]
    assert again["position"] == len(before) + 2  # default: last + 1
    assert again["filename"] == urlsplit(made["src"]).path.rsplit("/", 1)[1]
    assert again["digest"] != made["digest"]  # same bytes, different digest
    assert (await api.call("GET", again["src"], auth=None)).raw == data

    after = await api.all_images(f"{base}/images.json")
    assert [image["id"] for image in after] == (
        [made["id"]] + [image["id"] for image in before] + [again["id"]]
    )
    assert positions(after) == list(range(1, len(after) + 1))


@pytest.mark.parametrize("kind", KINDS)
async def test_list_count_get_with_paging_and_fields(api: SpiffyApi, kind: str, by: str) -> None:
    base, _ = owner_path(api, kind, by)
    for seed in range(3):
        await create_from_attachment(api, base, image_bytes("gif", seed=seed))
    everything = (await api.get(f"{base}/images.json")).body["images"]
    assert len(everything) >= 5

    pages = [
        (await api.get(f"{base}/images.json", limit=2, page=page)).body["images"]
        for page in range(1, 5)
    ]
    assert [image for page in pages for image in page] == everything
    assert [len(page) for page in pages][:2] == [2, 2]

    pivot = sorted(image["id"] for image in everything)[1]
    newer = (await api.get(f"{base}/images.json", since_id=pivot)).body["images"]
    assert newer == [image for image in everything if image["id"] > pivot]
    count = await api.get(f"{base}/images/count.json", since_id=pivot)
    assert count.body == {"count": len(newer)}
    assert (await api.get(f"{base}/images/count.json")).body == {"count": len(everything)}

    slim = (await api.get(f"{base}/images.json", fields="id,src")).body["images"]
    assert slim == [{"id": image["id"], "src": image["src"]} for image in everything]

    one = await api.get(f"{base}/images/{everything[2]['id']}.json")
    assert one.body == {"image": everything[2]}
    picked = await api.get(f"{base}/images/{everything[2]['id']}.json", fields="id,position")
    assert picked.body == {"image": {"id": everything[2]["id"], "position": 3}}

    owner = await api.get(f"{base}.json")
    assert owner.body[SINGULAR[kind]]["images"] == everything


@pytest.mark.parametrize("kind", KINDS)
async def test_update_alt_and_position_then_delete(api: SpiffyApi, kind: str, by: str) -> None:
    base, _ = owner_path(api, kind, by)
    made = await create_from_attachment(api, base, image_bytes("jpeg", seed=3))
    listed = await api.all_images(f"{base}/images.json")
    last = len(listed)

    moved = await api.put(
        f"{base}/images/{made['id']}.json",
        {"image": {"id": made["id"], "alt": "Side view", "position": last}},
    )
    assert moved.status == 200, moved.body
    assert {key: moved.body["image"][key] for key in ("id", "alt", "position")} == {
        "id": made["id"],
        "alt": "Side view",
        "position": last,
    }
    assert moved.body["image"]["digest"] == made["digest"]  # metadata only: same version
    reordered = await api.all_images(f"{base}/images.json")
    assert [image["id"] for image in reordered] == [i["id"] for i in listed[1:]] + [made["id"]]
    assert positions(reordered) == list(range(1, last + 1))

    gone = await api.delete(f"{base}/images/{made['id']}.json")
    assert (gone.status, gone.body) == (200, {})
    assert (await api.get(f"{base}/images/{made['id']}.json")).status == 404
    remaining = await api.all_images(f"{base}/images.json")
    assert [image["id"] for image in remaining] == [image["id"] for image in listed[1:]]
    assert positions(remaining) == list(range(1, last))
