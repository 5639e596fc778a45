"""Thumbnails and pixel sizes of spooled images (placeholder until the full module lands)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image


def pixel_size(path: Path) -> tuple[int, int] | None:
    try:
        with Image.open(path) as image:
            return image.size
    except Exception:
        return None


def make_thumbnail(path: Path, *, max_side: int = 96, quality: int = 60) -> str | None:
    try:
        with Image.open(path) as image:
            image.thumbnail((max_side, max_side))
            out = io.BytesIO()
            image.convert("RGB").save(out, "WEBP", quality=quality)
    except Exception:
        return None
    return "data:image/webp;base64," + base64.b64encode(out.getvalue()).decode()
