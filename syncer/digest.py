"""One stable digest for everything syncer compares across runs (temporary: replaced by i10-misc)."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot digest {type(value).__name__}")


_ENCODER = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, sort_keys=True, default=_default
)


def stable_digest(value: object) -> str:
    return hashlib.blake2b(_ENCODER.encode(value).encode(), digest_size=16).hexdigest()
