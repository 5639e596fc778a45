"""A failed item names its target, its source key and its file name: in the op's stored error,
in the run's output and in ``syncer status JOB`` (issue 8, item 7)."""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from syncer.emulators.partium.emulator import PartiumEmulator
from syncer.emulators.spiffy.emulator import SpiffyEmulator
from syncer.engine.commands import _status
from syncer.engine.report import failed_items_text, summary_text
from syncer.engine.run import JobRun, Mode
from syncer.state import OpRow
from tests.engine.rigs import Opened, opened


def jpeg_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A tiny JPEG whose frame header declares ``width`` x ``height`` pixels."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG")
    data = bytearray(out.getvalue())
    frame = data.index(b"\xff\xc0")  # SOF0: marker, length (2), precision (1), height, width
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


JOB = """
[source]
vendor = "spiffy"
base_url = "${SPIFFY_URL}"
api_key = "demo"
password = "demo"

[[targets]]
name = "shop"
vendor = "partium"
base_url = "${PARTIUM_URL}"
api_key = "demo"

[targets.mapping]
default_owner = "part-0001"
"""


@dataclass
class Bad:
    """A source holding a hostile file, on its way to the target ``shop``."""

    it: Opened
    key: str

    async def error(self) -> str:
        """The stored error of the one failed op, which is the bad item's."""
        [op] = await self.it.store.failed_ops(self.it.job.name)
        assert op.key == self.key
        assert op.error is not None
        return op.error

    async def status(self) -> str:
        """What ``syncer status JOB`` prints."""
        return await _status(str(self.it.store._db.url), self.it.job.name)


@asynccontextmanager
async def with_bad_item(tmp_path: Path, filename: str, data: bytes) -> AsyncIterator[Bad]:
    """Spiffy holding two good images and ``data`` as ``filename`` (which its API would
    refuse), migrated to Partium as the target ``shop``."""
    spiffy, partium = SpiffyEmulator(), PartiumEmulator()
    spiffy.seed(2, 1, seed_value=3)
    partium.seed(0, 1)
    owner = next(iter(spiffy.store.owners.values()))
    image = spiffy.make_image(owner, filename, data, "jpeg", alt="", variation_ids=[])
    spiffy.catalog.insert(image, None)
    async with opened(tmp_path, JOB, {"SPIFFY_URL": spiffy, "PARTIUM_URL": partium}) as it:
        yield Bad(it, str(image.id))


def png_only(bad: Bad) -> JobRun:
    """A migration to a ``shop`` that takes PNG only, so every other type is converted."""
    it = bad.it
    run = JobRun(it.job, it.store, it.spool, it.session, Mode.MIGRATE)
    accepted = frozenset({"image/png"})
    [target] = run.targets
    policy = target.policy
    capabilities = replace(policy.capabilities, accepted_mimes=accepted)
    run.targets = [replace(target, policy=replace(policy, capabilities=capabilities))]
    return run


@pytest.mark.parametrize(
    ("filename", "data", "reason"),
    [
        pytest.param("empty.jpg", b"", "the file is empty (0 bytes)", id="zero-length"),
        pytest.param(
            "notes\r\n\x1b[2J.jpg",
            b"these are notes, not a JPEG",
            "of no image type Pillow knows",
            id="text-named-jpg",
        ),
        pytest.param("huge.jpg", jpeg_bomb(), "a decompression bomb", id="decompression-bomb"),
    ],
)
async def test_a_failed_conversion_names_the_target_the_key_and_the_file(
    tmp_path: Path, filename: str, data: bytes, reason: str
) -> None:
    async with with_bad_item(tmp_path, filename, data) as bad:
        summary = await png_only(bad).run()
        assert summary.status == "partial"
        assert summary.failed["shop.create"] == 1
        error = await bad.error()
        status = await bad.status()
    named = f"syncer convert for target 'shop' [key {bad.key!r}, file {filename!r}]: "
    assert error.startswith(named), error
    assert reason in error
    assert error.endswith(f"(spool blob {hashlib.sha256(data).hexdigest()})")
    assert error.isprintable()  # a control character in a name is escaped, not printed
    assert str(tmp_path) not in error  # nor is the spool's path
    assert f"error: {error}" in summary_text(summary, "job", "migrate")
    assert f"shop  create key {bad.key!r}  file {filename!r}  attempts 0  terminal" in status
    assert f"    {error}" in status
    assert "\x1b" not in status
    assert "\r" not in status


async def test_a_vendor_refusal_names_the_target_the_key_and_the_file(tmp_path: Path) -> None:
    truncated = jpeg_bomb(8, 8)[:40]  # a JPEG by its first bytes: sent as it is, and refused
    async with with_bad_item(tmp_path, "cut.jpg", truncated) as bad:
        it = bad.it
        summary = await JobRun(it.job, it.store, it.spool, it.session, Mode.MIGRATE).run()
        error = await bad.error()
        status = await bad.status()
    assert error.startswith(f"partium upsert for target 'shop' [key {bad.key!r}, file 'cut.jpg']")
    assert error in summary.errors
    assert "file 'cut.jpg'  attempts 1" in status


async def test_an_unreadable_source_file_names_the_key_and_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syncer.engine.fetch import Bytes
    from syncer.errors import NotFoundError

    download = Bytes.download

    async def flaky(self: Bytes, record: Any, **how: Any) -> Any:
        if record.filename == "lost\n.jpg":
            raise NotFoundError(
                "gone meanwhile", vendor="spiffy", operation="open", item=record.key
            )
        return await download(self, record, **how)

    monkeypatch.setattr(Bytes, "download", flaky)
    async with with_bad_item(tmp_path, "lost\n.jpg", b"") as bad:
        it = bad.it
        summary = await JobRun(it.job, it.store, it.spool, it.session, Mode.MIGRATE).run()
    assert summary.errors == [f"spiffy open [key {bad.key!r}, file 'lost\\n.jpg']: gone meanwhile"]


def failed_op(number: int) -> OpRow:
    record = {"filename": f"file-{number}.png"}
    return OpRow(
        number, "job", 1, "shop", f"key-{number}", "create", "failed_retryable", None,
        {"record": record}, 2, f"syncer convert [key-{number}]: broken", "2026-12-03",
    )  # fmt: skip


def test_status_lists_the_first_failed_items_and_counts_the_rest() -> None:
    text = failed_items_text([failed_op(n) for n in range(20)], 25)
    assert text.count("attempts 2  retryable") == 20
    assert "shop  create key 'key-19'  file 'file-19.png'" in text
    assert text.endswith("and 5 more")
    assert failed_items_text([], 0) == ""


def test_a_hostile_name_is_escaped_and_bounded_in_a_failure() -> None:
    from syncer.engine.failures import NAME_CHARS, item_failure
    from syncer.errors import ValidationError

    exc = ValidationError("refused", vendor="moov", operation="create", item="img_9", status=422)
    name = "\u202egpj.exe" + "x" * 500
    text = item_failure(exc, "shop\n", "k\x1b[1m", name)
    assert text.isprintable()
    assert text.startswith("moov create for target 'shop\\n' [key 'k\\x1b[1m', file '\\u202egpj")
    assert f"… ({len(name)} characters)]" in text
    assert len(text) < 2 * NAME_CHARS + 120
    assert text.endswith(": refused (HTTP 422) (item 'img_9')")
