"""Bounding the spool: prune what no open op needs, discard one blob, measure the usage."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest

from syncer.spool import PruneReport, Spool
from syncer.spool import prune as spool_prune
from syncer.spool import store as spool_store
from tests.spool.conftest import put

UNKNOWN = b"\x00not an image format anyone sniffs"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files(spool: Spool) -> set[str]:
    """Every file under the spool but the lock, as paths relative to it."""
    root = spool.directory
    return {
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and path.name != ".lock"
    }


def on_disk(spool: Spool) -> int:
    return sum(path.stat().st_size for path in spool.directory.rglob("*") if path.is_file())


async def reopened(spool: Spool) -> Spool:
    """The same spool directory as a later run opens it (nothing written by it yet)."""
    await spool.aclose()
    return await Spool(spool.directory).__aenter__()


async def test_prune_removes_every_blob_not_kept_with_its_note_and_reports_it(
    spool: Spool,
) -> None:
    kept = await put(spool, b"kept" * 100, mime_hint="image/x-kept")
    gone = await put(spool, UNKNOWN * 10, mime_hint="image/x-gone")
    other = await put(spool, b"other" * 7)
    spool = await reopened(spool)
    note = spool.path_for(gone.sha256).with_name(gone.sha256 + ".mime")
    size = gone.size + other.size + note.stat().st_size

    report = await spool.prune({kept.sha256})

    assert report == PruneReport(blobs=2, files=3, bytes=size)
    assert await spool.get(gone.sha256) is None
    assert await spool.get(other.sha256) is None
    assert (await spool.get(kept.sha256)) == kept  # its note kept: the hinted type survives
    assert not note.exists()
    assert await spool.prune({kept.sha256}) == PruneReport()
    await spool.aclose()


async def test_conversions_of_a_kept_blob_stay_and_those_of_a_removed_one_go(
    spool: Spool,
) -> None:
    source = await put(spool, b"source one")
    result = await put(spool, b"its png")
    dropped = await put(spool, b"source two")
    dropped_result = await put(spool, b"the png of source two")
    await spool.remember(source.sha256, "image_png-side0", result.sha256)
    await spool.remember(dropped.sha256, "image_png-side0", dropped_result.sha256)
    spool = await reopened(spool)

    report = await spool.prune([source.sha256])

    assert (report.blobs, report.files) == (2, 3)  # two blobs and one index entry
    assert await spool.derived(source.sha256, "image_png-side0") == result
    assert not (spool.conversions_dir / dropped.sha256).exists()
    assert files(spool) == {
        f"{source.sha256[:2]}/{source.sha256}",
        f"{result.sha256[:2]}/{result.sha256}",
        f"conversions/{source.sha256}/image_png-side0",
    }
    await spool.aclose()


async def test_an_index_entry_whose_result_is_gone_is_dropped(spool: Spool) -> None:
    source = await put(spool, b"source")
    await spool.remember(source.sha256, "image_jpeg-side0", "ab" * 32)  # never written
    (spool.conversions_dir / source.sha256 / "junk").write_text("not a sha", encoding="ascii")

    report = await spool.prune({source.sha256})

    assert report.files == 2
    assert list((spool.conversions_dir / source.sha256).iterdir()) == []
    assert await spool.get(source.sha256) is not None


async def test_a_blob_written_a_moment_ago_is_spared_by_a_prune_that_asks_so(
    spool: Spool,
) -> None:
    """Downloaded a moment ago for an op a live run has not journalled yet: a prune given
    ``fresh_seconds`` leaves it; once it is older than that, or without it, it goes."""
    import os

    fresh = await put(spool, b"just downloaded")

    assert await spool.prune((), fresh_seconds=60) == PruneReport()
    assert await spool.get(fresh.sha256) is not None
    old = fresh.path.stat().st_mtime - 120
    os.utime(fresh.path, (old, old))
    assert (await spool.prune((), fresh_seconds=60)).blobs == 1
    assert await spool.get(fresh.sha256) is None


async def test_prune_never_touches_the_temp_file_of_a_live_write(spool: Spool) -> None:
    half_sent = anyio.Event()
    finish = anyio.Event()
    written: list[str] = []

    async def slow() -> AsyncIterator[bytes]:
        yield b"first half "
        half_sent.set()
        await finish.wait()
        yield b"second half"

    async def write() -> None:
        written.append((await spool.write(slow())).sha256)

    stale = await put(spool, b"stale")
    spool_again = Spool(spool.directory)  # what a later prune sees: no recent writes
    async with anyio.create_task_group() as tg:
        tg.start_soon(write)
        await half_sent.wait()
        in_flight = [p for p in spool.tmp_dir.iterdir() if p.suffix == ".part"]
        report = await spool_again.prune(())
        assert [p for p in in_flight if p.exists()] == in_flight
        finish.set()
    assert report.blobs == 1
    assert await spool.get(stale.sha256) is None
    assert written == [sha(b"first half second half")]
    assert await spool.get(written[0]) is not None


async def test_usage_counts_every_byte_on_disk_and_falls_by_what_prune_removed(
    spool: Spool,
) -> None:
    for index in range(5):
        await put(spool, os.urandom(1000 + index), mime_hint="image/x-test")
    in_flight = spool.tmp_dir / f"{os.getpid()}-live.part"
    in_flight.write_bytes(b"x" * 123)
    before = await spool.usage()
    assert before == on_disk(spool)
    assert before >= 5 * 1000 + 123

    report = await Spool(spool.directory).prune(())

    assert await spool.usage() == before - report.bytes == on_disk(spool)
    assert in_flight.exists()


async def test_a_long_sync_that_prunes_does_not_grow_the_spool(spool: Spool) -> None:
    """Each round downloads new bytes for its ops and closes the ops of the round before;
    pruning to the open ops keeps the spool at a few rounds' worth, however many rounds."""
    open_ops: list[str] = []
    highest = 0
    for round_ in range(30):
        batch = [await put(spool, os.urandom(2000) + bytes([round_, i])) for i in range(4)]
        open_ops = [blob.sha256 for blob in batch]  # the previous round's ops are done
        await spool.prune(open_ops)
        highest = max(highest, await spool.usage())
        if round_ == 2:
            settled = highest
    assert highest == settled  # bounded after the first rounds: no growth with the rounds
    assert len(list(spool.directory.glob("??/*"))) <= 8  # this round's and the spared last


async def test_discard_drops_the_blob_its_note_and_its_index_entries(spool: Spool) -> None:
    source = await put(spool, UNKNOWN, mime_hint="image/x-odd")
    result = await put(spool, b"converted")
    await spool.remember(source.sha256, "image_png-side0", result.sha256)

    report = await spool.discard(source.sha256)

    assert (report.blobs, report.files) == (1, 3)
    assert files(spool) == {f"{result.sha256[:2]}/{result.sha256}"}
    assert await spool.discard(source.sha256) == PruneReport()
    with pytest.raises(ValueError, match="not a lowercase hex sha256"):
        await spool.discard("../etc")


async def test_the_file_work_runs_in_a_worker_thread(
    spool: Spool, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    real = spool_prune.prune_directory

    def recording(directory: Path, spared: object) -> PruneReport:
        threads.append(threading.current_thread().name)
        return real(directory, spared)  # type: ignore[arg-type]

    monkeypatch.setattr(spool_store, "prune_directory", recording)
    await spool.prune(())
    assert threads
    assert threads != [threading.main_thread().name]


async def test_files_that_are_not_the_spools_own_are_left_alone(spool: Spool) -> None:
    (spool.directory / "ab").mkdir(exist_ok=True)
    foreign = [spool.directory / "ab" / "notes.txt", spool.directory / "README"]
    for path in foreign:
        path.write_text("someone else's", encoding="ascii")
    await put(spool, b"a blob")
    assert (await Spool(spool.directory).prune(())).blobs == 1
    assert all(path.exists() for path in foreign)
