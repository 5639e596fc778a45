"""The warnings a plan gives from its targets' constraints (DESIGN §8): owners over a display
limit and which images the target would hide, and uploads a soft-deleting target will refuse as
duplicates of what it only disabled. Pure functions of plain values."""

from __future__ import annotations

from typing import Any

from syncer.engine.targets import Target
from syncer.plans.model import Note

#: A display image: its owner, position (None: after the rest) and id on the target.
Shown = tuple[str, int | None, str]


def shown_image(owner: Any, position: Any, roles: Any, target_id: str) -> Shown | None:
    """The display image an item is on its target, or None when it is not one."""
    if not owner or "display" not in (roles or ()):
        return None
    return str(owner), position if isinstance(position, int) else None, target_id


def over_limit(target: str, shown: dict[str, Shown | None], limit: int) -> dict[str, str]:
    """Per owner over ``limit``, what the target would hide: by ascending position (those
    without one last), ties by id; beyond the limit, the highest positions go first."""
    by_owner: dict[str, list[tuple[str, Shown]]] = {}
    for key, image in shown.items():
        if image is not None:
            by_owner.setdefault(image[0], []).append((key, image))
    warnings = {}
    for owner, images in by_owner.items():
        if len(images) <= limit:
            continue
        images.sort(key=lambda item: (item[1][1] is None, item[1][1] or 0, item[1][2]))
        gone = [key for key, _ in images[limit:]]
        warnings[owner] = (
            f"{owner} on {target} would have {len(images)} display images; {target} shows "
            f"{limit} and hides {', '.join(gone[:10])}{' …' if len(gone) > 10 else ''}"
        )
    return warnings


def disabled_duplicate(target: Target) -> Note:
    return Note(
        "disabled_duplicate",
        f"{target.name} still keeps a disabled image with these bytes (syncer deleted it, and "
        f"{target.config.vendor} only disables): the upload will be refused as a duplicate",
    )
