"""Thumbnails and pixel sizes of spooled files: each type, broken files and bombs, size, speed."""

from __future__ import annotations

import base64
import io
import random
import struct
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, JpegImagePlugin

from syncer.spool import thumbs
from syncer.spool.thumbs import make_thumbnail, pixel_size
from tests.spool.conftest import encoded
from tests.spool.test_convert import png_header_only

RED, WHITE = (255, 0, 0), (255, 255, 255)


def photo(width: int, height: int) -> Image.Image:
    """A photo-like picture: smooth colour fields (a random 12x12 grid blown up) and grain."""
    rng = random.Random(7)
    fields = Image.frombytes("RGB", (12, 12), rng.randbytes(12 * 12 * 3))
    image = fields.resize((width, height), Image.Resampling.BICUBIC)
    grain = Image.effect_noise((width, height), 24).convert("RGB")
    return Image.blend(image, grain, 0.15)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def decoded(uri: str | None) -> Image.Image:
    """The image inside a ``data:`` URI (its format kept)."""
    assert uri is not None
    head, _, body = uri.partition(",")
    assert head == f"data:{thumbs.MIME};base64"
    image = Image.open(io.BytesIO(base64.b64decode(body)))
    image.load()
    return image


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_each_type_gives_a_small_webp_at_most_max_side(tmp_path: Path, fmt: str) -> None:
    source = write(tmp_path / "a", encoded(photo(400, 200), fmt))
    image = decoded(make_thumbnail(source))
    assert image.format == thumbs.FORMAT == "WEBP"
    assert image.size == (96, 48)
    assert make_thumbnail(source, max_side=40) is not None
    assert decoded(make_thumbnail(source, max_side=40)).size == (40, 20)


def test_a_photo_of_2000_px_makes_a_thumbnail_under_6_kb(tmp_path: Path) -> None:
    source = write(tmp_path / "photo.jpg", encoded(photo(2000, 2000), "JPEG", quality=90))
    assert source.stat().st_size > 300_000
    uri = make_thumbnail(source)
    assert uri is not None
    assert len(uri) < 6000
    assert decoded(uri).size == (96, 96)


def test_a_jpeg_is_decoded_in_draft_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Any] = []
    real = JpegImagePlugin.JpegImageFile.draft

    def draft(self: Any, mode: str | None, size: tuple[int, int] | None) -> Any:
        asked.append(size)
        return real(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", draft)
    source = write(tmp_path / "photo.jpg", encoded(photo(1600, 1200), "JPEG"))
    assert decoded(make_thumbnail(source)).size == (96, 72)
    assert asked[0] == (96, 96)


def test_the_exif_orientation_is_applied(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    source = write(tmp_path / "phone.jpg", encoded(photo(300, 100), "JPEG", exif=exif.tobytes()))
    assert decoded(make_thumbnail(source)).size == (32, 96)


def test_transparency_is_kept(tmp_path: Path) -> None:
    image = Image.new("RGBA", (200, 100), (*RED, 255))
    image.paste((0, 0, 0, 0), (100, 0, 200, 100))
    thumb = decoded(make_thumbnail(write(tmp_path / "a.png", encoded(image, "PNG"))))
    assert thumb.mode == "RGBA"
    assert thumb.getpixel((90, 10))[3] == 0  # type: ignore[index]
    assert thumb.getpixel((5, 10))[3] == 255  # type: ignore[index]


def test_jpeg_is_the_fallback_without_webp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(thumbs, "FORMAT", "JPEG")
    monkeypatch.setattr(thumbs, "MIME", "image/jpeg")
    image = Image.new("RGBA", (60, 60), (0, 0, 0, 0))
    thumb = decoded(make_thumbnail(write(tmp_path / "a.png", encoded(image, "PNG"))))
    assert thumb.format == "JPEG"
    assert thumb.getpixel((30, 30)) == pytest.approx(WHITE, abs=3)  # transparent is white


def test_what_is_not_an_image_gives_none(tmp_path: Path) -> None:
    text = write(tmp_path / "notes.jpg", b"not an image, only text\n" * 40)
    truncated = write(tmp_path / "cut.jpg", encoded(photo(300, 300), "JPEG")[:600])
    assert make_thumbnail(text) is None
    assert make_thumbnail(truncated) is None
    assert make_thumbnail(tmp_path / "absent.jpg") is None
    assert pixel_size(text) is None
    assert pixel_size(tmp_path / "absent.jpg") is None


def test_a_decompression_bomb_gives_none_from_its_header(tmp_path: Path) -> None:
    bomb = write(tmp_path / "bomb.png", png_header_only(100_000, 100_000))
    big = write(tmp_path / "big.png", png_header_only(5000, 5000))
    started = time.perf_counter()
    assert make_thumbnail(bomb) is None
    assert make_thumbnail(big, max_pixels=4999 * 5000) is None
    assert pixel_size(bomb) is None
    assert time.perf_counter() - started < 1.0


def test_pixel_size_reads_only_the_header(tmp_path: Path) -> None:
    # The file declares 3000x2000 and holds 16 bytes of pixels: decoding it would fail.
    hollow = write(tmp_path / "hollow.png", png_header_only(3000, 2000))
    assert pixel_size(hollow) == (3000, 2000)
    assert make_thumbnail(hollow) is None
    assert pixel_size(write(tmp_path / "a.webp", encoded(photo(64, 48), "WEBP"))) == (64, 48)


def test_any_error_of_a_decoder_gives_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = write(tmp_path / "a.png", encoded(photo(40, 40), "PNG"))

    def broken(*args: object, **kwargs: object) -> Image.Image:
        raise struct.error("unpack requires a buffer of 4 bytes")  # as decoders do on bad bytes

    monkeypatch.setattr(Image, "open", broken)
    assert make_thumbnail(source) is None
    assert pixel_size(source) is None
