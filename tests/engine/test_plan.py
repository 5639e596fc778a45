"""The planner, on plain values: every rule of DESIGN §8, and the max-delete guard."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncer.digest import digest_parts, stable_digest
from syncer.engine.plan import (
    MAX_PUSHED_META,
    PENDING,
    SOFT_DELETE,
    Action,
    OnOversize,
    TargetPolicy,
    delete_guard,
    legacy_meta_hash,
    meta_hash,
    metadata_of,
    needs_bytes,
    plan_basis,
    plan_delete,
    plan_item,
    pushed_json,
)
from syncer.records import ImageRecord
from syncer.vendors import VENDORS, client_class
from syncer.vendors.contract import Capabilities

SPIFFY_LIKE = Capabilities(
    vendor="spiffy",
    accepted_mimes=frozenset({"image/png", "image/jpeg"}),
    max_bytes=1000,
    updatable_fields=frozenset({"alt", "position"}),
    replace_keeps_id=False,
)
PARTIUM_LIKE = Capabilities(
    vendor="partium",
    accepted_mimes=None,
    max_bytes=None,
    updatable_fields=frozenset({"owner", "roles", "position"}),
    replace_keeps_id=True,
    update_moves_owner=True,
)
SHOP = TargetPolicy("shop", SPIFFY_LIKE)


@dataclass(frozen=True)
class Link:
    target_id: str
    sha256: str | None
    meta_hash: str
    pushed_meta: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Item:
    version: str | None
    sha256: str | None


def record(**changes: object) -> ImageRecord:
    base = ImageRecord(
        key="k1",
        owner="products/1",
        filename="a.png",
        mime="image/png",
        size=500,
        sha256="aa",
        alt="front",
        version="v1",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def link_for(rec: ImageRecord, target_id: str = "t1") -> Link:
    return Link(target_id, rec.sha256, meta_hash(rec))


def test_a_new_item_is_created() -> None:
    planned = plan_item(record(), None, SHOP)
    assert (planned.action, planned.reason) == (Action.CREATE, "new item")
    assert planned.meta_hash == meta_hash(record())


def test_an_unchanged_item_is_skipped_as_unchanged() -> None:
    rec = record()
    planned = plan_item(rec, link_for(rec), SHOP)
    assert (planned.action, planned.reason, planned.target_id) == (Action.SKIP, "unchanged", "t1")


def test_an_item_with_an_op_still_open_is_not_planned_again() -> None:
    old = record()
    for changed, link in ((record(), None), (record(sha256="bb"), link_for(old))):
        planned = plan_item(changed, link, SHOP, pending=True)
        assert (planned.action, planned.reason) == (Action.SKIP, PENDING)
    assert plan_item(record(), None, SHOP).action is Action.CREATE


def test_new_bytes_are_a_replace_of_the_linked_item() -> None:
    old = record()
    planned = plan_item(record(sha256="bb"), link_for(old), SHOP)
    assert (planned.action, planned.target_id) == (Action.REPLACE, "t1")


def test_an_updatable_field_change_is_an_update_naming_it() -> None:
    old = record()
    planned = plan_item(record(alt="back"), link_for(old), SHOP, metadata_of(old))
    assert planned.action is Action.UPDATE
    assert planned.changed == ("alt",)


def test_a_field_the_target_cannot_update_is_reported_not_pushed() -> None:
    old = record()
    planned = plan_item(record(title="New title"), link_for(old), SHOP, metadata_of(old))
    assert planned.action is Action.SKIP
    assert planned.reason == "title changed, which shop cannot update"


def test_an_owner_change_moves_the_item_where_update_cannot_move_it() -> None:
    old = record()
    link = replace(link_for(old), pushed_meta=metadata_of(old))  # the link knows the old owner
    planned = plan_item(record(owner="products/2", alt="back"), link, SHOP)
    assert (planned.action, planned.target_id, planned.moves_owner) == (Action.REPLACE, "t1", True)
    assert "owner changed (products/1 → products/2)" in planned.reason
    assert planned.changes() == {"owner": ("products/1", "products/2"), "alt": ("front", "back")}
    both = plan_item(record(owner="products/2", sha256="bb"), link, SHOP)  # new bytes too
    assert (both.action, both.moves_owner) == (Action.REPLACE, True)


def test_an_owner_change_is_an_update_where_update_moves_the_item() -> None:
    old = record()
    link = replace(link_for(old), pushed_meta=metadata_of(old))
    planned = plan_item(record(owner="p2"), link, TargetPolicy("parts", PARTIUM_LIKE))
    assert (planned.action, planned.moves_owner, planned.changed) == (
        Action.UPDATE,
        False,
        ("owner",),
    )
    assert planned.changes() == {"owner": ("products/1", "p2")}


def test_a_link_without_its_old_metadata_is_updated_never_moved_blind() -> None:
    old = record()  # a link from before links kept their metadata: only the hash is known
    planned = plan_item(record(owner="products/2"), link_for(old), SHOP)
    assert (planned.action, planned.moves_owner, planned.reason) == (
        Action.UPDATE,
        False,
        "metadata changed",
    )
    assert planned.changes() == {}


def test_metadata_is_compared_exactly_through_the_pushed_metadata_when_the_link_has_it() -> None:
    """The link's own ``meta_hash`` does not count then: one from another algorithm (an older
    release's) neither hides a change nor makes one up."""
    old = record()
    stale = Link("t1", old.sha256, "a digest from another algorithm", metadata_of(old))
    assert plan_item(old, stale, SHOP).reason == "unchanged"
    changed = plan_item(
        record(alt="back"), replace(stale, meta_hash=meta_hash(record(alt="back"))), SHOP
    )
    assert (changed.action, changed.changed) == (Action.UPDATE, ("alt",))


def test_a_link_without_pushed_metadata_is_compared_by_either_digest() -> None:
    """A link an older release wrote without its metadata keeps that release's hash: it still
    reads as unchanged, so an upgrade does not update every such item."""
    old = record(roles=frozenset({"main", "zoom"}), title="Tête")
    for digest in (meta_hash(old), legacy_meta_hash(old)):
        assert plan_item(old, Link("t1", old.sha256, digest), SHOP).reason == "unchanged"
    assert legacy_meta_hash(old) != meta_hash(old)
    for digest in ("", "0" * 32):
        changed = plan_item(old, Link("t1", old.sha256, digest), SHOP)
        assert (changed.action, changed.reason) == (Action.UPDATE, "metadata changed")


def test_the_link_digests_are_the_one_stable_digest() -> None:
    assert meta_hash(record()) == stable_digest(metadata_of(record()))
    assert plan_basis("d1", "s1") == digest_parts("s1", "d1")
    assert len({plan_basis("d1", "s1"), plan_basis("d2", "s1"), plan_basis("d1", "s2")}) == 3


def test_the_metadata_kept_on_a_link_is_bounded() -> None:
    assert json.loads(pushed_json(record()) or "") == metadata_of(record())
    assert pushed_json(record(alt="x" * (MAX_PUSHED_META + 1))) is None


def test_a_refused_type_is_converted_or_skipped_by_policy() -> None:
    webp = record(mime="image/webp")
    assert plan_item(webp, None, SHOP).convert_to == "image/png"
    no_convert = TargetPolicy("shop", SPIFFY_LIKE, convert_to=None)
    skipped = plan_item(webp, None, no_convert)
    assert (skipped.action, skipped.reason) == (Action.SKIP, "shop does not take image/webp")


def test_an_oversize_file_is_skipped_or_shrunk_by_policy() -> None:
    big = record(size=5000)
    skipped = plan_item(big, None, SHOP)
    assert skipped.action is Action.SKIP
    assert "5000 bytes is over shop's limit of 1000" in skipped.reason
    shrink = TargetPolicy("shop", SPIFFY_LIKE, on_oversize=OnOversize.SHRINK)
    assert plan_item(big, None, shrink).shrink_to == 1000


def test_an_unmapped_owner_is_skipped_with_a_reason() -> None:
    planned = plan_item(record(owner=""), None, SHOP)
    assert (planned.action, planned.reason) == (Action.SKIP, "no target owner mapped for this item")


def test_deletes_only_touch_linked_items() -> None:
    assert plan_delete("k1", None, SHOP).action is Action.SKIP
    planned = plan_delete("k1", Link("t9", "aa", "m"), SHOP)
    assert (planned.action, planned.target_id) == (Action.DELETE, "t9")


def test_a_delete_on_a_target_that_only_disables_says_so_in_its_plan() -> None:
    hard = plan_delete("k1", Link("t9", "aa", "m"), SHOP)
    soft = plan_delete(
        "k1", Link("t9", "aa", "m"), TargetPolicy("moov", replace(SPIFFY_LIKE, soft_delete=True))
    )
    assert hard.reason == "gone at the source"
    assert (soft.action, soft.reason) == (Action.DELETE, f"gone at the source ({SOFT_DELETE})")


@pytest.mark.parametrize(
    ("version", "prior", "expected"),
    [
        ("v1", Item("v1", "aa"), False),  # same token, hash known: no download
        ("v2", Item("v1", "aa"), True),  # token moved: read and hash
        (None, Item(None, "aa"), True),  # no token (Partium): always hash
        ("v1", Item("v1", None), True),  # never hashed
        ("v1", None, True),  # never seen
    ],
)
def test_bytes_are_read_only_when_the_token_cannot_vouch(
    version: str | None, prior: Item | None, expected: bool
) -> None:
    assert needs_bytes(record(sha256=None, version=version), prior) is expected


def test_a_record_whose_hash_the_vendor_gives_needs_no_read() -> None:
    assert not needs_bytes(record(sha256="cc"), None)


def test_delete_guard_by_count_and_by_percent() -> None:
    assert delete_guard(5, 100, max_count=10, max_percent=None) is None
    assert delete_guard(11, 100, max_count=10, max_percent=None) == (
        "11 deletes exceed the limit of 10 per run"
    )
    reason = delete_guard(30, 100, max_count=None, max_percent=20.0)
    assert reason == "30 deletes are 30.0% of 100 items, over the 20.0% limit"
    assert delete_guard(100, 0, max_count=None, max_percent=1.0) is None


@given(
    alt=st.text(max_size=20),
    title=st.none() | st.text(max_size=20),
    roles=st.frozensets(st.sampled_from(["display", "searchable"])),
)
def test_meta_hash_changes_exactly_when_metadata_does(
    alt: str, title: str | None, roles: frozenset[str]
) -> None:
    rec = record(alt=alt, title=title, roles=roles)
    assert meta_hash(rec) == meta_hash(replace(rec, sha256="other", version="v9"))
    assert (meta_hash(rec) == meta_hash(record())) == (metadata_of(rec) == metadata_of(record()))


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_a_vendor_moves_owners_by_update_exactly_when_owner_is_updatable(vendor: str) -> None:
    caps = client_class(vendor).capabilities
    assert caps.update_moves_owner == ("owner" in caps.updatable_fields)
    assert caps.update_moves_owner == (vendor == "partium")  # the specs: only a part_id moves
