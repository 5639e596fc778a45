"""The pure pieces: rate windows, Base64 and URL checks, and the position rules."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncer.emulators.base import EmulatedError
from syncer.emulators.faults import TokenBucket
from syncer.emulators.spiffy.catalog import SpiffyCatalog
from syncer.emulators.spiffy.ratelimit import FixedWindow, bucket_state, xmlschema
from syncer.emulators.spiffy.uploads import decode_attachment, loopback_url
from syncer.emulators.store import CatalogStore, Owner, StoredImage
from tests.emulators.spiffy.helpers import image_bytes, ruby_encode64


def test_fixed_window_counts_like_rack_ratelimit() -> None:
    window = FixedWindow()
    first = window.hit(500, 300, now=1417146001.0)
    assert json.loads(first.header()) == {
        "name": "API",
        "period": 300,
        "limit": 500,
        "remaining": 500,
        "until": "2014-11-28T03:45:00Z",
    }
    assert [window.hit(500, 300, now=1417146002.0).remaining for _ in range(4)] == [
        499,
        498,
        497,
        496,
    ]
    rolled = window.hit(500, 300, now=1417146301.0)
    assert (rolled.remaining, xmlschema(rolled.until)) == (500, "2014-11-28T03:50:00Z")


def test_bucket_state_reads_the_base_token_bucket() -> None:
    bucket = TokenBucket(rate=2.0, stamp=100.0)
    assert bucket.take(now=100.0) == 0.0
    state = bucket_state(bucket, now=1000.0)
    assert (state.limit, state.period, state.remaining) == (2, 1, 1)
    assert state.until == 1001.0


def test_ruby_encode64_attachments_decode() -> None:
    data = image_bytes("png", size=(40, 40))
    assert "\n" in ruby_encode64(data)
    assert decode_attachment(ruby_encode64(data)) == data
    assert decode_attachment(ruby_encode64(data).replace("=", "")) == data


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8104/a.png", "http://127.0.0.1:8104/a.png"),
        ("http://localhost:9/a.png", "http://127.0.0.1:9/a.png"),
        ("http://[::1]:9/a.png", "http://[::1]:9/a.png"),
        ("https://127.5.6.7/a.png", "https://127.5.6.7/a.png"),
    ],
)
def test_loopback_urls_are_accepted(url: str, expected: str) -> None:
    assert str(loopback_url(url)) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/a.png",
        "http://192.168.1.2/a.png",
        "http://0.0.0.0/a.png",
        "http://127.0.0.1.nip.io/a.png",
        "file:///etc/passwd",
        "",
        7,
        "not a url",
    ],
)
def test_other_urls_are_refused_before_any_fetch(url: object) -> None:
    with pytest.raises(EmulatedError) as caught:
        loopback_url(url)
    assert caught.value.status == 422
    assert "src" in caught.value.body["errors"]


# -- positions: a model list against the catalog, over random operation sequences -----------

Operation = tuple[str, int]
operations = st.lists(
    st.tuples(
        st.sampled_from(["insert", "append", "move", "remove"]),
        st.integers(min_value=-2, max_value=12),
    ),
    max_size=25,
)


def fresh_catalog() -> tuple[SpiffyCatalog, Owner]:
    store = CatalogStore()
    owner = store.put_owner(Owner(id="1", kind="products", fields={"handle": "p"}))
    return SpiffyCatalog(store), owner


def new_image(catalog: SpiffyCatalog, owner: Owner) -> StoredImage:
    number = str(catalog.allocate("image"))
    return StoredImage(
        id=number,
        owner=owner.id,
        filename=f"{number}.png",
        mime="image/png",
        size=1,
        sha256="0",
        created_at="",
        updated_at="",
        fields={"position": 0},
    )


def apply(catalog: SpiffyCatalog, owner: Owner, model: list[str], op: Operation) -> None:
    """Apply one operation to the catalog and to the plain-list model of Spiffy's rules."""
    name, number = op
    clamp = max(1, number)
    if name in ("insert", "append"):
        image = new_image(catalog, owner)
        catalog.insert(image, clamp if name == "insert" else None)
        index = min(clamp, len(model) + 1) - 1 if name == "insert" else len(model)
        model.insert(index, image.id)
    elif model:
        chosen = model[number % len(model)]
        image = catalog.store.images[chosen]
        if name == "move":
            catalog.move(image, clamp)
            model.remove(chosen)
            model.insert(min(clamp, len(model) + 1) - 1, chosen)
        else:
            catalog.remove(image)
            model.remove(chosen)


@settings(max_examples=60, deadline=None)
@given(operations)
def test_positions_stay_contiguous_and_follow_the_model(ops: list[Operation]) -> None:
    catalog, owner = fresh_catalog()
    model: list[str] = []
    for op in ops:
        apply(catalog, owner, model, op)
        images = catalog.images_of(owner.id)
        assert [image.id for image in images] == model
        assert [image.fields["position"] for image in images] == list(range(1, len(model) + 1))
