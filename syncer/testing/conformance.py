"""The conformance kit: one source suite and one target suite, run against every vendor.

A vendor joins with a :class:`VendorHarness` (how to build its client against its emulator and
how to read back what a target stored) and two lines in its tests::

    class TestMoovSource(SourceSuite):
        harness = MoovHarness()

    class TestMoovTarget(TargetSuite):
        harness = MoovHarness()

Each test starts the vendor's emulator in-process on a free loopback port.
"""

from __future__ import annotations

import hashlib
import random
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import pytest

from syncer.emulators.base import VendorEmulator
from syncer.emulators.faults import FaultConfig
from syncer.emulators.images import MIME, generate
from syncer.emulators.server import serve
from syncer.http import HttpClient, Lane, RetryPolicy, open_session
from syncer.records import Blob, ImageRecord, Page
from syncer.vendors.contract import Source, Target

#: Quick retries for tests: the emulator's Retry-After still sets the pace on a 429.
FAST_RETRY = RetryPolicy(attempts=8, base=0.02, cap=0.5)


class VendorClient(Source, Target):
    """A vendor client as the kit sees it: both sides, and its HTTP connection."""

    http: HttpClient


@dataclass
class Connected:
    """One running emulator and a client connected to it."""

    emulator: VendorEmulator
    url: str
    client: Any  # a VendorClient
    session: aiohttp.ClientSession

    async def catalog(self) -> dict[str, Any]:
        async with self.session.get(f"{self.url}/_emulator/catalog") as response:
            body: dict[str, Any] = await response.json()
            return body

    def faults(self, **knobs: Any) -> None:
        self.emulator.faults.configure(FaultConfig(**knobs))

    def injected(self) -> int:
        return sum(self.emulator.injected.values())


class VendorHarness(ABC):
    """How the kit drives one vendor."""

    vendor: ClassVar[str]
    emulator_class: ClassVar[type[VendorEmulator]]
    #: The setting an AuthenticationError must name when the credentials are wrong.
    auth_setting: ClassVar[str]
    #: Image formats the kit writes to this vendor as a target.
    formats: ClassVar[tuple[str, ...]] = ("png", "jpeg")

    def emulator(self) -> VendorEmulator:
        return self.emulator_class()

    #: The vendor's client (Source and Target), built as ``client_class(settings, session,
    #: lane=..., retry=...)`` like every client.
    client_class: ClassVar[type[Any]]

    @abstractmethod
    def settings(
        self, url: str, *, wrong_credentials: bool = False, page_size: int | None = None
    ) -> Any:
        """The client's settings for the emulator at ``url`` with its demo credentials (wrong
        ones if asked); ``page_size`` overrides the listing page size."""

    def client(
        self,
        url: str,
        session: aiohttp.ClientSession,
        *,
        wrong_credentials: bool = False,
        page_size: int | None = None,
        lane: Lane | None = None,
        retry: RetryPolicy = FAST_RETRY,
    ) -> Any:
        """The vendor's client for the emulator at ``url``; ``page_size`` overrides its listing
        page size (small pages give many cursors to resume from)."""
        settings = self.settings(url, wrong_credentials=wrong_credentials, page_size=page_size)
        return self.client_class(settings, session, lane=lane, retry=retry)

    @abstractmethod
    def target_owner(self, emulator: VendorEmulator) -> str:
        """An owner the kit may create images under (made through the admin side if need be)."""

    def record(self, owner: str, index: int, blob: Blob) -> ImageRecord:
        """A source record to push: the kit's canonical test record."""
        ext = blob.mime.rsplit("/", 1)[-1].replace("jpeg", "jpg")
        return ImageRecord(
            key=f"conformance-{index}",
            owner=owner,
            filename=f"kit-{index}.{ext}",
            mime=blob.mime,
            size=blob.size,
            sha256=blob.sha256,
            alt=f"kit image {index}",
            roles=frozenset({"display"}),
        )

    def edit(self, record: ImageRecord, note: str) -> ImageRecord:
        """The record after a metadata-only edit the vendor can store (default: a new alt)."""
        return replace(record, alt=note)

    def stored_matches(self, view: dict[str, Any], record: ImageRecord) -> bool:
        """Whether a catalog entry holds the record's metadata (default: its alt text)."""
        return self.stored_alt(view) == record.alt

    def stored_alt(self, view: dict[str, Any]) -> str | None:
        """The alt text of a catalog entry (``/_emulator/catalog``) as the vendor stores it."""
        raise NotImplementedError(f"{self.vendor}: override stored_alt or stored_matches")

    def is_gone(self, view: dict[str, Any] | None) -> bool:
        """Whether a catalog entry counts as deleted (absent, or soft-deleted/disabled)."""
        return view is None or bool(view.get("deleted"))

    def source_key(self, view: dict[str, Any]) -> str:
        """The record key the source gives the image behind a catalog entry."""
        return str(view["id"])


@dataclass
class BlobMaker:
    directory: Path
    formats: tuple[str, ...]
    rng: random.Random

    def make(self, fmt: str | None = None) -> Blob:
        image = generate(self.rng, (fmt,) if fmt else self.formats)
        return self.write(image.data, MIME[image.fmt])

    def write(self, data: bytes, mime: str) -> Blob:
        digest = hashlib.sha256(data).hexdigest()
        path = self.directory / digest
        path.write_bytes(data)
        return Blob(path=path, sha256=digest, size=len(data), mime=mime)


class _Suite:
    harness: ClassVar[VendorHarness]

    @pytest.fixture
    async def connected(self) -> AsyncIterator[Connected]:
        emulator = self.harness.emulator()
        async with serve(emulator) as url, open_session() as session:
            yield Connected(emulator, url, self.harness.client(url, session), session)

    @pytest.fixture
    def blobs(self, tmp_path: Path) -> BlobMaker:
        return BlobMaker(tmp_path, self.harness.formats, random.Random(1234))


async def list_all(source: Any, cursor: dict[str, Any] | None = None) -> list[Page]:
    return [page async for page in source.pages(cursor)]


async def read_all(source: Any, record: ImageRecord) -> bytes:
    chunks = []
    async with source.open(record) as stream:
        async for chunk in stream:
            chunks.append(chunk)
    return b"".join(chunks)


def entry(catalog: dict[str, Any], image_id: str) -> dict[str, Any] | None:
    return next((i for i in catalog["images"] if str(i["id"]) == image_id), None)


def sha_of(view: dict[str, Any] | None) -> str | None:
    return None if view is None else str(view["sha256"])


def keys_of(pages: list[Page]) -> list[str]:
    return [record.key for page in pages for record in page.records]


class SourceSuite(_Suite):
    """Listing, resuming and reading, on a seeded catalog."""

    SEED = 23
    OWNERS = 3
    PAGE = 4

    @pytest.fixture
    async def seeded(self, connected: Connected) -> Connected:
        connected.emulator.seed(self.SEED, self.OWNERS, seed_value=7)
        connected.client = self.harness.client(
            connected.url, connected.session, page_size=self.PAGE
        )
        return connected

    async def live_keys(self, connected: Connected) -> list[str]:
        catalog = await connected.catalog()
        return sorted(
            self.harness.source_key(v) for v in catalog["images"] if not self.harness.is_gone(v)
        )

    async def test_lists_every_image_exactly_once(self, seeded: Connected) -> None:
        pages = await list_all(seeded.client)
        keys = keys_of(pages)
        assert len(keys) == len(set(keys))
        assert sorted(keys) == await self.live_keys(seeded)
        assert pages[-1].done
        assert all(record.owner and record.filename for p in pages for record in p.records)

    async def test_resumes_from_every_saved_cursor(self, seeded: Connected) -> None:
        import json

        pages = await list_all(seeded.client)
        assert len(pages) > 3, "the kit needs several pages to resume from"
        for index, page in enumerate(pages[:-1]):
            cursor = json.loads(json.dumps(page.cursor))  # as the state store keeps it
            rest = await list_all(seeded.client, cursor)
            assert keys_of(rest) == keys_of(pages[index + 1 :]), f"resuming after page {index}"

    async def test_open_streams_the_image(self, seeded: Connected) -> None:
        from syncer.emulators.images import decodes, image_size

        catalog = {self.harness.source_key(v): v for v in (await seeded.catalog())["images"]}
        records = [r for p in await list_all(seeded.client) for r in p.records]
        capabilities = seeded.client.capabilities
        for record in random.Random(3).sample(records, 4):
            data = await read_all(seeded.client, record)
            if capabilities.originals_readable:
                assert hashlib.sha256(data).hexdigest() == catalog[record.key]["sha256"]
            else:
                assert decodes(data)
                assert max(image_size(data)) <= (capabilities.max_read_pixels or 10**6)

    async def test_wrong_credentials_name_the_vendor_and_setting(self, seeded: Connected) -> None:
        from syncer.errors import AuthenticationError

        client = self.harness.client(seeded.url, seeded.session, wrong_credentials=True)
        with pytest.raises(AuthenticationError) as refused:
            await list_all(client)
        assert self.harness.vendor in str(refused.value)
        assert self.harness.auth_setting in str(refused.value)

    async def test_malformed_json_is_a_protocol_error(self, seeded: Connected) -> None:
        from syncer.errors import ProtocolError

        seeded.faults(garbage_rate=1.0)
        with pytest.raises(ProtocolError):
            await list_all(seeded.client)

    async def test_listing_survives_faults_at_bounded_cost(self, seeded: Connected) -> None:
        expected = await self.live_keys(seeded)
        seeded.faults(error_rate=0.1, reset_rate=0.05, rate_limit=25, seed=3)
        keys = keys_of(await list_all(seeded.client))
        assert sorted(keys) == expected
        assert seeded.client.http.retries <= 2 * seeded.injected()

    async def test_listing_waits_out_maintenance(self, seeded: Connected) -> None:
        expected = await self.live_keys(seeded)
        seeded.faults(maintenance_every=1.0, maintenance_for=0.4)
        assert sorted(keys_of(await list_all(seeded.client))) == expected


class TargetSuite(_Suite):
    """Create, read back, update, replace, delete, find and batches, with faults."""

    @pytest.fixture
    def owner(self, connected: Connected) -> str:
        return self.harness.target_owner(connected.emulator)

    async def stored(self, connected: Connected, image_id: str) -> dict[str, Any] | None:
        return entry(await connected.catalog(), image_id)

    async def test_create_update_replace_delete(
        self, connected: Connected, blobs: BlobMaker, owner: str
    ) -> None:
        client, harness = connected.client, self.harness
        blob = blobs.make()
        record = harness.record(owner, 1, blob)
        created = await client.create(record, blob)
        view = await self.stored(connected, created.id)
        assert view is not None
        assert sha_of(view) == blob.sha256
        assert harness.stored_matches(view, record)

        edited = harness.edit(record, "a changed alt")
        updated = await client.update(created.id, edited)
        view = await self.stored(connected, updated.id)
        assert view is not None
        assert harness.stored_matches(view, edited)

        new_blob = blobs.make()
        changed = replace(
            edited,
            sha256=new_blob.sha256,
            size=new_blob.size,
            mime=new_blob.mime,
        )
        replaced = await client.replace(updated.id, changed, new_blob)
        view = await self.stored(connected, replaced.id)
        assert sha_of(view) == new_blob.sha256
        if client.capabilities.replace_keeps_id:
            assert replaced.id == created.id
        else:
            assert replaced.id != created.id
            assert harness.is_gone(await self.stored(connected, created.id))

        await client.delete(replaced.id, changed)
        assert harness.is_gone(await self.stored(connected, replaced.id))
        await client.delete(replaced.id, changed)  # already gone counts as deleted

    async def test_an_interrupted_create_is_adopted_not_duplicated(
        self, connected: Connected, blobs: BlobMaker, owner: str
    ) -> None:
        """What a resumed run does with a ``sent`` create: ``find``, else create again."""
        blob = blobs.make()
        record = self.harness.record(owner, 7, blob)
        created = await connected.client.create(record, blob)
        again = await connected.client.find(record, blob) or await connected.client.create(
            record, blob
        )
        assert again.id == created.id
        catalog = await connected.catalog()
        same = [v for v in catalog["images"] if v["sha256"] == blob.sha256]
        assert [str(v["id"]) for v in same if not self.harness.is_gone(v)] == [created.id]
        other_blob = blobs.make()
        never_created = self.harness.record(owner, 8, other_blob)
        assert await connected.client.find(never_created, other_blob) is None

    async def test_find_adopts_as_complete_only_an_item_with_the_records_bytes(
        self, connected: Connected, blobs: BlobMaker, owner: str
    ) -> None:
        """The rule behind a resumed ``sent`` create: an op is done only when the target holds
        the item's bytes. ``find`` may answer an item holding other bytes (an earlier version),
        but never as complete: the engine then completes it with ``replace``."""
        fmt = self.harness.formats[0]
        blob, other_blob = blobs.make(fmt), blobs.make(fmt)
        record = self.harness.record(owner, 9, blob)
        created = await connected.client.create(record, blob)
        same = await connected.client.find(record, blob)
        assert same is None or (same.id == created.id and same.complete)
        other = replace(record, sha256=other_blob.sha256, size=other_blob.size)
        found = await connected.client.find(other, other_blob)
        assert found is None or not found.complete, "adopted with other bytes"

    async def test_batch_reports_each_item(
        self, connected: Connected, blobs: BlobMaker, owner: str
    ) -> None:
        from syncer.errors import ValidationError

        good = [blobs.make(), blobs.make()]
        broken = blobs.write(b"this is not an image at all", MIME[self.harness.formats[0]])
        items = [
            (self.harness.record(owner, 20, good[0]), good[0]),
            (self.harness.record(owner, 21, broken), broken),
            (self.harness.record(owner, 22, good[1]), good[1]),
        ]
        results = await connected.client.create_batch(items)
        assert [r.key for r in results] == [record.key for record, _ in items]
        assert [r.ok for r in results] == [True, False, True]
        assert isinstance(results[1].error, ValidationError)
        for result, blob in zip(results[::2], good, strict=True):
            assert result.item is not None
            view = await self.stored(connected, result.item.id)
            assert sha_of(view) == blob.sha256

        first = results[0].item
        assert first is not None
        deleted = await connected.client.delete_batch([(first.id, items[0][0])])
        assert [r.ok for r in deleted] == [True]
        assert self.harness.is_gone(await self.stored(connected, first.id))

    async def test_wrong_credentials_name_the_vendor_and_setting(
        self, connected: Connected, blobs: BlobMaker, owner: str
    ) -> None:
        from syncer.errors import AuthenticationError

        client = self.harness.client(connected.url, connected.session, wrong_credentials=True)
        blob = blobs.make()
        with pytest.raises(AuthenticationError) as refused:
            await client.create(self.harness.record(owner, 30, blob), blob)
        assert self.harness.vendor in str(refused.value)
        assert self.harness.auth_setting in str(refused.value)

    async def test_check_accepts_good_credentials_and_names_the_setting_of_bad_ones(
        self, connected: Connected
    ) -> None:
        from syncer.errors import AuthenticationError

        await connected.client.check()
        client = self.harness.client(connected.url, connected.session, wrong_credentials=True)
        with pytest.raises(AuthenticationError) as refused:
            await client.check()
        assert self.harness.vendor in str(refused.value)
        assert self.harness.auth_setting in str(refused.value)

    async def _round_trip(
        self, connected: Connected, blobs: BlobMaker, owner: str, index: int
    ) -> None:
        """Create, update, replace and delete one item, checking the stored bytes."""
        client = connected.client
        blob = blobs.make()
        record = self.harness.record(owner, index, blob)
        item = await client.create(record, blob)
        edited = self.harness.edit(record, f"alt {index} again")
        item = await client.update(item.id, edited)
        new_blob = blobs.make()
        changed = replace(edited, sha256=new_blob.sha256)
        item = await client.replace(item.id, changed, new_blob)
        view = await self.stored(connected, item.id)
        assert sha_of(view) == new_blob.sha256
        await client.delete(item.id, changed)
        assert self.harness.is_gone(await self.stored(connected, item.id))

    async def _round_trips(
        self, connected: Connected, blobs: BlobMaker, owner: str, count: int
    ) -> None:
        import anyio

        async with anyio.create_task_group() as group:
            for index in range(count):
                group.start_soon(self._round_trip, connected, blobs, owner, 100 + index)

    async def test_a_429_storm_is_ridden_out(
        self, connected: Connected, blobs: BlobMaker, owner: str
    ) -> None:
        connected.faults(rate_limit=8)
        await self._round_trips(connected, blobs, owner, 4)
        assert connected.emulator.injected["rate_limited"] > 0
        assert connected.client.http.lane.rate.rate is not None  # the lane adapted

    async def test_a_maintenance_window_is_waited_out(
        self, connected: Connected, blobs: BlobMaker, owner: str
    ) -> None:
        connected.faults(maintenance_every=1.5, maintenance_for=0.5)
        await self._round_trips(connected, blobs, owner, 3)

    async def test_connection_resets_are_retried(
        self, connected: Connected, blobs: BlobMaker, owner: str
    ) -> None:
        connected.faults(reset_rate=0.2, seed=5)
        await self._round_trips(connected, blobs, owner, 4)
        assert connected.emulator.injected["reset"] > 0

    async def test_faults_cost_at_most_two_retries_each(
        self, connected: Connected, blobs: BlobMaker, owner: str
    ) -> None:
        connected.faults(error_rate=0.1, reset_rate=0.05, rate_limit=20, seed=11)
        await self._round_trips(connected, blobs, owner, 5)
        assert connected.client.http.retries <= 2 * connected.injected()
