"""Real, decodable image files for seeding emulators, and format sniffing.

Every generated image is different (seeded noise on a seeded gradient), so vendors that refuse
duplicate bytes (Moov) accept a whole seeded catalog. Generation is deterministic: the same
``random.Random`` state gives the same bytes.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from syncer.spool.sniff import HEAD_BYTES, sniff_mime

#: Our format names, their MIME types and file extensions.
MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}
EXTENSION = {"png": "png", "jpeg": "jpg", "webp": "webp", "gif": "gif"}
PIL_FORMAT = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}

#: One image in this many is a large one (several MB).
LARGE_EVERY = 100
LARGE_BYTES = 2_500_000
_FORMAT_OF_MIME = {mime: fmt for fmt, mime in MIME.items()}


@dataclass(frozen=True, slots=True)
class GeneratedImage:
    fmt: str
    width: int
    height: int
    data: bytes

    @property
    def mime(self) -> str:
        return MIME[self.fmt]

    @property
    def extension(self) -> str:
        return EXTENSION[self.fmt]


def sniff_format(data: bytes) -> str | None:
    """The image format named by the magic bytes, or None when it is none we know."""
    return _FORMAT_OF_MIME.get(sniff_mime(data[:HEAD_BYTES]) or "")


def decodes(data: bytes) -> bool:
    """True when Pillow can open, verify and fully decode the bytes (CPU-bound: run in a thread).

    ``verify`` catches checksum errors that decoding misses (PNG CRCs); decoding catches
    truncated files that ``verify`` lets through (JPEG).
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False
    return True


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def render(rng: random.Random, fmt: str, width: int, height: int, noise: bool = False) -> bytes:
    """A ``width`` x ``height`` image in ``fmt``: a tinted gradient, a few blocks and seeded grain.

    The grain patch makes every image unique; ``noise`` covers the whole image with it, which makes
    the file large and incompressible.
    """
    tint = tuple(rng.randrange(256) for _ in range(3))
    image = Image.new("RGB", (width, height), tint)
    image.paste(Image.linear_gradient("L").resize((width, height // 2 or 1)).convert("RGB"))
    for _ in range(rng.randrange(2, 6)):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        box = (
            x0,
            y0,
            min(width, x0 + rng.randrange(1, width + 1)),
            min(height, y0 + rng.randrange(1, height + 1)),
        )
        image.paste(tuple(rng.randrange(256) for _ in range(3)), box)
    grain_w, grain_h = (width, height) if noise else (min(width, 16), min(height, 16))
    grain = Image.frombytes("RGB", (grain_w, grain_h), rng.randbytes(grain_w * grain_h * 3))
    image.paste(grain, (rng.randrange(width - grain_w + 1), rng.randrange(height - grain_h + 1)))
    return encode(image, fmt)


def encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "gif":
        image = image.convert("P", palette=Image.Palette.ADAPTIVE)
    options: dict[str, object] = {"quality": 92} if fmt in ("jpeg", "webp") else {}
    image.save(out, PIL_FORMAT[fmt], **options)
    return out.getvalue()


def generate(rng: random.Random, formats: tuple[str, ...], large: bool = False) -> GeneratedImage:
    """One seeded image in one of ``formats``; ``large`` makes it several MB of noise."""
    fmt = rng.choice(formats)
    if large:
        fmt = "jpeg" if "jpeg" in formats else fmt
        side = 1800 if fmt == "jpeg" else 1000
        data = render(rng, fmt, side, side, noise=True)
        return GeneratedImage(fmt, side, side, data)
    width, height = rng.randrange(24, 480), rng.randrange(24, 480)
    return GeneratedImage(fmt, width, height, render(rng, fmt, width, height))
