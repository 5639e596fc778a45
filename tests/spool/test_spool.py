"""The content-addressed spool: streaming writes, limits, checksums, cleanup, reads, pruning."""

from __future__ import annotations

import hashlib
import os
import random
import sys
import textwrap
import tracemalloc
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest

from syncer.emulators.images import render
from syncer.errors import NetworkError, ValidationError
from syncer.records import Blob
from syncer.spool import (
    OCTET_STREAM,
    BlobMissingError,
    BlobTooLargeError,
    ChecksumMismatchError,
    Spool,
    human_bytes,
    sniff_mime,
)
from tests.spool.conftest import put, stream

PNG = render(random.Random(1), "png", 32, 24)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def leftovers(spool: Spool) -> list[str]:
    return sorted(p.name for p in spool.tmp_dir.iterdir() if p.name != ".lock")


def blob_files(spool: Spool) -> list[Path]:
    return sorted(p for p in spool.directory.glob("??/*") if p.is_file())


@pytest.mark.parametrize(
    ("size", "chunk"),
    [(0, 1), (1, 1), (1000, 7), (5_000_000, 65_536), (3_000_000, 1_000_003)],
)
async def test_write_stores_bytes_under_their_sha256(spool: Spool, size: int, chunk: int) -> None:
    data = random.Random(size).randbytes(size)

    blob = await spool.write(stream(data, chunk))

    assert blob.sha256 == sha(data)
    assert blob.size == size
    assert blob.path == spool.directory / blob.sha256[:2] / blob.sha256
    assert blob.path.read_bytes() == data
    assert leftovers(spool) == []


async def test_mime_is_sniffed_even_when_the_head_arrives_byte_by_byte(spool: Spool) -> None:
    blob = await spool.write(stream(PNG, 1), mime_hint="image/jpeg")

    assert blob.mime == "image/png"  # the bytes win over a wrong hint
    assert (await spool.get(blob.sha256)) == blob


async def test_unknown_bytes_take_the_hint_and_keep_it_across_get(spool: Spool) -> None:
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'/>"

    hinted = await put(spool, svg, mime_hint="image/svg+xml")
    unhinted = await put(spool, b"just text")

    assert hinted.mime == "image/svg+xml"
    assert (await spool.get(hinted.sha256)) == hinted
    assert unhinted.mime == OCTET_STREAM
    assert (await spool.get(unhinted.sha256)) == unhinted


async def test_a_large_write_does_not_hold_the_file_in_memory(spool: Spool) -> None:
    size, chunk = 24_000_000, 65_536
    block = random.Random(2).randbytes(chunk)

    async def chunks() -> AsyncIterator[bytes]:
        for index in range(size // chunk):
            yield index.to_bytes(4) + block[4:]  # a new object each time, as a download gives

    tracemalloc.start()
    try:
        blob = await spool.write(chunks())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert blob.size == size // chunk * chunk
    assert peak < 4_000_000, f"peak {peak} bytes while spooling {size} bytes"


async def test_concurrent_writes_of_the_same_bytes_share_one_blob(spool: Spool) -> None:
    data = random.Random(3).randbytes(300_000)
    results = []

    async def one() -> None:
        async def slow() -> AsyncIterator[bytes]:
            async for chunk in stream(data, 10_000):
                await anyio.lowlevel.checkpoint()
                yield chunk

        results.append(await spool.write(slow()))

    async with anyio.create_task_group() as group:
        for _ in range(8):
            group.start_soon(one)

    assert len(results) == 8
    assert len(set(results)) == 1
    assert blob_files(spool) == [results[0].path]
    assert results[0].path.read_bytes() == data
    assert leftovers(spool) == []


async def test_writing_existing_bytes_keeps_the_blob_and_repairs_a_damaged_one(
    spool: Spool,
) -> None:
    first = await put(spool, PNG)
    inode = first.path.stat().st_ino
    assert (await put(spool, PNG)).path.stat().st_ino == inode

    first.path.write_bytes(PNG[:10])  # damaged on disk
    again = await put(spool, PNG)

    assert again.path.read_bytes() == PNG
    assert leftovers(spool) == []


async def test_a_stream_over_the_limit_stops_early_and_leaves_nothing(tmp_path: Path) -> None:
    consumed = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal consumed
        while True:
            consumed += 1
            yield b"x" * 1000

    async with Spool(tmp_path, max_bytes=1_000_000) as spool:
        with pytest.raises(BlobTooLargeError) as caught:
            await spool.write(endless(), max_bytes=50_000, item="part-7/front.jpg")

        assert caught.value.limit == 50_000
        assert "50.0 kB limit (50000 bytes)" in str(caught.value)
        assert "part-7/front.jpg" in str(caught.value)
        assert isinstance(caught.value, ValidationError)
        assert caught.value.skippable
        assert consumed == 51
        assert leftovers(spool) == []
        assert blob_files(spool) == []


async def test_the_smaller_limit_applies_and_a_stream_at_the_limit_passes(tmp_path: Path) -> None:
    async with Spool(tmp_path, max_bytes=100) as spool:
        assert (await spool.write(stream(b"a" * 100, 30))).size == 100
        assert (await spool.write(stream(b"b" * 50), max_bytes=500)).size == 50
        with pytest.raises(BlobTooLargeError) as caught:
            await spool.write(stream(b"c" * 101), max_bytes=500)
        assert caught.value.limit == 100


async def test_a_checksum_mismatch_raises_and_keeps_nothing(spool: Spool) -> None:
    wrong = sha(b"something else")

    with pytest.raises(ChecksumMismatchError) as caught:
        await put_expecting(spool, PNG, wrong)

    assert caught.value.expected == wrong
    assert caught.value.actual == sha(PNG)
    assert wrong in str(caught.value)
    assert blob_files(spool) == []
    assert leftovers(spool) == []


async def test_a_matching_checksum_is_accepted_in_any_case(spool: Spool) -> None:
    blob = await put_expecting(spool, PNG, sha(PNG).upper())

    assert blob.sha256 == sha(PNG)


async def put_expecting(spool: Spool, data: bytes, expected: str) -> Blob:
    return await spool.write(stream(data), expected_sha256=expected)


async def test_cancellation_mid_stream_leaves_no_temp_file(spool: Spool) -> None:
    started = anyio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield b"\x89PNG\r\n\x1a\n" + b"x" * 100_000
        started.set()
        await anyio.sleep_forever()
        yield b""  # pragma: no cover

    async with anyio.create_task_group() as group:
        group.start_soon(spool.write, stalls())
        await started.wait()
        assert len(leftovers(spool)) == 1  # the write really was in flight
        group.cancel_scope.cancel()

    assert leftovers(spool) == []
    assert blob_files(spool) == []


async def test_a_failing_source_stream_leaves_no_temp_file(spool: Spool) -> None:
    async def breaks() -> AsyncIterator[bytes]:
        yield b"x" * 10_000
        raise NetworkError("connection reset", vendor="moov", operation="open")

    with pytest.raises(NetworkError):
        await spool.write(breaks())

    assert leftovers(spool) == []
    assert blob_files(spool) == []


async def test_write_needs_a_started_spool(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="async with Spool"):
        await Spool(tmp_path).write(stream(b"x"))


async def test_start_removes_temp_files_of_a_dead_process(tmp_path: Path) -> None:
    async with Spool(tmp_path):
        pass
    stale = tmp_path / "tmp" / "4242-deadbeef.part"
    stale.write_bytes(b"half a file")
    unrelated = tmp_path / "tmp" / "notes.txt"
    unrelated.write_text("not ours")

    async with Spool(tmp_path):
        assert not stale.exists()
        assert unrelated.exists()


async def test_start_keeps_temp_files_while_another_spool_is_open(tmp_path: Path) -> None:
    async with Spool(tmp_path) as first:
        in_flight = first.tmp_dir / f"{os.getpid()}-live.part"
        in_flight.write_bytes(b"being written")

        async with Spool(tmp_path):
            assert in_flight.exists()

    async with Spool(tmp_path):
        assert not in_flight.exists()


KILLED_WRITER = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    import anyio
    from syncer.spool import Spool

    async def main() -> None:
        async with Spool(Path(sys.argv[1])) as spool:
            async def dies():
                yield b"x" * 100_000
                os._exit(9)  # killed mid-stream: no finally, no cleanup
                yield b""
            await spool.write(dies())

    anyio.run(main)
    """
)


async def test_a_killed_writer_leaves_a_temp_file_the_next_start_cleans(tmp_path: Path) -> None:
    result = await anyio.run_process(
        [sys.executable, "-c", KILLED_WRITER, str(tmp_path)], check=False
    )
    assert result.returncode == 9, result.stderr.decode()
    orphans = list((tmp_path / "tmp").glob("*.part"))
    assert len(orphans) == 1
    assert orphans[0].stat().st_size == 100_000

    async with Spool(tmp_path) as spool:
        assert leftovers(spool) == []


async def test_get_answers_none_for_an_absent_blob_and_refuses_a_bad_name(spool: Spool) -> None:
    assert await spool.get(sha(b"never written")) is None
    with pytest.raises(ValueError, match="sha256"):
        await spool.get("../../etc/passwd")


async def test_open_streams_the_blob_in_chunks(tmp_path: Path) -> None:
    data = random.Random(5).randbytes(2_500_000)
    async with Spool(tmp_path, chunk_size=1_000_000) as spool:
        blob = await put(spool, data)

        chunks = [chunk async for chunk in spool.open(blob)]

    assert [len(chunk) for chunk in chunks] == [1_000_000, 1_000_000, 500_000]
    assert b"".join(chunks) == data


async def test_open_can_be_abandoned_early_and_closes_its_file(spool: Spool) -> None:
    blob = await put(spool, random.Random(6).randbytes(3_000_000))

    async with aclosing(spool.open(blob)) as chunks:
        async for chunk in chunks:
            assert chunk
            break
    # filterwarnings = error: an unclosed file would fail this test with a ResourceWarning


async def test_open_of_a_removed_blob_says_so(spool: Spool) -> None:
    blob = await put(spool, PNG)
    assert await spool.remove(blob.sha256)
    assert not await spool.remove(blob.sha256)

    with pytest.raises(BlobMissingError, match=blob.sha256):
        async for _ in spool.open(blob):
            pass  # pragma: no cover


async def test_an_index_entry_whose_result_is_gone_reads_as_none(spool: Spool) -> None:
    source, result = await put(spool, PNG), await put(spool, b"result")
    await spool.remember(source.sha256, "image_png-side0", result.sha256)
    await spool.remove(result.sha256)

    assert await spool.derived(source.sha256, "image_png-side0") is None
    with pytest.raises(ValueError, match="recipe"):
        await spool.derived(source.sha256, "../escape")


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("png", "image/png"), ("jpeg", "image/jpeg"), ("gif", "image/gif"), ("webp", "image/webp")],
)
def test_sniff_mime_knows_generated_images(fmt: str, mime: str) -> None:
    assert sniff_mime(render(random.Random(8), fmt, 20, 20)[:32]) == mime


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"II*\x00rest", "image/tiff"),
        (b"\x00\x00\x00\x1cftypavif", "image/avif"),
        (b"\x00\x00\x00\x18ftypheic", "image/heic"),
        (b"\x00\x00\x00\x18ftypmp42", None),
        (b"", None),
        (b"%PDF-1.7", None),
    ],
)
def test_sniff_mime_other_heads(head: bytes, mime: str | None) -> None:
    assert sniff_mime(head) == mime


@pytest.mark.parametrize(
    ("count", "text"),
    [(999, "999 bytes"), (16_000_000, "16.0 MB"), (2_500_000_000, "2.5 GB")],
)
def test_human_bytes(count: int, text: str) -> None:
    assert human_bytes(count) == text


def test_sniff_mime_does_not_take_text_for_a_bitmap() -> None:
    assert sniff_mime(b"BMW parts list, 2026 edition") is None
    assert sniff_mime(b"BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00") == "image/bmp"
