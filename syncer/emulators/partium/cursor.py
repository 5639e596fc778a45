"""The keyset cursor of the image list: an opaque ``last_object_id``.

Partium's cursor is a "unique_object_id", not an image id. Ours looks like a MongoDB ObjectId
(24 lowercase hex digits) and encodes the store's insertion sequence number of the last image
returned, scrambled (an invertible multiplication modulo 2**64) so that clients treat it as
opaque. Paging "after" a sequence number neither replays nor skips images when others are added,
updated (they keep their place) or deleted.
"""

from __future__ import annotations

import re

from syncer.emulators.base import SEED_EPOCH

#: The ObjectId "timestamp" part: the seed epoch, in seconds.
_STAMP = f"{int(SEED_EPOCH.timestamp()):08x}"
_MODULUS = 1 << 64
_FACTOR = 0x9E3779B97F4A7C15  # odd, so invertible modulo 2**64
_INVERSE = pow(_FACTOR, -1, _MODULUS)
_SHAPE = re.compile(r"[0-9a-f]{24}")


def encode_cursor(seq: int) -> str:
    """The ``last_object_id`` naming the image with store sequence number ``seq``."""
    return f"{_STAMP}{seq * _FACTOR % _MODULUS:016x}"


def decode_cursor(token: str) -> int | None:
    """The sequence number inside a cursor we issued, or None when it is not one of ours."""
    if not _SHAPE.fullmatch(token) or not token.startswith(_STAMP):
        return None
    return int(token[8:], 16) * _INVERSE % _MODULUS
