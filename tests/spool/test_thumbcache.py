"""The thumbnails a run keeps of what it pushed: made within a time budget, read back, pruned."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from syncer.spool import thumbcache
from syncer.spool.thumbcache import Thumb, ThumbCache


def jpeg(tmp_path: Path, name: str, size: tuple[int, int] = (300, 200)) -> Path:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG")
    path = tmp_path / name
    path.write_bytes(out.getvalue())
    return path


async def test_a_pushed_image_is_kept_as_a_thumbnail_with_its_pixel_size(tmp_path: Path) -> None:
    cache = ThumbCache(tmp_path / "thumbs")
    await cache.remember("a" * 64, jpeg(tmp_path, "a.jpg"))
    kept = cache.get("a" * 64)
    assert kept is not None
    assert kept.uri.startswith("data:image/")
    assert (kept.width, kept.height) == (300, 200)
    assert cache.get("b" * 64) is None


async def test_past_its_budget_a_run_makes_no_thumbnail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(thumbcache, "ALLOWANCE", 0.0)
    monkeypatch.setattr(thumbcache, "SHARE", 0.0)
    cache = ThumbCache(tmp_path / "thumbs")
    assert not cache.wants()
    await cache.remember("a" * 64, jpeg(tmp_path, "a.jpg"))
    assert cache.get("a" * 64) is None


def test_an_undecodable_file_or_a_damaged_entry_is_no_thumbnail(tmp_path: Path) -> None:
    cache = ThumbCache(tmp_path / "thumbs")
    text = tmp_path / "x.jpg"
    text.write_text("not an image")
    cache._make("c" * 64, text)
    assert cache.get("c" * 64) is None
    cache.put("d" * 64, Thumb("data:image/webp;base64,AAAA", None, None))
    assert cache.get("d" * 64) == Thumb("data:image/webp;base64,AAAA", None, None)
    (tmp_path / "thumbs" / "dd" / ("d" * 64)).write_text("x\nhttp://elsewhere/")
    assert cache.get("d" * 64) is None  # only embedded images are ever returned


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    cache = ThumbCache(tmp_path / "thumbs")
    for n in range(5):
        sha = f"{n:064x}"
        cache.put(sha, Thumb("data:image/webp;base64,AAAA", 1, 1))
        os.utime(cache._path(sha), (1000 + n, 1000 + n))
    assert cache.prune(keep=2) == 3
    assert [cache.get(f"{n:064x}") is not None for n in range(5)] == [False] * 3 + [True] * 2
    assert cache.prune(keep=2) == 0
