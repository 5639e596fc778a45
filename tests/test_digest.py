"""The one stable digest (syncer.digest): what it is equal for, and what tells values apart."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncer.digest import canonical_json, digest_parts, stable_digest, target_digest

json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)


def test_it_is_blake2b_16_of_the_canonical_json() -> None:
    value = {"b": [1, 2], "a": "é", "c": None}
    assert canonical_json(value) == '{"a":"é","b":[1,2],"c":null}'
    expected = hashlib.blake2b(canonical_json(value).encode(), digest_size=16).hexdigest()
    assert stable_digest(value) == expected
    assert len(expected) == 32


@given(st.dictionaries(st.text(max_size=6), json_values, max_size=6))
def test_a_dict_digests_the_same_whatever_its_key_order(value: dict[str, object]) -> None:
    reordered = dict(reversed(list(value.items())))
    assert stable_digest(reordered) == stable_digest(value)


@given(st.frozensets(st.text(max_size=6), max_size=8))
def test_set_order_is_irrelevant_and_a_set_digests_as_its_sorted_list(
    members: frozenset[str],
) -> None:
    backwards = frozenset(sorted(members, reverse=True))
    assert stable_digest(members) == stable_digest(backwards) == stable_digest(sorted(members))
    assert stable_digest(set(members)) == stable_digest(members)


def test_mixed_set_members_are_ordered_by_their_own_text() -> None:
    assert stable_digest(frozenset({1, "1", None})) == stable_digest(frozenset({None, "1", 1}))


@given(json_values, json_values)
def test_distinct_values_have_distinct_digests(a: object, b: object) -> None:
    if canonical_json(a) != canonical_json(b):
        assert stable_digest(a) != stable_digest(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (1, "1"),
        (None, "null"),
        (True, 1),
        ([], {}),
        ({"a": 1}, {"a": 1.5}),
        (["a", "b"], ["ab"]),
        ({"roles": ["main"]}, {"roles": []}),
    ],
)
def test_values_that_look_alike_digest_apart(a: object, b: object) -> None:
    assert stable_digest(a) != stable_digest(b)


def test_tuples_are_lists_and_mappings_are_dicts() -> None:
    assert stable_digest((1, "a")) == stable_digest([1, "a"])
    assert stable_digest(MappingProxyType({"b": 1, "a": 2})) == stable_digest({"a": 2, "b": 1})


def test_parts_are_digested_as_a_list_so_joins_cannot_collide() -> None:
    assert digest_parts("salt", "d") == stable_digest(["salt", "d"])
    assert digest_parts("a:b", "c") != digest_parts("a", "b:c")


def test_target_facts_take_capabilities_as_asdict_gives_them() -> None:
    facts = {"vendor": "spiffy", "capabilities": {"mimes": frozenset({"image/png", "image/gif"})}}
    same = {"capabilities": {"mimes": ["image/gif", "image/png"]}, "vendor": "spiffy"}
    assert target_digest(facts) == target_digest(same)
    assert target_digest(facts) != target_digest({**facts, "vendor": "moov"})
    with pytest.raises(TypeError, match="dict"):
        target_digest([facts])  # type: ignore[arg-type]


def test_a_value_with_no_json_form_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="bytes has no canonical JSON form"):
        stable_digest({"a": b"x"})


def test_the_digest_is_the_same_in_another_process() -> None:
    """No ``hash()`` randomisation (PYTHONHASHSEED) reaches a digest: sets are sorted."""
    value = {"roles": frozenset({"main", "alt", "zoom", "swatch"}), "n": 1}
    code = (
        "from syncer.digest import stable_digest;"
        "print(stable_digest({'n': 1, 'roles': frozenset({'swatch', 'zoom', 'main', 'alt'})}))"
    )
    for seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PYTHONPATH": ":".join(sys.path)},
        )
        assert out.stdout.strip() == stable_digest(value)


@given(json_values | st.frozensets(st.text(max_size=4)) | st.tuples(json_values, json_values))
def test_the_reused_encoder_writes_what_the_reference_encoder_writes(value: object) -> None:
    """The digest's encoder is built once (the standard ``encode`` builds one per call): it must
    give the same text, or stored digests would change with the speed-up."""
    from syncer.digest import _ENCODER

    assert canonical_json(value) == _ENCODER.encode(value)
