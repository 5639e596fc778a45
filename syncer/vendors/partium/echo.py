"""What a Partium listing shows back of what syncer pushed (:mod:`syncer.vendors.echo`): the part
type, the ``searchable``/``display`` flags and the position (written only with ``display``).
Partium keeps no file name, alt text or title."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncer.records import ImageRecord
from syncer.vendors.partium.mapping import FLAGS


def expected(key: str, pushed: Mapping[str, Any]) -> dict[str, Any]:
    roles = sorted(role for role in pushed.get("roles") or () if role in FLAGS)
    position = pushed.get("position")
    shows_position = "display" in roles and isinstance(position, int) and position >= 0
    return {
        "owner": pushed.get("owner"),
        "roles": roles,
        "position": position if shows_position else None,
    }


def shown(record: ImageRecord) -> dict[str, Any]:
    return {"owner": record.owner, "roles": sorted(record.roles), "position": record.position}
