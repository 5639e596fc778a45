"""Conversion and shrinking with Pillow: each supported pair, caching, limits, broken input."""

from __future__ import annotations

import io
import random
import struct
import threading
import time
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, cast

import anyio
import pytest
from PIL import Image

from syncer.emulators.images import generate, render
from syncer.records import Blob
from syncer.spool import (
    BlobMissingError,
    BlobTooLargeError,
    Spool,
    TooManyPixelsError,
    UndecodableImageError,
    UnsupportedConversionError,
    convert,
    imaging,
    shrink,
)
from tests.spool.conftest import decoded, encoded, put

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


def half_transparent(fmt: str) -> bytes:
    """A 40x30 image: left half opaque red, right half fully transparent."""
    image = Image.new("RGBA", (40, 30), (*RED, 255))
    image.paste((0, 0, 0, 0), (20, 0, 40, 30))
    return encoded(image, fmt, **({"lossless": True} if fmt == "WEBP" else {}))


def transparent_gif() -> bytes:
    image = Image.new("P", (24, 16), 0)
    image.putpalette([*RED, *BLUE] + [0, 0, 0] * 254)
    image.paste(1, (12, 0, 24, 16))
    return encoded(image, "GIF", transparency=1)


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (30, 20), colour) for colour in (RED, BLUE, BLUE)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` but holds (almost) no pixels: a bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def pixel(blob: Blob, xy: tuple[int, int]) -> Any:
    return decoded(blob).convert("RGBA").getpixel(xy)


@pytest.fixture
def pillow_opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every ``PIL.Image.open`` call from now on, by the name of the thread that made it."""
    calls: list[str] = []
    real: Callable[..., Image.Image] = Image.open

    def counting(*args: Any, **kwargs: Any) -> Image.Image:
        calls.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(Image, "open", counting)
    return calls


async def test_webp_to_png_keeps_size_and_transparency(spool: Spool) -> None:
    source = await put(spool, half_transparent("WEBP"))

    result = await convert(source, "image/png", spool)

    image = decoded(result)
    assert (result.mime, image.format, image.size, image.mode) == (
        "image/png",
        "PNG",
        (40, 30),
        "RGBA",
    )
    assert pixel(result, (5, 5)) == (*RED, 255)
    assert pixel(result, (35, 5))[3] == 0


async def test_opaque_webp_to_png_is_rgb(spool: Spool) -> None:
    source = await put(spool, render(random.Random(1), "webp", 50, 40))

    image = decoded(await convert(source, "image/png", spool))

    assert (image.format, image.size, image.mode) == ("PNG", (50, 40), "RGB")


async def test_gif_to_png_keeps_the_palette_or_the_transparency(spool: Spool) -> None:
    opaque = await put(spool, render(random.Random(2), "gif", 33, 22))
    transparent = await put(spool, transparent_gif())

    plain = decoded(await convert(opaque, "image/png", spool))
    clear = await convert(transparent, "image/png", spool)

    assert (plain.format, plain.size, plain.mode) == ("PNG", (33, 22), "P")
    assert (decoded(clear).mode, decoded(clear).size) == ("RGBA", (24, 16))
    assert pixel(clear, (2, 2)) == (*RED, 255)
    assert pixel(clear, (20, 2))[3] == 0


async def test_an_animated_gif_becomes_its_first_frame(spool: Spool) -> None:
    source = await put(spool, animated_gif())

    result = await convert(source, "image/png", spool)

    image = decoded(result)
    assert getattr(image, "n_frames", 1) == 1
    assert pixel(result, (10, 10)) == (*RED, 255)


async def test_rgba_to_jpeg_flattens_on_white(spool: Spool) -> None:
    source = await put(spool, half_transparent("PNG"))

    result = await convert(source, "image/jpeg", spool)

    image = decoded(result)
    assert (result.mime, image.format, image.mode, image.size) == (
        "image/jpeg",
        "JPEG",
        "RGB",
        (40, 30),
    )
    assert all(abs(a - b) <= 8 for a, b in zip(_rgb(image, (35, 15)), WHITE, strict=True))
    assert all(abs(a - b) <= 8 for a, b in zip(_rgb(image, (5, 15)), RED, strict=True))


@pytest.mark.parametrize(
    ("fmt", "to_mime", "pil_format"),
    [
        ("gif", "image/jpeg", "JPEG"),
        ("webp", "image/jpeg", "JPEG"),
        ("jpeg", "image/png", "PNG"),
        ("png", "image/webp", "WEBP"),
    ],
)
async def test_anything_to_jpeg_png_or_webp(
    spool: Spool, fmt: str, to_mime: str, pil_format: str
) -> None:
    source = await put(spool, render(random.Random(3), fmt, 61, 47))

    result = await convert(source, to_mime, spool)

    image = decoded(result)
    assert (result.mime, image.format, image.size) == (to_mime, pil_format, (61, 47))
    assert result.sha256 != source.sha256
    assert (await spool.get(result.sha256)) == result


async def test_max_side_bounds_the_longer_side_and_keeps_the_aspect(spool: Spool) -> None:
    source = await put(spool, render(random.Random(4), "png", 400, 200))

    result = await convert(source, "image/jpeg", spool, max_side=100)
    same_type = await convert(source, "image/png", spool, max_side=100)

    assert decoded(result).size == (100, 50)
    assert (decoded(same_type).format, decoded(same_type).size) == ("PNG", (100, 50))


async def test_nothing_to_do_returns_the_blob_itself(spool: Spool, pillow_opens: list[str]) -> None:
    source = await put(spool, render(random.Random(5), "png", 40, 40))

    assert await convert(source, "image/png", spool) == source
    assert pillow_opens == []
    assert await convert(source, "image/png", spool, max_side=100) == source


async def test_exif_orientation_is_applied(spool: Spool) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    source = await put(spool, encoded(Image.new("RGB", (40, 20), RED), "JPEG", exif=exif))

    assert decoded(await convert(source, "image/png", spool)).size == (20, 40)


async def test_a_second_conversion_is_served_from_the_index_even_after_a_restart(
    spool: Spool, pillow_opens: list[str]
) -> None:
    source = await put(spool, render(random.Random(6), "webp", 80, 60))

    first = await convert(source, "image/png", spool)
    assert len(pillow_opens) == 1
    assert pillow_opens[0] != threading.main_thread().name  # decoded off the event loop

    assert await convert(source, "image/png", spool) == first
    async with Spool(spool.directory) as restarted:
        assert await convert(source, "image/png", restarted) == first
    assert len(pillow_opens) == 1

    await convert(source, "image/png", spool, max_side=40)  # another recipe: real work
    assert len(pillow_opens) == 2


async def test_a_removed_result_is_converted_again(spool: Spool, pillow_opens: list[str]) -> None:
    source = await put(spool, render(random.Random(7), "gif", 30, 30))
    first = await convert(source, "image/png", spool)
    await spool.remove(first.sha256)

    again = await convert(source, "image/png", spool)

    assert again.sha256 == first.sha256
    assert again.path.exists()
    assert len(pillow_opens) == 2


async def test_shrink_reduces_a_large_jpeg_under_the_limit(spool: Spool) -> None:
    large = generate(random.Random(8), ("jpeg",), large=True)
    source = await put(spool, large.data)
    assert source.size > 1_000_000

    result = await shrink(source, spool, 300_000)

    image = decoded(result)
    assert result.size <= 300_000
    assert image.format == "JPEG"
    assert image.size[0] < large.width
    assert image.size[0] / image.size[1] == pytest.approx(1, abs=0.01)
    assert await shrink(source, spool, 300_000) == result  # cached


async def test_shrink_to_another_type(spool: Spool) -> None:
    source = await put(spool, render(random.Random(9), "png", 600, 400, noise=True))

    result = await shrink(source, spool, 100_000, "image/webp")

    assert result.size <= 100_000
    assert (result.mime, decoded(result).format) == ("image/webp", "WEBP")


async def test_shrink_png_by_dimensions(spool: Spool) -> None:
    source = await put(spool, render(random.Random(10), "png", 500, 500, noise=True))

    result = await shrink(source, spool, 80_000)

    assert result.size <= 80_000
    assert decoded(result).format == "PNG"
    assert decoded(result).size[0] < 500


async def test_shrink_of_a_blob_that_fits_is_a_no_op(spool: Spool) -> None:
    source = await put(spool, render(random.Random(11), "jpeg", 50, 50))

    assert await shrink(source, spool, source.size) == source


async def test_shrink_raises_when_it_cannot_fit(spool: Spool) -> None:
    source = await put(spool, render(random.Random(12), "png", 300, 300, noise=True))

    with pytest.raises(BlobTooLargeError) as caught:
        await shrink(source, spool, 200)

    assert caught.value.limit == 200
    assert "cannot shrink the image under 200 bytes" in str(caught.value)
    assert source.sha256 in str(caught.value)
    assert caught.value.skippable


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data[:4] + b"\x00" * (len(data) - 4), id="zeroed"),
        pytest.param(lambda data: b"not an image at all", id="text"),
    ],
)
async def test_a_corrupt_image_raises_a_skippable_error_naming_the_sha256(
    spool: Spool, damage: Callable[[bytes], bytes]
) -> None:
    good = render(random.Random(13), "jpeg", 200, 150)
    source = await put(spool, damage(good), mime_hint="image/jpeg")

    with pytest.raises(UndecodableImageError) as caught:
        await convert(source, "image/png", spool)

    assert source.sha256 in str(caught.value)
    assert "not an image syncer can decode" in str(caught.value)
    assert caught.value.skippable
    assert await spool.derived(source.sha256, "image_png-side0") is None


@pytest.mark.parametrize(
    ("width", "height"),
    [
        pytest.param(10_000, 10_000, id="over-pillow-warning-limit"),
        pytest.param(20_000, 20_000, id="over-pillow-error-limit"),
    ],
)
async def test_a_decompression_bomb_is_refused_before_decoding(
    spool: Spool, width: int, height: int
) -> None:
    source = await put(spool, png_header_only(width, height))

    with pytest.raises(TooManyPixelsError) as caught:
        await convert(source, "image/jpeg", spool)

    assert source.sha256 in str(caught.value)
    assert "decompression bomb" in str(caught.value)


async def test_max_pixels_is_our_own_limit(spool: Spool) -> None:
    source = await put(spool, render(random.Random(14), "png", 100, 100))

    with pytest.raises(TooManyPixelsError, match="100x100 px"):
        await convert(source, "image/jpeg", spool, max_pixels=9_999)
    assert (await convert(source, "image/jpeg", spool, max_pixels=10_000)).mime == "image/jpeg"


async def test_an_unsupported_target_type_is_refused(spool: Spool) -> None:
    source = await put(spool, render(random.Random(15), "png", 10, 10))

    with pytest.raises(UnsupportedConversionError, match="image/jpeg, image/png, image/webp"):
        await convert(source, "image/gif", spool)


async def test_a_blob_missing_from_disk_is_reported(tmp_path: Path, spool: Spool) -> None:
    ghost = Blob(path=tmp_path / "gone", sha256="0" * 64, size=10, mime="image/png")

    with pytest.raises(BlobMissingError, match="download it again"):
        await convert(ghost, "image/jpeg", spool)


async def test_a_limiter_bounds_concurrent_decodes(
    spool: Spool, monkeypatch: pytest.MonkeyPatch
) -> None:
    active, peak, lock = 0, 0, threading.Lock()
    real = imaging._transcode

    def tracked(*args: Any) -> bytes | None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        try:
            time.sleep(0.02)
            return real(*args)
        finally:
            with lock:
                active -= 1

    monkeypatch.setattr(imaging, "_transcode", tracked)
    rng = random.Random(16)
    sources = [await put(spool, render(rng, "gif", 20, 20)) for _ in range(4)]
    limiter = anyio.CapacityLimiter(1)

    async with anyio.create_task_group() as group:
        for source in sources:
            group.start_soon(partial(convert, source, "image/png", spool, limiter=limiter))

    assert peak == 1
    assert all([await spool.derived(s.sha256, "image_png-side0") for s in sources])


def _rgb(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    return cast("tuple[int, ...]", image.getpixel(xy))
