"""Deterministic seed data: folder names, header names and file names drawn from a seeded RNG."""

from __future__ import annotations

import random
import re
import uuid

FOLDER_NAMES = (
    "Prints",
    "Graphics",
    "Photography",
    "Logos",
    "Sketches",
    "Trims",
    "Textures",
    "Campaigns",
    "Lookbook",
    "Archive",
)
_ADJECTIVES = (
    "Coral",
    "Indigo",
    "Sage",
    "Ivory",
    "Charcoal",
    "Saffron",
    "Teal",
    "Blush",
    "Ochre",
    "Slate",
    "Olive",
    "Crimson",
)
_SUBJECTS = (
    "Floral Print",
    "Stripe",
    "Paisley",
    "Logo Lockup",
    "Camo",
    "Gingham",
    "Botanical",
    "Houndstooth",
    "Tie Dye",
    "Geometric",
    "Polka Dot",
    "Hang Tag",
)
_KEYWORDS = ("spring", "summer", "fall", "holiday", "core", "capsule", "basics", "resort")


def guid(rng: random.Random) -> str:
    """A version-4 GUID drawn from ``rng`` (never from the OS), so seeds are reproducible."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def folder_name(index: int) -> str:
    base = FOLDER_NAMES[index % len(FOLDER_NAMES)]
    rounds = index // len(FOLDER_NAMES)
    return f"{base} {rounds + 1}" if rounds else base


def header_name(rng: random.Random) -> str:
    return f"{rng.choice(_ADJECTIVES)} {rng.choice(_SUBJECTS)}"


def keywords(rng: random.Random) -> str:
    return ", ".join(rng.sample(_KEYWORDS, 2))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
