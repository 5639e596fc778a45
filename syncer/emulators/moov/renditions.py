"""Moov's public renditions: ``GET /images/{publicID}?size=WxH``.

Moov never serves the original bytes, only a resized copy: ``size=WxH`` (default ``400x400``);
one side 0 keeps the aspect ratio from the other; both sides given resize to exactly WxH; each
side is capped at 2048 px. The format is the stored one when the client's ``Accept`` allows it,
else the acceptable one the client prefers. The ETag names the stored bytes, the target size and
the format, so a 304 never needs the rendition itself.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import OrderedDict
from dataclasses import dataclass

from PIL import Image

from syncer.emulators.base import EmulatedError
from syncer.emulators.images import MIME, PIL_FORMAT

DEFAULT_SIZE = "400x400"
MAX_SIDE = 2048
#: Formats a rendition can be served in, in the order ties are broken.
SERVED_FORMATS = ("jpeg", "png", "webp")
_SIZE = re.compile(r"^(\d{1,9})[xX](\d{1,9})$")
_MIME_TO_FORMAT = {MIME[fmt]: fmt for fmt in SERVED_FORMATS}


def parse_size(raw: str | None) -> tuple[int, int]:
    """The requested ``(width, height)``, each capped at 2048; 0 means "proportional"."""
    match = _SIZE.match((raw if raw is not None else DEFAULT_SIZE).strip())
    if match is None:
        raise EmulatedError(400, f"invalid size {raw!r}: expected WxH, e.g. 400x400 or 300x0")
    width, height = (min(int(side), MAX_SIDE) for side in match.groups())
    if width == 0 and height == 0:
        raise EmulatedError(400, "invalid size '0x0': at least one side must be above 0")
    return width, height


def target_size(requested: tuple[int, int], original: tuple[int, int]) -> tuple[int, int]:
    """The rendition's pixel size for a requested size and the original's."""
    width, height = requested
    orig_w, orig_h = original
    if width and height:
        return width, height
    if width:
        height = round(orig_h * width / orig_w)
    else:
        width = round(orig_w * height / orig_h)
    scale = min(1.0, MAX_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _accept_weights(accept: str) -> dict[str, float]:
    """Quality per served format from an ``Accept`` header (most specific range wins)."""
    ranges: dict[str, float] = {}
    for item in accept.split(","):
        media, *params = (piece.strip() for piece in item.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            ranges[media.lower()] = quality
    weights = {}
    for fmt in SERVED_FORMATS:
        for candidate in (MIME[fmt], "image/*", "*/*"):
            if candidate in ranges:
                weights[fmt] = ranges[candidate]
                break
    return weights


def negotiate(accept: str | None, stored_fmt: str) -> str | None:
    """The format to serve: the stored one if acceptable, else the client's favourite."""
    if not accept or not accept.strip():
        return stored_fmt
    weights = {fmt: q for fmt, q in _accept_weights(accept).items() if q > 0}
    if stored_fmt in weights:
        return stored_fmt
    if not weights:
        return None
    best = max(weights.values())
    return next(fmt for fmt in SERVED_FORMATS if weights.get(fmt) == best)


def etag_for(sha256: str, size: tuple[int, int], fmt: str) -> str:
    digest = hashlib.sha256(f"{sha256}|{size[0]}x{size[1]}|{fmt}".encode()).hexdigest()
    return f'"{digest[:32]}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison, as RFC 9110 asks for ``If-None-Match``."""
    if not if_none_match:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)


def original_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def render(data: bytes, requested: tuple[int, int], fmt: str) -> bytes:
    """The rendition bytes (CPU-bound: call it from a worker thread)."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        size = target_size(requested, image.size)
        if fmt == "jpeg":
            picture = image.convert("RGB")
        else:
            picture = image.convert("RGBA" if _has_alpha(image) else "RGB")
        resized = picture.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    options: dict[str, object] = {"quality": 85} if fmt in ("jpeg", "webp") else {}
    resized.save(out, PIL_FORMAT[fmt], **options)
    return out.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


@dataclass(slots=True)
class Rendition:
    etag: str
    mime: str
    body: bytes


class RenditionCache:
    """Recently served renditions by ETag, bounded by their total size."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[str, Rendition] = OrderedDict()
        self._bytes = 0

    def get(self, etag: str) -> Rendition | None:
        rendition = self._items.get(etag)
        if rendition is None:
            self.misses += 1
            return None
        self.hits += 1
        self._items.move_to_end(etag)
        return rendition

    def put(self, rendition: Rendition) -> None:
        if rendition.etag in self._items or len(rendition.body) > self.max_bytes:
            return
        self._items[rendition.etag] = rendition
        self._bytes += len(rendition.body)
        while self._bytes > self.max_bytes:
            _, dropped = self._items.popitem(last=False)
            self._bytes -= len(dropped.body)

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0


def mime_of(fmt: str) -> str:
    return MIME[fmt]


def format_of(mime: str) -> str:
    return _MIME_TO_FORMAT.get(mime, "png")
