from __future__ import annotations

import random

import pytest

from syncer.emulators.images import LARGE_BYTES, decodes, generate, image_size, sniff_format


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp", "gif"])
def test_generated_images_are_real_files_of_the_asked_format(fmt: str) -> None:
    image = generate(random.Random(7), (fmt,))
    assert sniff_format(image.data) == fmt
    assert decodes(image.data)
    assert image_size(image.data) == (image.width, image.height)


def test_generation_is_deterministic_and_every_image_differs() -> None:
    first = [generate(random.Random(3), ("png", "jpeg")).data for _ in range(2)]
    assert first[0] == first[1]
    rng = random.Random(3)
    batch = [generate(rng, ("png", "jpeg", "webp", "gif")).data for _ in range(50)]
    assert len(set(batch)) == 50


def test_large_images_are_several_megabytes() -> None:
    image = generate(random.Random(1), ("jpeg", "png"), large=True)
    assert len(image.data) >= LARGE_BYTES
    assert decodes(image.data)


@pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\n truncated"])
def test_garbage_does_not_decode(data: bytes) -> None:
    assert not decodes(data)


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp", "gif"])
def test_a_truncated_file_does_not_decode(fmt: str) -> None:
    data = generate(random.Random(5), (fmt,)).data
    assert not decodes(data[: len(data) * 2 // 3])
