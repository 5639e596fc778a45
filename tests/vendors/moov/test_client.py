"""The Moov client against the Moov emulator: the vendor's traps, beyond the conformance kit."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from syncer.emulators.base import EmulatedError, json_response
from syncer.emulators.images import MIME, generate, image_size, render
from syncer.emulators.moov.emulator import MoovEmulator
from syncer.emulators.moov.views import FIRST_ACCOUNT
from syncer.emulators.server import serve
from syncer.errors import (
    ConfigError,
    ConflictError,
    ProtocolError,
    RepeatedCursorError,
    ValidationError,
)
from syncer.http import RetryPolicy, open_session
from syncer.records import Blob, ImageRecord, Page
from syncer.vendors.moov.client import ImageLimitError, MoovClient, MoovSettings

QUICK = RetryPolicy(attempts=4, base=0.01, cap=0.05)
UPLOADS = ("POST", "/accounts/{accountID}/images")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Moov:
    emulator: MoovEmulator
    url: str
    session: aiohttp.ClientSession
    directory: Path

    def client(self, **settings: Any) -> MoovClient:
        settings.setdefault("username", "demo")
        settings.setdefault("password", "demo")
        return MoovClient(MoovSettings(base_url=self.url, **settings), self.session, retry=QUICK)

    def blob(self, salt: int, fmt: str = "png", data: bytes | None = None) -> Blob:
        data = data if data is not None else generate(random.Random(salt), (fmt,)).data
        digest = hashlib.sha256(data).hexdigest()
        path = self.directory / digest
        path.write_bytes(data)
        return Blob(path=path, sha256=digest, size=len(data), mime=MIME[fmt])

    def stored(self, image_id: str) -> Any:
        return self.emulator.store.image(image_id)

    def sent(self, method: str, route: str) -> int:
        counts = self.emulator.requests.items()
        return sum(n for (m, r, _), n in counts if (m, r) == (method, route))


def record(blob: Blob, index: int = 1, alt: str | None = "an alt") -> ImageRecord:
    return ImageRecord(
        key=f"source-{index}",
        owner=FIRST_ACCOUNT,
        filename=f"source-{index}.png",
        mime=blob.mime,
        sha256=blob.sha256,
        size=blob.size,
        alt=alt,
    )


@asynccontextmanager
async def running(emulator: MoovEmulator, directory: Path) -> AsyncIterator[Moov]:
    async with serve(emulator) as url, open_session() as session:
        yield Moov(emulator, url, session, directory)


def with_demo_account(**knobs: Any) -> MoovEmulator:
    emulator = MoovEmulator(knobs=knobs)
    emulator.admin_add_owner({})
    return emulator


@pytest.fixture
async def moov(tmp_path: Path) -> AsyncIterator[Moov]:
    async with running(with_demo_account(), tmp_path) as env:
        yield env


async def listed(client: MoovClient, cursor: dict[str, Any] | None = None) -> list[Page]:
    return [page async for page in client.pages(cursor)]


# -- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"api_version": "v2026.07.00"}, "moov.api_version"),
        ({"api_version": "2026"}, "moov.api_version"),
        ({"page_size": 0}, "moov.page_size"),
        ({"page_size": 201}, "moov.page_size"),
        ({"more_account_ids": ("",)}, "moov.more_account_ids"),
    ],
)
def test_settings_refuse_what_would_break_the_client(changes: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(named)):
        MoovSettings(username="u", password="p", **changes)


def test_settings_accept_later_versions_and_keep_the_secret_out_of_repr() -> None:
    settings = MoovSettings(username="pk", password="s3cr3t-key", api_version="v2027.01.00")
    assert "s3cr3t-key" not in repr(settings)
    assert settings.accounts == (FIRST_ACCOUNT,)


def test_the_client_is_a_source_and_a_target_that_cannot_read_originals() -> None:
    from syncer.vendors.contract import Source, Target

    settings = MoovSettings(username="u", password="p")
    client = MoovClient.__new__(MoovClient)
    assert isinstance(client, Source)
    assert isinstance(client, Target)
    capabilities = MoovClient.capabilities
    assert not capabilities.originals_readable
    assert capabilities.max_read_pixels == 2048
    assert capabilities.accepted_mimes == {"image/png", "image/jpeg", "image/webp"}
    assert capabilities.max_bytes == 16 * 1024 * 1024
    assert capabilities.replace_keeps_id
    assert capabilities.soft_delete
    assert settings.page_size <= 200


# -- target --------------------------------------------------------------------------------------


@pytest.mark.parametrize("duplicate_body", ["merged", "metadata"])
async def test_a_duplicate_upload_is_adopted_with_the_records_alt(
    tmp_path: Path, duplicate_body: str
) -> None:
    async with running(with_demo_account(duplicate_body=duplicate_body), tmp_path) as moov:
        client, blob = moov.client(), moov.blob(1)
        first = await client.create(record(blob, alt="first alt"), blob)
        again = await client.create(record(blob, 2, alt="second alt"), blob)
        assert again.id == first.id
        assert again.adopted is True
        assert again.sha256 == blob.sha256
        assert moov.stored(first.id).fields["altText"] == "second alt"
        assert len(moov.emulator.store) == 1


async def test_an_upload_whose_bytes_belong_to_a_disabled_image_is_a_conflict(
    moov: Moov,
) -> None:
    client, blob = moov.client(), moov.blob(1)
    created = await client.create(record(blob), blob)
    await client.delete(created.id, record(blob))
    with pytest.raises(ConflictError, match="cannot re-enable") as conflict:
        await client.create(record(blob), blob)
    assert conflict.value.body["imageID"] == created.id
    assert len(moov.emulator.store) == 1


def _answer_lost_after_applying(emulator: MoovEmulator, how: str) -> None:
    """The first upload is applied, then its answer is lost (a 502, or a broken connection)."""
    original: Handler = emulator.upload_image
    calls = []

    async def upload(request: web.Request) -> web.StreamResponse:
        response = await original(request)
        calls.append(response.status)
        if len(calls) > 1:
            return response
        if how == "502":
            raise EmulatedError(502, "bad gateway")
        assert request.transport is not None
        request.transport.abort()
        return web.Response(status=0)

    emulator.upload_image = upload  # type: ignore[method-assign, assignment]


@pytest.mark.parametrize("how", ["502", "reset"])
async def test_an_upload_applied_but_unanswered_is_adopted_not_duplicated(
    tmp_path: Path, how: str
) -> None:
    emulator = with_demo_account()
    _answer_lost_after_applying(emulator, how)
    async with running(emulator, tmp_path) as moov:
        client, blob = moov.client(), moov.blob(1)
        item = await client.create(record(blob), blob)
        assert [image.id for image in moov.emulator.store.iter_images()] == [item.id]
        assert item.adopted is True
        assert moov.sent(*UPLOADS) == 2
        assert client.http.retries == 1
        assert await client.find(record(blob), blob) is None


async def test_a_replace_applied_but_unanswered_succeeds_on_the_retry(tmp_path: Path) -> None:
    emulator = with_demo_account()
    original: Handler = emulator.replace_image
    answered: list[int] = []

    async def replace_image(request: web.Request) -> web.StreamResponse:
        try:
            response = await original(request)
        except EmulatedError as refused:
            answered.append(refused.status)
            raise
        answered.append(response.status)
        if len(answered) == 1:
            raise EmulatedError(502, "bad gateway")
        return response

    emulator.replace_image = replace_image  # type: ignore[method-assign, assignment]
    async with running(emulator, tmp_path) as moov:
        client, one, other = moov.client(), moov.blob(1), moov.blob(2)
        created = await client.create(record(one), one)
        replaced = await client.replace(created.id, record(other, alt="after"), other)
    assert replaced.id == created.id
    assert answered == [200, 409]  # the retry met its own bytes: a no-op, not an error
    assert moov.stored(created.id).sha256 == other.sha256
    assert moov.stored(created.id).fields["altText"] == "after"


async def test_replacing_with_the_images_own_bytes_is_a_no_op(moov: Moov) -> None:
    client, blob = moov.client(), moov.blob(1)
    created = await client.create(record(blob), blob)
    replaced = await client.replace(created.id, record(blob, alt="new alt"), blob)
    assert replaced.id == created.id
    assert replaced.sha256 == blob.sha256
    assert moov.stored(created.id).sha256 == blob.sha256
    assert moov.stored(created.id).fields["altText"] == "new alt"


async def test_replacing_with_another_images_bytes_is_a_conflict(moov: Moov) -> None:
    client, one, other = moov.client(), moov.blob(1), moov.blob(2)
    first = await client.create(record(one), one)
    second = await client.create(record(other, 2), other)
    with pytest.raises(ConflictError, match=second.id):
        await client.replace(first.id, record(other), other)
    assert moov.stored(first.id).sha256 == one.sha256


async def test_replace_keeps_the_id_and_sets_the_whole_metadata(moov: Moov) -> None:
    client, one, other = moov.client(), moov.blob(1), moov.blob(2, "webp")
    created = await client.create(record(one), one)
    replaced = await client.replace(created.id, record(other, alt=None), other)
    assert replaced.id == created.id
    stored = moov.stored(created.id)
    assert (stored.sha256, stored.mime) == (other.sha256, "image/webp")
    assert "altText" not in stored.fields


async def test_an_update_without_alt_clears_it(moov: Moov) -> None:
    client, blob = moov.client(), moov.blob(1)
    created = await client.create(record(blob), blob)
    updated = await client.update(created.id, record(blob, alt=None))
    assert "altText" not in moov.stored(created.id).fields
    assert updated.version == moov.stored(created.id).updated_at != created.version


async def test_a_full_library_is_an_image_limit_error(tmp_path: Path) -> None:
    async with running(with_demo_account(image_cap=1), tmp_path) as moov:
        client, one, other = moov.client(), moov.blob(1), moov.blob(2)
        await client.create(record(one), one)
        with pytest.raises(ImageLimitError, match=FIRST_ACCOUNT) as refused:
            await client.create(record(other, 2), other)
        assert isinstance(refused.value, ValidationError)
        assert "raise the limit" in str(refused.value)


async def test_an_oversize_upload_is_a_plain_validation_error(tmp_path: Path) -> None:
    async with running(with_demo_account(max_bytes=1000, oversize_status=400), tmp_path) as moov:
        blob = moov.blob(1)
        with pytest.raises(ValidationError) as refused:
            await moov.client().create(record(blob), blob)
        assert not isinstance(refused.value, ImageLimitError)
        assert refused.value.status == 400


async def test_types_and_sizes_moov_refuses_are_never_sent(moov: Moov) -> None:
    client = moov.client()
    gif = moov.blob(1, "gif")
    with pytest.raises(ValidationError, match="PNG, JPEG and WebP"):
        await client.create(record(gif), gif)
    png = moov.blob(2)
    huge = replace(png, size=16 * 1024 * 1024 + 1)
    with pytest.raises(ValidationError, match="16 MB"):
        await client.replace("some-id", record(png), huge)
    assert sum(moov.emulator.requests.values()) == 0


async def test_deleting_an_unknown_image_counts_as_deleted(moov: Moov) -> None:
    blob = moov.blob(1)
    await moov.client().delete("00000000-0000-4000-8000-000000000000", record(blob))


# -- source --------------------------------------------------------------------------------------


def _seeded(count: int, owners: int = 1) -> MoovEmulator:
    emulator = MoovEmulator()
    emulator.seed(count, owners, seed_value=50)
    return emulator


@pytest.mark.parametrize("list_disabled", [True, False])
async def test_disabled_images_are_tombstones_or_left_out(
    tmp_path: Path, list_disabled: bool
) -> None:
    emulator = _seeded(9)
    images = list(emulator.store.iter_images())
    for image in images[1], images[6]:
        emulator.admin_delete(image)
    disabled = {images[1].id, images[6].id}
    async with running(emulator, tmp_path) as moov:
        client = moov.client(page_size=3, list_disabled=list_disabled)
        records = [r for page in await listed(client) for r in page.records]
    keys = [r.key for r in records]
    if list_disabled:
        assert keys == [image.id for image in images]
        assert {r.key for r in records if r.deleted} == disabled
    else:
        assert keys == [image.id for image in images if image.id not in disabled]
        assert not any(r.deleted for r in records)


async def test_records_carry_moovs_change_token_and_link(tmp_path: Path) -> None:
    emulator = _seeded(3)
    async with running(emulator, tmp_path) as moov:
        records = [r for page in await listed(moov.client()) for r in page.records]
    for rec in records:
        stored = emulator.store.image(rec.key)
        assert stored is not None
        assert rec.version == stored.updated_at
        assert rec.owner == FIRST_ACCOUNT
        assert rec.url == f"{moov.url}/images/{stored.fields['publicID']}"
        assert rec.extra["original_available"] is False


async def test_open_reads_the_largest_rendition_keeping_the_aspect(moov: Moov) -> None:
    client = moov.client()
    shapes = {"portrait": (40, 90), "landscape": (300, 100)}
    for salt, (width, height) in enumerate(shapes.values()):
        data = render(random.Random(salt), "png", width, height)
        await client.create(record(moov.blob(salt, data=data), salt), moov.blob(salt, data=data))
    records = [r for page in await listed(client) for r in page.records]
    sizes = []
    for rec in records:
        async with client.open(rec) as chunks:
            sizes.append(image_size(b"".join([chunk async for chunk in chunks])))
    portrait, landscape = sizes
    assert portrait[1] == 2048
    assert portrait[0] == pytest.approx(2048 * 40 / 90, abs=1)
    assert landscape == (2048, pytest.approx(2048 / 3, abs=1))


async def test_a_listing_walks_every_account_and_its_cursor_names_one(tmp_path: Path) -> None:
    emulator = _seeded(7, owners=2)
    accounts = [owner.id for owner in emulator.store.owners_of()]
    async with running(emulator, tmp_path) as moov:
        client = moov.client(account_id=accounts[0], more_account_ids=(accounts[1],), page_size=2)
        pages = await listed(client)
        assert [page.done for page in pages] == [False] * (len(pages) - 1) + [True]
        owners = [r.owner for page in pages for r in page.records]
        assert owners == sorted(owners, key=accounts.index)
        assert set(owners) == set(accounts)
        second = next(page for page in pages if page.cursor["account_id"] == accounts[1])
        only_first = moov.client(account_id=accounts[0], page_size=2)
        with pytest.raises(ConfigError, match=re.escape("moov.account_id")):
            await listed(only_first, second.cursor)
        assert await listed(client, pages[-1].cursor) == []


def _replace_listing(emulator: MoovEmulator, answer: Callable[[web.Request], Any]) -> None:
    original: Handler = emulator.list_images

    async def list_images(request: web.Request) -> web.StreamResponse:
        await original(request)  # credentials and account checks as usual
        return json_response(answer(request))

    emulator.list_images = list_images  # type: ignore[method-assign, assignment]


async def test_a_server_that_ignores_skip_is_a_repeated_cursor(tmp_path: Path) -> None:
    emulator = _seeded(6)
    view = [
        {"imageID": image.id, **_meta(image.fields["publicID"], image.updated_at)}
        for image in emulator.store.iter_images()
    ]
    _replace_listing(emulator, lambda request: view[:2])
    async with running(emulator, tmp_path) as moov:
        with pytest.raises(RepeatedCursorError):
            await listed(moov.client(page_size=2))


@pytest.mark.parametrize("answer", [{"images": []}, [{"imageID": "x"}], [None]])
async def test_a_listing_that_is_not_image_metadata_is_a_protocol_error(
    tmp_path: Path, answer: Any
) -> None:
    emulator = _seeded(2)
    _replace_listing(emulator, lambda request: answer)
    async with running(emulator, tmp_path) as moov:
        with pytest.raises(ProtocolError):
            await listed(moov.client())


def _meta(public_id: str, stamp: str) -> dict[str, str]:
    return {
        "publicID": public_id,
        "link": f"http://127.0.0.1/images/{public_id}",
        "createdOn": stamp,
        "updatedOn": stamp,
    }
