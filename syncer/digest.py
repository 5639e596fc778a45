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
from collections.abc import Mapping
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


_ENCODER = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, sort_keys=True, default=_canonical
)


def canonical_json(value: object) -> str:
    """``value`` as canonical JSON text (what :func:`stable_digest` hashes)."""
    return _ENCODER.encode(value)


def stable_digest(value: object) -> str:
    """The digest of ``value``'s canonical JSON: equal for equal values, whatever the order of
    dict keys or set members, and across processes and releases (no ``hash()``, no pickling)."""
    text = _ENCODER.encode(value)
    return hashlib.blake2b(text.encode(), digest_size=DIGEST_SIZE).hexdigest()


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
