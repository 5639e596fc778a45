"""What each target vendor's listing shows back of the metadata syncer pushed."""

from __future__ import annotations

from syncer.records import ImageRecord
from syncer.vendors.echo import differences, target_meta

PUSHED = {
    "owner": "products/100001",
    "filename": "dir/mug.png",
    "alt": None,
    "title": "Mug",
    "position": 3,
    "roles": ["display", "zoom"],
}


def listed(**fields: object) -> ImageRecord:
    base: dict[str, object] = {"key": "1", "owner": "products/100001", "filename": "mug.png"}
    return ImageRecord(**{**base, **fields})  # type: ignore[arg-type]


def test_spiffy_compares_alt_file_name_and_an_owner_given_by_id() -> None:
    assert differences("spiffy", "k", PUSHED, listed(alt="", position=9)) == {}
    assert differences("spiffy", "k", PUSHED, listed(alt="new")) == {"alt": (None, "new")}
    moved = listed(owner="products/100002")
    assert differences("spiffy", "k", PUSHED, moved) == {
        "owner": ("products/100001", "products/100002")
    }
    by_handle = {**PUSHED, "owner": "products/blue-mug"}
    assert differences("spiffy", "k", by_handle, moved) == {}


def test_partium_compares_its_flags_and_a_position_only_with_display() -> None:
    shown = listed(owner="part-1", roles=frozenset({"display"}), position=3)
    pushed = {**PUSHED, "owner": "part-1"}
    assert differences("partium", "k", pushed, shown) == {}
    hidden = {**pushed, "roles": ["zoom"]}
    assert differences("partium", "k", hidden, listed(owner="part-1")) == {}
    assert differences("partium", "k", pushed, listed(owner="part-1")) == {
        "roles": (["display"], []),
        "position": (3, None),
    }


def test_beproduct_compares_the_title_it_was_given() -> None:
    pushed = {**PUSHED, "owner": "f-1", "title": None}
    assert differences("beproduct", "k", pushed, listed(owner="f-1", title="mug")) == {}
    assert differences("beproduct", "k", pushed, listed(owner="f-1", title="Cup")) == {
        "title": ("mug", "Cup")
    }


def test_moov_keeps_alt_text_only() -> None:
    pushed = {**PUSHED, "owner": "acct"}
    assert differences("moov", "k", pushed, listed(owner="acct", filename="x")) == {}


def test_a_repair_stores_the_targets_values_over_the_pushed_ones() -> None:
    meta = target_meta(PUSHED, {"alt": (None, "by hand")})
    assert meta == {**PUSHED, "alt": "by hand"}
