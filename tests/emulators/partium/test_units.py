"""The pure pieces: info tokens, the cursor, file pairing, knob checks."""

from __future__ import annotations

import pytest

from syncer.emulators.partium.cursor import decode_cursor, encode_cursor
from syncer.emulators.partium.descriptions import image_id_problem, info_problem
from syncer.emulators.partium.emulator import PartiumEmulator
from syncer.emulators.partium.knobs import PartiumKnobs
from syncer.emulators.partium.upload import UploadedFile, pair_files


@pytest.mark.parametrize(
    "info",
    [
        "",
        "searchable",
        "display",
        "searchable display",
        "display position=3",
        "position=0 display",
        "display  display\tsearchable",
        "display position=007",
    ],
)
def test_valid_info(info: str) -> None:
    assert info_problem(info) is None


@pytest.mark.parametrize(
    ("info", "problem"),
    [
        ("display weight=3", "Unknown info token 'weight=3'"),
        ("position", "Unknown info token 'position'"),
        ("display position=", "position must be an integer >= 0, got ''"),
        ("display position=+1", "position must be an integer >= 0, got '+1'"),
        ("display position=٣", "position must be an integer >= 0, got '٣'"),
        ("position=1", "position is only allowed together with the display token"),
        (None, "info must be a string"),
    ],
)
def test_invalid_info(info: object, problem: str) -> None:
    assert (info_problem(info) or "").startswith(problem)


@pytest.mark.parametrize("image_id", ["", ".", "..", "a/b", "tab\there", "x" * 257])
def test_unusable_image_ids(image_id: str) -> None:
    assert image_id_problem(image_id) is not None


@pytest.mark.parametrize("image_id", ["image1", "a b", "Ünïcode", "x" * 256, "a.b.c"])
def test_usable_image_ids(image_id: str) -> None:
    assert image_id_problem(image_id) is None


def test_cursor_round_trips_and_refuses_foreign_tokens() -> None:
    tokens = [encode_cursor(seq) for seq in range(1, 2000)]
    assert len(set(tokens)) == len(tokens)
    assert [decode_cursor(t) for t in tokens] == list(range(1, 2000))
    for foreign in ("", "image1", "0" * 24, encode_cursor(5).upper(), encode_cursor(5) + "0"):
        assert decode_cursor(foreign) is None


def files(*names: str | None) -> list[UploadedFile]:
    return [UploadedFile(name, "image/jpeg", (name or "-").encode()) for name in names]


def test_pairing_rules() -> None:
    a, b = files("b.jpg", "a.jpg")
    assert pair_files(["a", "b"], [a, b]) == [a, b]  # as many files: by position
    (c,) = files("c.png")
    assert pair_files(["a", "c", "d"], [c]) == [None, c, None]  # fewer, all named: by name
    (bare,) = files("c")
    assert pair_files(["x", "c"], [bare]) == [None, bare]  # a name without extension counts
    unnamed = files(None)
    assert pair_files(["a", "b"], unnamed) == [unnamed[0], None]  # fewer, unnamed: position
    twice = files("a.jpg", "a.png")
    assert pair_files(["a", "b", "c"], twice) == [*twice, None]  # ambiguous names: position
    assert pair_files([None, "a"], files("a.jpg")) == [None, files("a.jpg")[0]]


@pytest.mark.parametrize(
    "changes",
    [
        {"default_page_size": 0},
        {"default_page_size": 101},
        {"max_batch": -1},
        {"processing_seconds": -1},
        {"formats": ("bmp",)},
        {"max_request_bytes": 0},
    ],
)
def test_bad_knobs_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must"):
        PartiumEmulator(knobs=changes)


def test_knobs_come_from_strings_as_on_the_command_line() -> None:
    emulator = PartiumEmulator(
        knobs={
            "auto_create_parts": "true",
            "formats": "jpeg,png,webp",
            "max_page_size": "500",
            "processing_seconds": "0.5",
        }
    )
    assert emulator.knobs == PartiumKnobs(
        auto_create_parts=True,
        formats=("jpeg", "png", "webp"),
        max_page_size=500,
        processing_seconds=0.5,
    )
