"""POST /1/catalog/images: the multipart batch upsert with per-item errors."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.emulators.partium.conftest import (
    Api,
    Part,
    file_part,
    gif,
    images_part,
    jpeg,
    png,
)

PART = "part-0001"
OTHER_PART = "part-0002"


async def test_creates_then_updates_the_same_id(api: Api) -> None:
    entry = {"image_id": "pump-front", "part_id": PART, "info": "searchable"}
    status, body = await api.upsert([images_part([entry]), file_part(jpeg(1), "pump-front.jpg")])
    assert (status, body) == (200, {"created": ["pump-front"], "updated": [], "errors": {}})
    before = [d["image_id"] for d in await api.list_all(100)]
    created_at = "2020-01-01T00:00:00.000Z"  # an unmistakable creation stamp
    api.emulator.store.images["pump-front"].created_at = created_at

    entry = {"image_id": "pump-front", "part_id": OTHER_PART, "info": "display position=0"}
    status, body = await api.upsert([images_part([entry]), file_part(png(2), "pump-front.png")])
    assert (status, body) == (200, {"created": [], "updated": ["pump-front"], "errors": {}})

    _, described = await api.call("GET", "/1/catalog/images/pump-front")
    assert described == entry
    assert await api.original("pump-front") == (png(2), "image/png")
    assert [d["image_id"] for d in await api.list_all(100)] == before  # keeps its place
    assert api.emulator.store.images["pump-front"].created_at == created_at


async def test_images_may_arrive_as_a_file_part(api: Api) -> None:
    entries = [{"image_id": "a", "part_id": PART, "info": "display"}]
    images = Part("images", json.dumps(entries).encode(), "images.json", "application/json")
    status, body = await api.upsert([images, file_part(jpeg(3), "a.jpg")])
    assert (status, body["created"], body["errors"]) == (200, ["a"], {})


async def test_images_may_arrive_as_a_plain_text_field(api: Api) -> None:
    entries = [{"image_id": "a", "part_id": PART, "info": "display"}]
    status, body = await api.upsert(
        [Part("images", json.dumps(entries).encode()), file_part(jpeg(3), "a.jpg")]
    )
    assert (status, body["created"]) == (200, ["a"])


async def test_unnamed_files_pair_by_position(api: Api) -> None:
    entries = [{"image_id": x, "part_id": PART, "info": "searchable"} for x in ("u1", "u2")]
    status, body = await api.upsert(
        [
            images_part(entries),
            file_part(jpeg(11), None),
            file_part(png(12), None, "application/octet-stream"),
        ]
    )
    assert (status, body["created"]) == (200, ["u1", "u2"])
    assert await api.original("u1") == (jpeg(11), "image/jpeg")
    assert await api.original("u2") == (png(12), "image/png")


async def test_fewer_files_pair_by_filename_stem(api: Api) -> None:
    entries = [{"image_id": x, "part_id": PART, "info": "searchable"} for x in ("s1", "s2", "s3")]
    status, body = await api.upsert(
        [images_part(entries), file_part(jpeg(23), "s3.jpg"), file_part(jpeg(21), "s1.jpg")]
    )
    assert status == 200
    assert body == {
        "created": ["s1", "s3"],
        "updated": [],
        "errors": {"s2": "No file was sent for this image"},
    }
    assert (await api.original("s1"))[0] == jpeg(21)
    assert (await api.original("s3"))[0] == jpeg(23)


async def test_as_many_files_as_images_pair_by_position_even_when_named_otherwise(api: Api) -> None:
    entries = [{"image_id": x, "part_id": PART, "info": "searchable"} for x in ("p1", "p2")]
    status, _ = await api.upsert(
        [images_part(entries), file_part(jpeg(32), "p2.jpg"), file_part(jpeg(31), "p1.jpg")]
    )
    assert status == 200
    assert (await api.original("p1"))[0] == jpeg(32)  # positional: the documented rule


async def test_fewer_unnamed_files_leave_the_trailing_images_without_a_file(api: Api) -> None:
    entries = [{"image_id": x, "part_id": PART, "info": "searchable"} for x in ("t1", "t2")]
    status, body = await api.upsert([images_part(entries), file_part(jpeg(41), None)])
    assert (status, body["created"]) == (200, ["t1"])
    assert body["errors"] == {"t2": "No file was sent for this image"}


async def test_same_bytes_under_a_new_id_are_fine(api: Api) -> None:
    entries = [{"image_id": x, "part_id": PART, "info": "searchable"} for x in ("d1", "d2")]
    status, body = await api.upsert(
        [images_part(entries), file_part(jpeg(5), "d1.jpg"), file_part(jpeg(5), "d2.jpg")]
    )
    assert (status, body["created"], body["errors"]) == (200, ["d1", "d2"], {})


def truncated_jpeg() -> bytes:
    """Opens, and passes Pillow's verify(), but its pixels cannot be loaded."""
    data = jpeg(9, (64, 64))
    return data[: len(data) // 2]


def png_with_bad_crc() -> bytes:
    """Loads, but fails Pillow's verify() (a corrupt IDAT checksum)."""
    data = bytearray(png(9))
    idat = data.index(b"IDAT")
    crc = idat + 4 + int.from_bytes(data[idat - 4 : idat], "big")
    data[crc] ^= 0xFF
    return bytes(data)


REFUSED = [
    ({"part_id": PART, "info": "display"}, jpeg(), "images[0]", "image_id is missing"),
    ({"image_id": "", "part_id": PART}, jpeg(), "images[1]", "image_id must be a non-empty string"),
    ({"image_id": 7, "part_id": PART}, jpeg(), "images[2]", "image_id must be a non-empty string"),
    ("not-an-object", jpeg(), "images[3]", "An image description must be a JSON object"),
    (
        {"image_id": "a/b", "part_id": PART},
        jpeg(),
        "a/b",
        "image_id must not contain '/' or control characters, nor be '.' or '..'",
    ),
    ({"image_id": "no-part", "info": "display"}, jpeg(), "no-part", "part_id is missing"),
    (
        {"image_id": "bad-part", "part_id": 3},
        jpeg(),
        "bad-part",
        "part_id must be a non-empty string",
    ),
    (
        {"image_id": "ghost-part", "part_id": "part-9999"},
        jpeg(),
        "ghost-part",
        "Part type 'part-9999' does not exist",
    ),
    (
        {"image_id": "token", "part_id": PART, "info": "display thumbnail"},
        jpeg(),
        "token",
        "Unknown info token 'thumbnail'; allowed: searchable, display, position=<int >= 0>",
    ),
    (
        {"image_id": "case", "part_id": PART, "info": "Display"},
        jpeg(),
        "case",
        "Unknown info token 'Display'; allowed: searchable, display, position=<int >= 0>",
    ),
    (
        {"image_id": "no-display", "part_id": PART, "info": "searchable position=2"},
        jpeg(),
        "no-display",
        "position is only allowed together with the display token",
    ),
    (
        {"image_id": "negative", "part_id": PART, "info": "display position=-1"},
        jpeg(),
        "negative",
        "position must be an integer >= 0, got '-1'",
    ),
    (
        {"image_id": "fraction", "part_id": PART, "info": "display position=1.5"},
        jpeg(),
        "fraction",
        "position must be an integer >= 0, got '1.5'",
    ),
    (
        {"image_id": "twice", "part_id": PART, "info": "display position=1 position=2"},
        jpeg(),
        "twice",
        "position may be given only once",
    ),
    (
        {"image_id": "info-type", "part_id": PART, "info": ["display"]},
        jpeg(),
        "info-type",
        "info must be a string",
    ),
    ({"image_id": "empty", "part_id": PART, "info": "display"}, b"", "empty", "The file is empty"),
    (
        {"image_id": "text", "part_id": PART, "info": "display"},
        b"hello, not an image",
        "text",
        "The file is not a readable image",
    ),
    (
        {"image_id": "cut", "part_id": PART, "info": "display"},
        truncated_jpeg(),
        "cut",
        "The file is not a readable image",
    ),
    (
        {"image_id": "crc", "part_id": PART, "info": "display"},
        png_with_bad_crc(),
        "crc",
        "The file is not a readable image",
    ),
    (
        {"image_id": "gif", "part_id": PART, "info": "display"},
        gif(),
        "gif",
        "Unsupported image type 'gif'; accepted: jpeg, png",
    ),
]


async def test_each_bad_item_is_refused_alone_inside_a_200(api: Api) -> None:
    good = {"image_id": "good", "part_id": PART, "info": "searchable display position=3"}
    dup = {"image_id": "dup", "part_id": PART, "info": "display"}
    entries = [entry for entry, *_ in REFUSED] + [good, dup, dup]
    files = [data for _, data, *_ in REFUSED] + [jpeg(1), jpeg(2), jpeg(3)]
    status, body = await api.upsert(
        [images_part(entries), *(file_part(data, None) for data in files)]
    )
    assert status == 200
    expected = {key: message for _, _, key, message in REFUSED}
    expected["dup"] = "image_id appears more than once in this request"
    assert body == {"created": ["good"], "updated": [], "errors": expected}
    status, found = await api.call(
        "POST", "/1/catalog/images/select", {"image_ids": list(expected)}
    )
    assert (status, found) == (200, [])


async def test_info_may_be_omitted_and_then_is_empty(api: Api) -> None:
    status, body = await api.upsert(
        [images_part([{"image_id": "bare", "part_id": PART}]), file_part(jpeg(), "bare.jpg")]
    )
    assert (status, body["created"]) == (200, ["bare"])
    assert (await api.call("GET", "/1/catalog/images/bare"))[1]["info"] == ""


async def test_missing_part_is_created_with_auto_create_parts(api: Api) -> None:
    entry = {"image_id": "new-part-img", "part_id": "pump-7", "info": "searchable"}
    status, body = await api.upsert([images_part([entry]), file_part(jpeg(), None)])
    assert body["errors"] == {"new-part-img": "Part type 'pump-7' does not exist"}

    async with api.session.patch(
        api.base + "/_emulator/knobs", json={"auto_create_parts": True}
    ) as response:
        assert response.status == 200
    status, body = await api.upsert([images_part([entry]), file_part(jpeg(), None)])
    assert (status, body["created"], body["errors"]) == (200, ["new-part-img"], {})
    assert api.emulator.store.owners["pump-7"].kind == "part_type"
    listed = await api.list_all(10, query={"part_ids": ["pump-7"]})
    assert listed == [entry]


async def test_failed_items_do_not_create_parts(api: Api) -> None:
    api.emulator.knobs.auto_create_parts = True
    entry = {"image_id": "x", "part_id": "pump-8", "info": "searchable"}
    _, body = await api.upsert([images_part([entry]), file_part(b"junk", None)])
    assert body["errors"] == {"x": "The file is not a readable image"}
    assert "pump-8" not in api.emulator.store.owners


async def test_formats_knob_accepts_more_types(api: Api) -> None:
    api.emulator.knobs.formats = ("jpeg", "png", "gif")
    entry = {"image_id": "g", "part_id": PART, "info": "display"}
    status, body = await api.upsert([images_part([entry]), file_part(gif(), "g.gif")])
    assert (status, body["created"]) == (200, ["g"])
    assert (await api.original("g"))[1] == "image/gif"


async def test_oversize_file_is_an_item_error_with_max_file_bytes(api: Api) -> None:
    big, small = jpeg(1, (200, 200)), jpeg(2)
    api.emulator.knobs.max_file_bytes = len(small) + 1
    entries = [{"image_id": x, "part_id": PART, "info": "display"} for x in ("big", "small")]
    _, body = await api.upsert([images_part(entries), file_part(big, None), file_part(small, None)])
    limit = len(small) + 1
    assert body["created"] == ["small"]
    assert body["errors"] == {"big": f"The file is larger than {limit} bytes"}


async def test_oversize_request_is_413_with_max_request_bytes(api: Api) -> None:
    api.emulator.knobs.max_request_bytes = 1000
    entries = [{"image_id": "huge", "part_id": PART, "info": "display"}]
    status, body = await api.upsert([images_part(entries), file_part(jpeg(1, (300, 300)), None)])
    assert (status, body) == (413, {"detail": "Request body larger than 1000 bytes"})
    assert api.emulator.store.image("huge") is None


async def test_too_many_images_is_400_with_max_batch(api: Api) -> None:
    api.emulator.knobs.max_batch = 1
    entries = [{"image_id": x, "part_id": PART, "info": "display"} for x in ("m1", "m2")]
    status, body = await api.upsert([images_part(entries)])
    assert (status, body) == (400, {"detail": "Too many images in one request: 2 (at most 1)"})


MISSING_IMAGES = {
    "detail": [
        {"type": "missing", "loc": ["body", "images"], "msg": "Field required", "input": None}
    ]
}


async def test_a_json_body_is_not_an_upsert(api: Api) -> None:
    status, body = await api.call(
        "POST", "/1/catalog/images", [{"image_id": "j", "part_id": PART, "info": "display"}]
    )
    assert (status, body) == (422, MISSING_IMAGES)


async def test_images_field_is_required(api: Api) -> None:
    assert await api.upsert([file_part(jpeg(), "x.jpg")]) == (422, MISSING_IMAGES)


@pytest.mark.parametrize(
    ("raw", "kind"), [(b"[{not json", "json_invalid"), (b'{"image_id": "x"}', "list_type")]
)
async def test_images_field_must_be_a_json_array(api: Api, raw: bytes, kind: str) -> None:
    status, body = await api.upsert([Part("images", raw, content_type="application/json")])
    assert status == 422
    assert [(d["type"], d["loc"]) for d in body["detail"]] == [(kind, ["body", "images"])]


async def test_more_files_than_images_is_400(api: Api) -> None:
    entries = [{"image_id": "one", "part_id": PART, "info": "display"}]
    status, body = await api.upsert(
        [images_part(entries), file_part(jpeg(1), "one.jpg"), file_part(jpeg(2), "two.jpg")]
    )
    assert (status, body) == (400, {"detail": "More files (2) than image descriptions (1)"})
    assert api.emulator.store.image("one") is None


async def test_broken_multipart_is_400(api: Api) -> None:
    body = b'--partium-test-boundary\r\nContent-Disposition: form-data; name="images"\r\n'
    async with api.session.post(
        api.base + "/1/catalog/images",
        data=body,
        headers={"Content-Type": "multipart/form-data; boundary=partium-test-boundary"},
    ) as response:
        assert response.status == 400
        assert await response.json() == {"detail": "There was an error parsing the body"}


async def test_an_empty_batch_changes_nothing(api: Api) -> None:
    before = len(api.emulator.store)
    assert await api.upsert([images_part([])]) == (
        200,
        {"created": [], "updated": [], "errors": {}},
    )
    assert len(api.emulator.store) == before


async def test_stored_sha256_is_that_of_the_uploaded_bytes(api: Api) -> None:
    data = jpeg(77)
    entry = {"image_id": "sha", "part_id": PART, "info": "searchable"}
    await api.upsert([images_part([entry]), file_part(data, "sha.jpg")])
    async with api.session.get(api.base + "/_emulator/images/sha") as response:
        admin = await response.json()
    assert admin["sha256"] == hashlib.sha256(data).hexdigest()
    assert admin["vendor"] == entry
