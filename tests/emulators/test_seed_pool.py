"""The pooled seeding fast path (``seed_pooled(count, K)``) for benchmarks of large catalogs:
every image is still its own item, only the bytes repeat, and the plain path is unchanged."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from syncer.emulators import emulator_class
from syncer.emulators.store import CatalogStore


@pytest.mark.parametrize("vendor", ["spiffy", "beproduct", "moov", "partium"])
def test_pooled_seed_makes_distinct_items_from_few_images(vendor: str) -> None:
    emulator = emulator_class(vendor)()
    emulator.seed_pooled(250, 7, 5 if vendor != "moov" else 1, seed_value=3)
    images = list(emulator.store.iter_images())
    assert len(images) == len(emulator.store) == 250
    assert len({image.id for image in images}) == 250  # distinct items, distinct ids
    assert len({image.sha256 for image in images}) == 7  # the bytes come from the pool
    assert len({image.created_at for image in images}) == 250
    for image in images:  # each item's bytes are the stored blob it names
        assert hashlib.sha256(emulator.store.data(image)).hexdigest() == image.sha256
        assert image.size == len(emulator.store.data(image))


def test_pooled_seed_is_deterministic_and_spreads_over_owners() -> None:
    first, second = emulator_class("spiffy")(), emulator_class("spiffy")()
    for emulator in (first, second):
        emulator.seed_pooled(120, 5, 4, seed_value=9)
    one = [(i.id, i.owner, i.sha256, i.filename) for i in first.store.iter_images()]
    two = [(i.id, i.owner, i.sha256, i.filename) for i in second.store.iter_images()]
    assert one == two
    assert {owner for _, owner, _, _ in one} == set(first.store.owners)


def test_plain_seed_is_unchanged_by_the_fast_path() -> None:
    plain, pooled = emulator_class("spiffy")(), emulator_class("spiffy")()
    plain.seed(6, 2, seed_value=4)
    pooled.seed_pooled(6, 6, 2, seed_value=4)  # a pool as large as the catalog
    assert [i.sha256 for i in plain.store.iter_images()] == [
        i.sha256 for i in pooled.store.iter_images()
    ]


def test_a_pool_needs_at_least_one_image() -> None:
    with pytest.raises(ValueError, match="distinct"):
        emulator_class("spiffy")().seed_pooled(3, 0, 1)


def test_persisted_store_still_journals_seeded_images(tmp_path: Path) -> None:
    emulator = emulator_class("spiffy")(store=CatalogStore(tmp_path))
    emulator.seed_pooled(20, 3, 2, seed_value=1)
    emulator.store.close()
    with CatalogStore(tmp_path) as reopened:
        assert [i.id for i in reopened.iter_images()] == [
            i.id for i in emulator.store.iter_images()
        ]
        assert len(reopened.owners) == 2


def test_after_a_pooled_seed_plain_seeding_generates_again() -> None:
    emulator = emulator_class("spiffy")()
    emulator.seed_pooled(10, 2, 1, seed_value=1)
    emulator.seed(10, 1, seed_value=2)
    assert len({i.sha256 for i in emulator.store.iter_images()}) == 12
