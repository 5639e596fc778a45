"""Re-encoding images for targets that refuse a type or a size, with Pillow off the event loop.

:func:`convert` turns a spooled blob into another type (WebP → PNG for Spiffy, GIF → PNG for
Moov, anything Pillow decodes → JPEG, PNG or WebP), optionally bounded to ``max_side`` pixels.
:func:`shrink` is the oversize policy: smaller dimensions (and JPEG/WebP quality) until the file
fits a byte limit. Results go into the spool (content-addressed) and an on-disk index keyed by
(source sha256, recipe), so the same work is never done twice, across restarts too.

What a conversion keeps and drops:

- transparency where the target has it (PNG, WebP); JPEG has none, so alpha is flattened on white;
- only the first frame of an animated GIF or WebP (targets want a still product image);
- the EXIF orientation is applied to the pixels (EXIF itself is not copied, so without this a
  rotated phone photo would arrive sideways); the ICC profile is kept while the colour space is;
- everything else (EXIF, XMP, comments) is dropped.

Errors are :class:`~syncer.spool.errors.BlobRejectedError` subclasses (skippable
:class:`~syncer.errors.ValidationError`): the engine skips that item with the message, which
names the sha256 (the engine adds the target, key and file name: the spool knows none of them);
no retry would decode a corrupt file. Messages never hold the spool's path.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import AsyncIterator
from functools import partial
from typing import Final

import anyio
from PIL import Image, ImageOps, UnidentifiedImageError

from syncer.records import Blob
from syncer.spool.errors import (
    BlobMissingError,
    BlobRejectedError,
    BlobTooLargeError,
    human_bytes,
)
from syncer.spool.store import Spool

#: The target types we encode, and Pillow's names for them.
ENCODERS: Final = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
#: Quality of JPEG and WebP output (before shrinking asks for less).
QUALITY: Final = 90
#: Qualities :func:`shrink` tries at each size, best first.
SHRINK_QUALITIES: Final = (85, 70, 55)
#: :func:`shrink` gives up below this many pixels on the shorter side.
MIN_SIDE: Final = 16
#: Modes each encoder takes as they are; anything else is converted.
_NATIVE_MODES: Final = {
    "JPEG": frozenset({"RGB", "L"}),
    "PNG": frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I;16"}),
    "WEBP": frozenset({"RGB", "RGBA"}),
}
#: Modes whose pixels are RGB colours (an sRGB/RGB ICC profile stays valid among them).
_RGB_MODES: Final = frozenset({"RGB", "RGBA", "P"})
#: The pixel count in Pillow's decompression bomb message.
_BOMB_SIZE: Final = re.compile(r"Image size \((\d+) pixels\)")
_DECODE_ERRORS: Final = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError)


class UndecodableImageError(BlobRejectedError):
    """The bytes are not an image Pillow can read (corrupt, truncated, or an unknown type)."""


class TooManyPixelsError(BlobRejectedError):
    """The image declares more pixels than we decode: a decompression bomb, or just too big."""


class UnsupportedConversionError(BlobRejectedError):
    """A target type we do not encode to (only JPEG, PNG and WebP)."""


async def convert(
    blob: Blob,
    to_mime: str,
    spool: Spool,
    *,
    max_side: int | None = None,
    max_pixels: int | None = None,
    limiter: anyio.CapacityLimiter | None = None,
) -> Blob:
    """``blob`` re-encoded as ``to_mime`` (at most ``max_side`` px per side), stored in ``spool``.

    Returns ``blob`` itself when nothing is to do (same type and small enough). Cached by
    (sha256, type, side): asking again costs one index read, no Pillow. ``max_pixels`` bounds
    what is decoded (default: Pillow's ``MAX_IMAGE_PIXELS``) and raises
    :class:`TooManyPixelsError` above it. ``limiter`` bounds how many images are decoded at
    once (each can take hundreds of MB): pass one sized to the CPUs, shared by the run; the
    default is anyio's thread limiter (40). Two concurrent calls for the same blob and recipe
    both do the work (same result, content-addressed); the engine converts each item once.
    """
    if blob.mime == to_mime and max_side is None:
        return blob
    encoder = _encoder_for(to_mime, blob)
    recipe = f"{_slug(to_mime)}-side{max_side or 0}"
    cached = await spool.derived(blob.sha256, recipe)
    if cached is not None:
        return cached
    work = partial(_transcode, blob, encoder, max_side, _pixel_limit(max_pixels))
    data = await anyio.to_thread.run_sync(work, limiter=limiter)
    result = blob if data is None else await spool.write(_chunks(data), mime_hint=to_mime)
    await spool.remember(blob.sha256, recipe, result.sha256)
    return result


async def shrink(
    blob: Blob,
    spool: Spool,
    max_bytes: int,
    to_mime: str | None = None,
    *,
    max_pixels: int | None = None,
    limiter: anyio.CapacityLimiter | None = None,
) -> Blob:
    """``blob`` made to fit ``max_bytes``: smaller dimensions, and lower quality for JPEG/WebP.

    Encodes as ``to_mime`` (default: the blob's own type). Returns ``blob`` when it already
    fits in that type. Raises :class:`~syncer.spool.errors.BlobTooLargeError` when even a
    ``MIN_SIDE``-pixel version does not fit. Cached and limited like :func:`convert`.
    """
    target = to_mime or blob.mime
    encoder = _encoder_for(target, blob)
    if blob.mime == target and blob.size <= max_bytes:
        return blob
    recipe = f"shrink-{_slug(target)}-{max_bytes}"
    cached = await spool.derived(blob.sha256, recipe)
    if cached is not None:
        return cached
    work = partial(_shrink_to_fit, blob, encoder, max_bytes, _pixel_limit(max_pixels))
    data = await anyio.to_thread.run_sync(work, limiter=limiter)
    result = await spool.write(_chunks(data), mime_hint=target)
    await spool.remember(blob.sha256, recipe, result.sha256)
    return result


def _encoder_for(mime: str, blob: Blob) -> str:
    try:
        return ENCODERS[mime]
    except KeyError:
        known = ", ".join(sorted(ENCODERS))
        raise UnsupportedConversionError(
            f"cannot convert to {mime}: syncer encodes {known}",
            operation="convert",
            item=blob.sha256,
        ) from None


def _slug(mime: str) -> str:
    return mime.replace("/", "_").replace("+", "_")


def _pixel_limit(max_pixels: int | None) -> int:
    if max_pixels is not None:
        return max_pixels
    return Image.MAX_IMAGE_PIXELS or 89_478_485


async def _chunks(data: bytes, size: int = 1 << 20) -> AsyncIterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), size):
        yield bytes(view[start : start + size])


# -- the Pillow work, in a worker thread ---------------------------------------------------------


def _transcode(blob: Blob, encoder: str, max_side: int | None, max_pixels: int) -> bytes | None:
    """The re-encoded bytes, or None when the blob is already right (same type, fits)."""
    image, source_format = _decode(blob, max_pixels)
    fits = max_side is None or max(image.size) <= max_side
    if source_format == encoder and fits:
        return None
    if max_side is not None and not fits:
        image = _resized(image, _bounded(image.size, max_side))
    return _encode(image, encoder, QUALITY, blob)


def _shrink_to_fit(blob: Blob, encoder: str, max_bytes: int, max_pixels: int) -> bytes:
    """Encodings at falling quality, then at falling size, until one fits ``max_bytes``."""
    original, _ = _decode(blob, max_pixels)
    image = original
    while True:
        for quality in SHRINK_QUALITIES if encoder != "PNG" else (QUALITY,):
            data = _encode(image, encoder, quality, blob)
            if len(data) <= max_bytes:
                return data
        factor = min(0.9, max(0.25, math.sqrt(max_bytes / len(data)) * 0.95))
        size = _scaled(image.size, factor)
        if min(size) < MIN_SIDE:
            raise _cannot_shrink(blob, max_bytes, len(data), image.size)
        image = _resized(original, size)


def _cannot_shrink(
    blob: Blob, max_bytes: int, smallest: int, size: tuple[int, int]
) -> BlobTooLargeError:
    return BlobTooLargeError(
        f"cannot shrink the image under {human_bytes(max_bytes)} ({max_bytes} bytes): still "
        f"{smallest} bytes at {size[0]}x{size[1]} px; skip it or raise the limit",
        operation="shrink",
        limit=max_bytes,
        item=blob.sha256,
    )


def _decode(blob: Blob, max_pixels: int) -> tuple[Image.Image, str]:
    """The first frame, fully decoded and upright, and the source's Pillow format name."""
    try:
        with Image.open(blob.path) as opened:
            _check_pixels(opened.size, max_pixels, blob)
            opened.seek(0)
            opened.load()
            return ImageOps.exif_transpose(opened), opened.format or ""
    except FileNotFoundError:
        raise BlobMissingError(
            f"blob {blob.sha256} is no longer in the spool ({blob.path}): download it again"
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        declared = _BOMB_SIZE.search(str(error))  # Pillow's own limit, not ours: say only the size
        detail = f"{declared[1]} pixels" if declared else str(error)
        raise _too_many_pixels(blob, max_pixels, detail) from error
    except _DECODE_ERRORS as error:
        raise _undecodable(blob, error) from error


def _undecodable(blob: Blob, error: Exception) -> UndecodableImageError:
    """Why ``blob`` could not be decoded, in words that name neither the spool's path nor
    Pillow's internals (the engine names the item: target, key and file name)."""
    if blob.size == 0:
        reason = "the file is empty (0 bytes): the source holds no image bytes for it"
    elif isinstance(error, UnidentifiedImageError):
        reason = (
            f"the file is not an image syncer can decode ({blob.mime}, {blob.size} bytes): "
            "its bytes are of no image type Pillow knows"
        )
    else:
        detail = str(error).replace(str(blob.path), "the file")
        reason = (
            f"the file is not an image syncer can decode ({blob.mime}, {blob.size} bytes): {detail}"
        )
    return UndecodableImageError(
        f"{reason}; fix it at the source", operation="convert", item=blob.sha256
    )


def _check_pixels(size: tuple[int, int], max_pixels: int, blob: Blob) -> None:
    width, height = size
    if width * height > max_pixels:
        raise _too_many_pixels(blob, max_pixels, f"{width}x{height} px")


def _too_many_pixels(blob: Blob, max_pixels: int, detail: str) -> TooManyPixelsError:
    return TooManyPixelsError(
        f"the image is larger than the {max_pixels} pixels syncer decodes ({detail}); "
        "a decompression bomb or a huge original: skip it, or shrink it at the source",
        operation="convert",
        item=blob.sha256,
    )


def _bounded(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    return _scaled(size, max_side / max(size))


def _scaled(size: tuple[int, int], factor: float) -> tuple[int, int]:
    return max(1, round(size[0] * factor)), max(1, round(size[1] * factor))


def _resized(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image`` at ``size`` with a good filter (palette images go to RGB(A) first)."""
    if image.mode in ("1", "P"):
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    return image.resize(size, Image.Resampling.LANCZOS)


def _encode(image: Image.Image, encoder: str, quality: int, blob: Blob) -> bytes:
    fitted = _fit_mode(image, encoder)
    options: dict[str, object] = {}
    icc = image.info.get("icc_profile")
    if icc and (fitted.mode == image.mode or {fitted.mode, image.mode} <= _RGB_MODES):
        options["icc_profile"] = icc
    if encoder in ("JPEG", "WEBP"):
        options["quality"] = quality
    out = io.BytesIO()
    try:
        fitted.save(out, encoder, **options)
    except (OSError, ValueError) as error:
        raise UndecodableImageError(
            f"cannot encode the image ({image.mode}) as {encoder}: {error}",
            operation="convert",
            item=blob.sha256,
        ) from error
    return out.getvalue()


def _fit_mode(image: Image.Image, encoder: str) -> Image.Image:
    """``image`` in a mode ``encoder`` writes, keeping transparency where it can."""
    alpha = image.has_transparency_data
    if encoder == "JPEG" and alpha:
        return _on_white(image)
    if image.mode == "P" and alpha:
        return image.convert("RGBA")
    if image.mode in _NATIVE_MODES[encoder]:
        return image
    return image.convert("RGBA" if alpha else "RGB")


def _on_white(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


__all__ = [
    "ENCODERS",
    "TooManyPixelsError",
    "UndecodableImageError",
    "UnsupportedConversionError",
    "convert",
    "shrink",
]
