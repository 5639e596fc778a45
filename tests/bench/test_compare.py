"""``bench/compare.py``: the catalog it loads, the verification that must fail loudly, the
ratio it prints, and one tiny real run of each contender against fresh emulators."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import compare
from benchlib import admin

from syncer.emulators.images import sniff_format
from syncer.emulators.moov.views import FIRST_ACCOUNT
from syncer.emulators.process import emulator_process


def test_the_catalog_is_the_same_for_a_seed_distinct_and_only_what_moov_takes() -> None:
    first, again = compare.make_catalog(120, seed=3), compare.make_catalog(120, seed=3)
    assert [i.data for i in first] == [i.data for i in again]
    assert [i.data for i in first] != [i.data for i in compare.make_catalog(120, seed=4)]
    assert len({i.sha256 for i in first}) == 120  # Moov refuses repeated bytes
    assert {sniff_format(i.data) for i in first} <= set(compare.FORMATS)
    assert max(len(i.data) for i in first) > 1_000_000  # the large one of each hundred


def test_verification_refuses_a_missing_image_and_a_missing_alt_text() -> None:
    catalog = compare.make_catalog(3, seed=1)
    with emulator_process("moov", "--owners", "1") as moov:
        for image in catalog[:2]:
            body = {
                "owner": FIRST_ACCOUNT,
                "data_base64": base64.b64encode(image.data).decode(),
                "fields": {"altText": image.fields["description"]},
            }
            admin(moov.url, "/images", "POST", body)
        compare.verify_target(moov.url, catalog[:2], "test")
        with pytest.raises(compare.BenchError, match=r"2 images .* for 3 sent; 1 missing"):
            compare.verify_target(moov.url, catalog, "test")
        first = admin(moov.url, "/catalog")["images"][0]["id"]
        admin(moov.url, f"/images/{first}", "PATCH", {"fields": {"altText": None}})
        with pytest.raises(compare.BenchError, match="1 of the images in Moov lack their alt"):
            compare.verify_target(moov.url, catalog[:2], "test")


def test_the_ratio_is_the_script_time_over_syncers() -> None:
    runs = [
        compare.Run("aiohttp", 20.0, 2.0, 0.3, 0.4),
        compare.Run("syncer", 20.0, 4.0, 0.5, 0.7),
    ]
    assert compare.ratio(runs, 20.0) == 0.5
    assert compare.ratio(runs, 0.0) is None
    row = compare.table(runs, [20.0], ["aiohttp", "syncer"])[-1]
    assert row == "| 20 ms | 2.00 s | 4.00 s | 0.50× | 0.20 s |"


@pytest.mark.slow
@pytest.mark.parametrize("contender", compare.CONTENDERS)
def test_each_contender_copies_a_tiny_catalog_exactly(contender: str) -> None:
    run = compare.run_one(contender, 0.0, compare.make_catalog(3, seed=2), vendor_rate=False)
    assert run.requests["uploads"] == 3
    assert run.first_list is not None
    assert run.first_upload is not None
    assert 0 < run.first_list <= run.first_upload < run.seconds
