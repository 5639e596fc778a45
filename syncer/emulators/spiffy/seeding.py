"""Deterministic products and collections for seeding: names, handles, variations, timestamps.

Everything comes from the ``random.Random`` handed in and the owner's index, never from the clock,
so the same seed value gives the same catalog.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from syncer.emulators.base import SEED_EPOCH, iso
from syncer.emulators.spiffy.catalog import PRODUCTS, STANDARD, SUPER

#: Owners by index: three products, then a standard and a super collection, repeating.
KIND_CYCLE = (PRODUCTS, PRODUCTS, PRODUCTS, STANDARD, SUPER)
#: Every 50th owner from index 7 is a product named by a year, so its handle is all digits.
NUMERIC_HANDLE_EVERY = 50
NUMERIC_HANDLE_AT = 7

ADJECTIVES = (
    "Blue",
    "Rustic",
    "Classic",
    "Organic",
    "Vintage",
    "Handmade",
    "Compact",
    "Deluxe",
    "Linen",
    "Bamboo",
    "Copper",
    "Woollen",
)
NOUNS = (
    "Mug",
    "Lamp",
    "Scarf",
    "Teapot",
    "Notebook",
    "Backpack",
    "Candle",
    "Planter",
    "Blanket",
    "Bowl",
    "Clock",
    "Apron",
)
THEMES = (
    "Summer",
    "Winter",
    "Kitchen",
    "Garden",
    "Gifts",
    "Sale",
    "New Arrivals",
    "Bestsellers",
    "Home",
    "Outdoor",
)
VENDORS = ("Acme Goods", "Northwind", "Harbour & Co", "Little Workshop")
VARIATIONS = ("Small", "Medium", "Large", "Red", "Green", "Black", "White")
SORT_ORDERS = ("manual", "alpha-asc", "best-selling", "created-desc")


def kind_for(index: int) -> str:
    return KIND_CYCLE[index % len(KIND_CYCLE)]


def slugify(title: str) -> str:
    """A storefront handle: lower case, runs of other characters become one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "item"


def title_for(kind: str, index: int, rng: random.Random) -> str:
    if kind == PRODUCTS:
        if index % NUMERIC_HANDLE_EVERY == NUMERIC_HANDLE_AT:
            return str(rng.randrange(1900, 2100))
        return f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
    theme = rng.choice(THEMES)
    return f"{theme} Collection" if kind == STANDARD else f"All {theme}"


def seeded_created_at(index: int) -> str:
    """Owners predate the seeded images (which start at the seed epoch)."""
    return iso(SEED_EPOCH - timedelta(days=1) + timedelta(minutes=index))


def owner_fields(
    kind: str,
    title: str,
    handle: str,
    rng: random.Random,
    stamp: str,
    new_variation_id: Callable[[], int],
) -> dict[str, Any]:
    """The JSON fields of a product or collection (``id`` and ``images`` are added on output)."""
    fields: dict[str, Any] = {"title": title, "handle": handle, "body_html": f"<p>{title}</p>"}
    if kind == PRODUCTS:
        fields.update(vendor=rng.choice(VENDORS), product_type=title.split()[-1], tags="")
    else:
        fields["sort_order"] = rng.choice(SORT_ORDERS)
    fields.update(created_at=stamp, updated_at=stamp, published_at=stamp)
    if kind == PRODUCTS:
        fields["variations"] = [
            {"id": new_variation_id(), "title": name, "position": number}
            for number, name in enumerate(rng.sample(VARIATIONS, rng.randrange(1, 4)), start=1)
        ]
    return fields


def image_filename(handle: str, index: int, extension: str, rng: random.Random) -> str:
    """A plausible uploaded name: a handle-based one, a camera name, or one with spaces."""
    style = rng.randrange(4)
    if style == 0:
        return f"IMG_{rng.randrange(1000, 10000)}.{extension.upper()}"
    if style == 1:
        return f"{handle} photo {index + 1}.{extension}"
    return f"{handle}-{index + 1}.{extension}"


def image_alt(title: str, rng: random.Random) -> str:
    return "" if rng.random() < 0.3 else f"{title}, view {rng.randrange(1, 6)}"


def variation_pick(variations: list[dict[str, Any]], rng: random.Random) -> list[int]:
    """Now and then an image belongs to one of the product's variations."""
    if not variations or rng.random() >= 0.3:
        return []
    return [int(rng.choice(variations)["id"])]
