"""The one digest syncer keeps in its state: blake2b (16 bytes, hex) of a canonical JSON text.

Every stored fingerprint (an item's record digest, a link's metadata hash and basis, a target's
salt) is compared with one computed by a later run, maybe by a later release: so there is one
algorithm and one encoding, defined here, and a value digests the same whatever the order of
its dict keys or set members. Canonical JSON: keys sorted, no spaces, non-ASCII kept as UTF-8
(not ``\\u`` escapes), tuples as lists, sets and frozensets as sorted lists, any other
``Mapping`` as a dict.

The encoder is built once at import: ``json.dumps`` with options builds a new one per call,
which costs more than the hashing on the hot path (a digest per listed item).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["DIGEST_SIZE", "canonical_json", "digest_parts", "stable_digest", "target_digest"]

#: Bytes of every digest (32 hex characters).
DIGEST_SIZE = 16


def _canonical(value: Any) -> Any:
    """What the encoder cannot encode itself, as what it can (called only for such values)."""
    if isinstance(value, set | frozenset):
        try:
            return sorted(value)
        except TypeError:  # members of mixed types: order them by their own canonical text
            return sorted(value, key=canonical_json)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} has no canonical JSON form: {value!r}")


#: The reference encoder. ``check_circular`` is off: digested values are plain data, and a
#: circular one fails with RecursionError instead.
_ENCODER = json.JSONEncoder(
    separators=(",", ":"),
    ensure_ascii=False,
    sort_keys=True,
    check_circular=False,
    default=_canonical,
)


def _fast_encoder() -> Callable[[object], str]:
    """``_ENCODER.encode`` without its per-call cost: ``JSONEncoder.encode`` builds a new C
    encoder on every call, which for a short value (a basis: two hex strings) is most of the
    digest's time. Built once here with the reference encoder's options, and checked against
    it; where the C encoder is missing or differs (another Python), the reference is used."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return _ENCODER.encode
    try:
        encode = make(
            None,
            _canonical,
            json.encoder.encode_basestring,
            None,
            ":",
            ",",
            True,
            False,
            True,
        )
    except TypeError:  # another signature
        return _ENCODER.encode

    def fast(value: object) -> str:
        return "".join(encode(value, 0))

    sample = {"b": [1, None, True, 2.5, 'é"\n'], "a": frozenset({"y", "x"}), "c": ("t",)}
    return fast if fast(sample) == _ENCODER.encode(sample) else _ENCODER.encode


_encode = _fast_encoder()


def canonical_json(value: object) -> str:
    """``value`` as canonical JSON text (what :func:`stable_digest` hashes)."""
    return _encode(value)


def stable_digest(value: object) -> str:
    """The digest of ``value``'s canonical JSON: equal for equal values, whatever the order of
    dict keys or set members, and across processes and releases (no ``hash()``, no pickling)."""
    return hashlib.blake2b(_encode(value).encode(), digest_size=DIGEST_SIZE).hexdigest()


def digest_parts(*parts: object) -> str:
    """The digest of several values taken together: :func:`stable_digest` of them as a list,
    so ``("a:b", "c")`` and ``("a", "b:c")`` never collide as joined text would."""
    return stable_digest(parts)


def target_digest(facts: dict[str, Any]) -> str:
    """The digest of what decides a target's plan apart from the record (its vendor,
    capabilities, mapping and choices: the engine's ``salt``). Capabilities may be passed as
    ``dataclasses.asdict`` gives them: their frozensets digest as sorted lists."""
    if not isinstance(facts, dict):
        raise TypeError(f"target facts are a dict, not {type(facts).__name__}")
    return stable_digest(facts)
