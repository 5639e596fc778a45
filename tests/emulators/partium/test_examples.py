"""Every example of the vendor file and its seed, replayed with ``requests`` (as the seed's Python
samples do) against the emulator in a background thread, plus the variants we accept.

The seed's Python upsert sample is broken (3-tuples, unbalanced parentheses), so the upsert is
sent twice: as the HTTP sample's raw bytes, and as the corrected ``requests`` call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from syncer.emulators.partium.emulator import PartiumEmulator
from syncer.emulators.server import serve_in_thread
from tests.emulators.partium.conftest import AUTH, jpeg

PART = "part1"
EXAMPLE_IMAGES = [
    {"image_id": "image1", "part_id": PART, "info": "searchable display"},
    {"image_id": "image2", "part_id": PART, "info": "display position=3"},
]


@pytest.fixture
def base() -> Iterator[str]:
    emulator = PartiumEmulator()
    emulator.seed(1, 1)
    emulator.admin_add_owner({"id": PART, "name": "Example part"})
    with serve_in_thread(emulator) as url:
        yield url


def http_sample_body(files: list[tuple[str, bytes]]) -> bytes:
    """The seed's HTTP upsert sample, byte for byte in its layout."""
    lines = [
        b"--boundary",
        b'Content-Disposition: form-data; name="images"',
        b"Content-Type: application/json",
        b"",
        json.dumps(EXAMPLE_IMAGES).encode(),
    ]
    for filename, data in files:
        lines += [
            b"--boundary",
            f'Content-Disposition: form-data; name="files"; filename="{filename}"'.encode(),
            b"Content-Type: image/jpeg",
            b"",
            data,
        ]
    return b"\r\n".join([*lines, b"--boundary--", b""])


def upsert_http_sample(base: str) -> requests.Response:
    body = http_sample_body([("image1.jpg", jpeg(1)), ("image2.jpg", jpeg(2))])
    headers = {**AUTH, "Content-Type": "multipart/form-data; boundary=boundary"}
    return requests.post(f"{base}/1/catalog/images", data=body, headers=headers, timeout=10)


def test_http_upsert_sample(base: str) -> None:
    response = upsert_http_sample(base)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"created": ["image1", "image2"], "updated": [], "errors": {}}
    assert upsert_http_sample(base).json() == {
        "created": [],
        "updated": ["image1", "image2"],
        "errors": {},
    }


Files = list[tuple[str, tuple[str | None, str | bytes, str]]]  # requests' multipart parts


def test_python_upsert_sample_corrected(base: str) -> None:
    files: Files = [
        ("images", (None, json.dumps(EXAMPLE_IMAGES), "application/json")),
        ("files", ("image1.jpg", jpeg(1), "image/jpeg")),
        ("files", ("image2.jpg", jpeg(2), "image/jpeg")),
    ]
    response = requests.post(f"{base}/1/catalog/images", files=files, headers=AUTH, timeout=10)
    assert response.json() == {"created": ["image1", "image2"], "updated": [], "errors": {}}


def test_js_upsert_sample_with_unnamed_blobs(base: str) -> None:
    """``FormData.append('files', blob)`` names every file ``blob``: paired by position."""
    files: Files = [
        ("images", (None, json.dumps(EXAMPLE_IMAGES), "application/json")),
        ("files", ("blob", jpeg(1), "image/jpeg")),
        ("files", ("blob", jpeg(2), "image/jpeg")),
    ]
    response = requests.post(f"{base}/1/catalog/images", files=files, headers=AUTH, timeout=10)
    assert response.json()["created"] == ["image1", "image2"]
    assert get(base, "/1/catalog/images/image2/original").content == jpeg(2)


@pytest.mark.parametrize(
    "info",
    [
        "searchable",
        "display",
        "searchable display",
        "display position=3",
        "display position=0",
        "display searchable",
    ],
)
def test_info_examples_are_accepted(base: str, info: str) -> None:
    files: Files = [
        (
            "images",
            (
                None,
                json.dumps([{"image_id": "i", "part_id": PART, "info": info}]),
                "application/json",
            ),
        ),
        ("files", ("i.jpg", jpeg(), "image/jpeg")),
    ]
    response = requests.post(f"{base}/1/catalog/images", files=files, headers=AUTH, timeout=10)
    assert response.json()["created"] == ["i"]
    got = requests.get(f"{base}/1/catalog/images/i", headers=AUTH, timeout=10).json()
    assert got["info"] == info


def get(base: str, path: str, method: str = "GET", body: Any = None) -> requests.Response:
    return requests.request(method, base + path, json=body, headers=AUTH, timeout=10)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/1/catalog/image/image1"),  # the HTTP sample: singular
        ("GET", "/1/catalog/images/image1"),  # the Python and JS samples: plural
        ("POST", "/1/catalog/images/image1"),  # the heading: POST
    ],
)
def test_get_one_samples(base: str, method: str, path: str) -> None:
    upsert_http_sample(base)
    response = get(base, path, method)
    assert (response.status_code, response.json()) == (200, EXAMPLE_IMAGES[0])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/1/catalog/image/image2/original"),
        ("GET", "/1/catalog/images/image2/original"),
        ("POST", "/1/catalog/images/image2/original"),
    ],
)
def test_original_samples(base: str, method: str, path: str) -> None:
    upsert_http_sample(base)
    response = get(base, path, method)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.content == jpeg(2)


def test_list_sample_with_paging(base: str) -> None:
    upsert_http_sample(base)
    body: dict[str, Any] = {
        "query": {"part_ids": [PART]},
        "paging": {"limit": 1},
        "projection": ["part_id", "info"],
    }
    results: list[dict[str, Any]] = []
    while True:
        page = get(base, "/1/catalog/images/list", "POST", body).json()
        results += page["result"]
        if not page["more_data"]:
            break
        body["paging"]["last_object_id"] = page["last_object_id"]
    assert results == EXAMPLE_IMAGES


def test_select_sample(base: str) -> None:
    upsert_http_sample(base)
    body = {"image_ids": ["image1", "image2", "image3"], "projection": ["part_id", "info"]}
    response = get(base, "/1/catalog/images/select", "POST", body)
    assert (response.status_code, response.json()) == (200, EXAMPLE_IMAGES)


def test_delete_sample(base: str) -> None:
    upsert_http_sample(base)
    response = requests.delete(
        f"{base}/1/catalog/images", json=["image1"], headers=AUTH, timeout=10
    )
    assert (response.status_code, response.json()) == (200, {"deleted": ["image1"], "errors": {}})
    assert get(base, "/1/catalog/images/image1").status_code == 404


def test_a_catalog_never_imported_has_no_last_import() -> None:
    emulator = PartiumEmulator()
    emulator.seed(0, 2)
    status = emulator.lifecycle.status(2.0, 0.0)
    assert status == {
        "status": "clean",
        "details": None,
        "last_import": None,
        "pending_import": False,
    }


def test_catalog_samples(base: str) -> None:
    assert get(base, "/1/catalog").json() == {
        "name": "Emulated catalog",
        "available_languages": ["en", "de"],
    }
    status = get(base, "/1/catalog/status").json()
    assert set(status) == {"status", "details", "last_import", "pending_import"}
    assert set(status["last_import"]) == {"state", "created_at", "started_at", "finished_at"}
