"""Partium image descriptions to canonical records and back; pure functions.

A Partium image is ``{"image_id", "part_id", "info"}`` plus its original bytes, nothing else (no
filename, type, size, checksum, timestamp or change token). So:

* ``key`` is the ``image_id``; ``owner`` the ``part_id``; ``version`` is None (no change token);
  ``url`` the ``/original`` route; ``filename`` the ``image_id`` (Partium keeps no filename).
* ``roles`` are the ``info`` flags ``searchable``/``display``; ``position`` comes from
  ``position=N``. Tokens we do not know stay in ``extra["other_tokens"]`` (never sent back).

**Owner reference (as a target).** ``record.owner`` is the target's ``part_id`` verbatim, e.g.
``"part-0001"`` or ``"pump-7"``. The part type must already exist in the catalog: Partium refuses
an image under an unknown part type (an item error, not a request error).

**Image ids (as a target).** Ids are ours and derived from the source key, so an upsert replayed
after a crash overwrites instead of duplicating and ``find`` is one GET. :func:`image_id_for`:
a key made only of ``A-Z a-z 0-9 . _ -``, starting with a letter or digit, at most
:data:`MAX_SLUG` characters and not starting with :data:`HASH_PREFIX` is used as it is; any other
key becomes ``h-`` + the first 40 hex digits of its sha256 (Partium's id alphabet is undocumented,
so anything that may not survive a URL path segment, or a case-folding or length-limited store,
is hashed). The two forms cannot collide: plain keys never start with ``h-``. An optional prefix
(setting ``partium.id_prefix``) keeps the ids of two sources syncing into one catalog apart.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from syncer.records import ImageRecord

#: The ``info`` flags Partium's standard catalog configuration knows, in the order we write them.
FLAGS = ("searchable", "display")
POSITION = "position"
#: Longest source key used verbatim as an image id.
MAX_SLUG = 128
#: Marks an id made from a hash of the key.
HASH_PREFIX = "h-"
HASH_DIGITS = 40
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_DIGITS = re.compile(r"[0-9]+")
#: File extensions for the ``files`` part names ``<image_id>.<ext>``.
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}


class MappingError(ValueError):
    """A description or record that cannot be mapped (the message says which field and why)."""


# -- ids and paths -------------------------------------------------------------------------------


def image_id_for(key: str, prefix: str = "") -> str:
    """The Partium ``image_id`` for a source key: the key itself when safe, else a hash of it."""
    if not key:
        raise MappingError("a record without a key has no Partium image id")
    safe = len(key) <= MAX_SLUG and _SAFE.fullmatch(key) and not key.startswith(HASH_PREFIX)
    slug = key if safe else HASH_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:HASH_DIGITS]
    return prefix + slug


def image_path(image_id: str) -> str:
    """The get-one route of an image (the id quoted as one path segment)."""
    return f"/1/catalog/images/{quote(image_id, safe='')}"


def original_path(image_id: str) -> str:
    """The route serving an image's original bytes."""
    return image_path(image_id) + "/original"


def extension_for(mime: str) -> str:
    """The file extension used in a ``files`` part name for ``mime``."""
    return _EXTENSIONS.get(mime.lower(), mime.rpartition("/")[2].lower() or "bin")


# -- info tokens ---------------------------------------------------------------------------------


def parse_info(info: str) -> tuple[frozenset[str], int | None, tuple[str, ...]]:
    """``info`` as (roles, position, other tokens). Tokens are whitespace-separated and
    case-sensitive; a ``position=`` that is not a non-negative integer counts as other."""
    roles: set[str] = set()
    position: int | None = None
    other: list[str] = []
    for token in info.split():
        name, equals, value = token.partition("=")
        if token in FLAGS:
            roles.add(token)
        elif name == POSITION and equals and _DIGITS.fullmatch(value) and position is None:
            position = int(value)
        else:
            other.append(token)
    return frozenset(roles), position, tuple(other)


def info_for(roles: frozenset[str], position: int | None) -> str:
    """The ``info`` string for canonical roles and position.

    Only Partium's flags are written (other roles are dropped); ``position=N`` only with
    ``display`` and only when N >= 0, as Partium requires. The flags come in a fixed order, so
    the same record always gives the same string.
    """
    tokens = [flag for flag in FLAGS if flag in roles]
    if position is not None and position >= 0 and "display" in roles:
        tokens.append(f"{POSITION}={position}")
    return " ".join(tokens)


def same_info(left: str, right: str) -> bool:
    """Whether two ``info`` strings mean the same (token sets, not raw strings)."""
    return set(left.split()) == set(right.split())


# -- descriptions <-> records --------------------------------------------------------------------


def to_record(description: Any, base_url: str) -> ImageRecord:
    """A listed image description as a canonical record (``base_url`` builds its ``url``)."""
    if not isinstance(description, Mapping):
        raise MappingError(f"an image description must be an object, got {description!r:.80}")
    image_id = description.get("image_id")
    part_id = description.get("part_id")
    info = description.get("info")
    if not isinstance(image_id, str) or not image_id:
        raise MappingError(f"image_id must be a non-empty string, got {image_id!r:.80}")
    if not isinstance(part_id, str) or not part_id:
        raise MappingError(f"image {image_id!r}: part_id must be a non-empty string")
    if info is None:
        info = ""
    if not isinstance(info, str):
        raise MappingError(f"image {image_id!r}: info must be a string, got {info!r:.80}")
    roles, position, other = parse_info(info)
    return ImageRecord(
        key=image_id,
        owner=part_id,
        filename=image_id,
        position=position,
        roles=roles,
        version=None,
        url=base_url.rstrip("/") + original_path(image_id),
        extra={"info": info, "other_tokens": list(other)},
    )


def to_description(record: ImageRecord, image_id: str) -> dict[str, str]:
    """The upsert entry ``{"image_id", "part_id", "info"}`` for a record bound for Partium.

    ``record.owner`` is the target part type's id; a record without one cannot be written.
    """
    if not record.owner:
        raise MappingError(f"record {record.key!r} has no owner (the target part_id)")
    return {
        "image_id": image_id,
        "part_id": record.owner,
        "info": info_for(record.roles, record.position),
    }


def matches(description: Mapping[str, Any], wanted: Mapping[str, str]) -> bool:
    """Whether a stored description already says what ``wanted`` (an upsert entry) says."""
    return (
        description.get("image_id") == wanted["image_id"]
        and description.get("part_id") == wanted["part_id"]
        and isinstance(description.get("info", ""), str)
        and same_info(str(description.get("info") or ""), wanted["info"])
    )
