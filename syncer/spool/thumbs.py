"""Thumbnails for the HTML report and pixel sizes for plans, read from spooled files.

:func:`make_thumbnail` makes a small WebP (JPEG where Pillow has no WebP) as a ``data:`` URI,
the form :attr:`syncer.plans.model.Document.thumbnails` embeds; :func:`pixel_size` reads the
dimensions from the header alone. Both are synchronous and CPU-bound: call them in a worker
thread (``anyio.to_thread.run_sync``), never on the event loop.

Bounded like :mod:`syncer.spool.imaging`: a file that declares more than ``max_pixels`` pixels
(default Pillow's ``MAX_IMAGE_PIXELS``, 89 million) is refused from its header, before any
pixel is decoded, so a decompression bomb costs a header read. A JPEG is decoded in draft mode
(the decoder scales by 1/2, 1/4 or 1/8 while decoding), so a 24-megapixel photo decodes at
about the thumbnail's size. A file Pillow cannot read gives None: a thumbnail is a nicety, and
its absence shows as a placeholder. Any exception counts as "cannot read": besides its
documented errors (``UnidentifiedImageError``, ``OSError``, the decompression bomb ones),
Pillow's decoders raise others on malformed bytes (``struct.error``, ``IndexError``, ...), and
none of them may fail a plan.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Final

from PIL import Image, ImageOps, features

#: The thumbnail's encoding: WebP is about half the size of a JPEG at the same look.
FORMAT: Final = "WEBP" if features.check("webp") else "JPEG"
MIME: Final = "image/webp" if FORMAT == "WEBP" else "image/jpeg"


def make_thumbnail(
    path: Path, *, max_side: int = 96, quality: int = 60, max_pixels: int | None = None
) -> str | None:
    """A ``data:image/webp;base64,…`` thumbnail of the image at ``path``, at most ``max_side``
    pixels a side and upright (EXIF orientation applied), or None when the file is not an
    image Pillow decodes or declares more than ``max_pixels`` pixels."""
    limit = max_pixels if max_pixels is not None else (Image.MAX_IMAGE_PIXELS or 89_478_485)
    try:
        with Image.open(path) as image:
            if image.width * image.height > limit:
                return None
            if image.format == "JPEG":
                image.draft("RGB", (max_side, max_side))
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            small = ImageOps.exif_transpose(image)
            data = _encode(small, quality)
    except Exception:  # whatever Pillow raises on bad bytes: no thumbnail (see above)
        return None
    return f"data:{MIME};base64,{base64.b64encode(data).decode('ascii')}"


def pixel_size(path: Path) -> tuple[int, int] | None:
    """``(width, height)`` as the file's header declares it (no pixel is decoded), or None
    when Pillow does not know the file (or it declares a decompression bomb's size)."""
    try:
        with Image.open(path) as image:
            width, height = image.size
    except Exception:  # whatever Pillow raises on bad bytes: no thumbnail (see above)
        return None
    return (width, height) if width > 0 and height > 0 else None


def _encode(image: Image.Image, quality: int) -> bytes:
    """``image`` as :data:`FORMAT`: transparency kept in WebP, flattened on white in JPEG."""
    alpha = image.has_transparency_data
    if alpha and FORMAT == "JPEG":
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode not in ("RGB", "RGBA") or (image.mode == "RGBA" and not alpha):
        image = image.convert("RGBA" if alpha else "RGB")
    out = io.BytesIO()
    image.save(out, FORMAT, quality=quality)
    return out.getvalue()


__all__ = ["FORMAT", "MIME", "make_thumbnail", "pixel_size"]
