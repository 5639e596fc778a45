"""``syncer check``: every target's catalog against what syncer last pushed there (what
``rclone check`` does for files), as a :class:`~syncer.plans.model.Document` of kind ``check``.

Each target is listed as a source would list it (its vendor's client over the target's own
settings, as its vendor's echo adapts them: Moov's accounts are those its links point to), a
page at a time, and compared with the job's links to it. Every item gets one finding
(``Entry.action``, then ``Entry.code``):

- ``missing`` / ``missing_on_target``: linked, but the target does not list it (deleted there);
  ``missing`` / ``disabled_on_target``: listed disabled (Moov's delete only disables).
- ``changed`` / ``bytes_changed``: its bytes differ from those syncer pushed (a sha256 the
  listing gives, else the bytes downloaded and hashed, at most :data:`DOWNLOADS_AT_ONCE` at a
  time; an unchanged version token proves them unchanged without a download);
  ``changed`` / ``version_changed``: a target whose originals cannot be read back (Moov) moved
  its version token while the metadata it shows is as pushed;
  ``changed`` / ``metadata_changed``: fields the target shows differ (``Entry.changes``, each
  pushed → now, ``applies`` when the target can change it back; :mod:`syncer.vendors.echo`).
- ``foreign`` / ``not_syncers``: on the target, not linked by this job (its ``key`` and
  ``target_id`` are the target's id). Not drift: a shared catalog holds others' items.
- ``in_step``: counted in ``TargetTally.unchanged``; listed as entries only when asked.

Bytes that cannot be compared (``--no-download``, a file converted or shrunk on the way, a
link without a sha256) count as in step and are noted. A check never writes to a target or to
the state; its memory holds each target's linked ids, one page of listing and the entries'
file (:class:`~syncer.plans.jsonfile.EntryLog`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import anyio

from syncer.digest import canonical_json
from syncer.engine.targets import Client
from syncer.errors import NotFoundError, VendorError
from syncer.http import Lane
from syncer.jobs import Job
from syncer.jobs import Target as TargetConfig
from syncer.plans.jsonfile import EntryLog
from syncer.plans.model import Change, Entry, FileFacts, Note, Summary
from syncer.records import ImageRecord
from syncer.state import ItemState, LinkRow, StateStore
from syncer.vendors import client_class
from syncer.vendors.echo import differences, listing_settings, target_meta

#: Downloads at once per target, to hash bytes the listing does not vouch for.
DOWNLOADS_AT_ONCE = 8
#: Links read from the state at once.
LINK_PAGE = 1000

MISSING, DISABLED = "missing_on_target", "disabled_on_target"
BYTES, VERSION, METADATA = "bytes_changed", "version_changed", "metadata_changed"
FOREIGN, IN_STEP = "not_syncers", "in_step"
#: The notes a target's check may add, by code (``n``: how many items).
NOTES = {
    "bytes_unverified": "the bytes of {n} items were not compared (not downloaded, converted or "
    "shrunk on the way, or no sha256 known)",
    "metadata_unknown": "{n} links predate syncer keeping the pushed metadata: not compared",
    "in_flux": "{n} items have an operation still open: not compared",
    "listing_shifted": "the catalog changed while it was listed: an item reported missing may "
    "be there",
}
#: The findings that are drift (``syncer check`` exits 1 when one is found).
DRIFT = ("missing", "changed")


@dataclass(frozen=True)
class CheckOptions:
    """``download``: hash bytes the listing does not vouch for; ``list_in_step``: an entry for
    every item in step too (else only counted); ``collect``: keep what a repair needs."""

    download: bool = True
    list_in_step: bool = False
    collect: bool = False


@dataclass(frozen=True, slots=True)
class Drifted:
    """What a repair does with one drifted link: drop it (``drop``), or reset it to what the
    target holds now (``sha256`` None when the bytes differ; ``pushed_json`` as it shows)."""

    target: str
    key: str
    drop: bool
    sha256: str | None = None
    pushed_json: str | None = None
    #: False for an item a sync cannot put back (a disabled Moov image: Moov cannot enable it,
    #: and refuses its bytes again as a duplicate); its link is kept, so checks still report it.
    repairable: bool = True


@dataclass
class CheckResult:
    """The findings' counts and entries, and (``collect``) the drifted links."""

    summary: Summary
    entries: EntryLog
    drifted: list[Drifted] = field(default_factory=list)

    @property
    def drift(self) -> bool:
        """Whether some item is missing or changed on some target (foreign ones are not)."""
        return any(t.actions[a] for t in self.summary.targets.values() for a in DRIFT)


def lister(config: TargetConfig, session: aiohttp.ClientSession, owners: Iterable[str]) -> Client:
    """The target's vendor client as a source, over the target's settings as its vendor's
    echo adapts them to cover ``owners`` (:func:`syncer.vendors.echo.listing_settings`)."""
    settings = listing_settings(config.vendor, config.settings(), owners)
    lane = Lane(max(1, config.concurrency), config.rate, downloads=DOWNLOADS_AT_ONCE)
    client: Client = client_class(config.vendor)(settings, session, lane=lane)
    return client


class TargetCheck:
    """One target's check, into a shared summary and entry log."""

    def __init__(
        self,
        job: Job,
        config: TargetConfig,
        store: StateStore,
        result: CheckResult,
        options: CheckOptions,
    ) -> None:
        self.job, self.config, self.store = job.name, config, store
        self.name, self.vendor = config.name, config.vendor
        self.result, self.options = result, options
        result.summary.tally(self.name, self.vendor)  # the target is in the summary, in step or not
        #: Linked target id -> source key; the ids the listing showed.
        self.ids: dict[str, str] = {}
        self.seen: set[str] = set()
        self.counts: Counter[str] = Counter()
        self._downloads = anyio.CapacityLimiter(DOWNLOADS_AT_ONCE)

    async def run(self, session: aiohttp.ClientSession) -> None:
        owners = await self._read_links()
        self.client = lister(self.config, session, owners)
        shifted = False
        async for page in self.client.pages(None):
            shifted |= page.shifted
            self.counts["listed"] += len(page.records)
            await self._page(page.records)
        await self._missing()
        self._notes(shifted)

    async def _read_links(self) -> set[str]:
        """Every link's target id (and the owners they point to), a page at a time."""
        owners: set[str] = set()
        mapping = self.config.mapping
        owners.update(o for o in (mapping.default_owner, *(mapping.owners or {}).values()) if o)
        after = ""
        while rows := await self.store.link_page(self.job, self.name, after=after, limit=LINK_PAGE):
            for link in rows:
                self.ids[link.target_id] = link.key
                owner = (link.pushed_meta or {}).get("owner")
                if isinstance(owner, str) and owner:
                    owners.add(owner)
            after = rows[-1].key
        return owners

    async def _page(self, records: Sequence[ImageRecord]) -> None:
        linked: list[ImageRecord] = []
        for record in records:
            if record.key in self.ids and record.key not in self.seen:
                self.seen.add(record.key)
                linked.append(record)
            elif record.key not in self.ids and not record.deleted:
                self._add(_foreign(self.name, record))
        if not linked:
            return
        keys = [self.ids[r.key] for r in linked]
        state = await self.store.listing_state(self.job, [self.name], keys)
        links, pending = state.links[self.name], state.pending[self.name]
        async with anyio.create_task_group() as group:
            for record in linked:
                key = self.ids[record.key]
                link = links.get(key)
                if link is None or key in pending:  # linked or unlinked meanwhile: in flux
                    self.counts["in_flux"] += 1
                    continue
                group.start_soon(self._compare, record, link, state.items.get(key))

    async def _compare(self, record: ImageRecord, link: LinkRow, item: ItemState | None) -> None:
        """One linked item as listed, against its link."""
        if record.deleted:
            reason = "disabled on the target (it keeps the image, and cannot enable it again)"
            self._add(_entry(self.name, link, "missing", DISABLED, reason))
            if self.options.collect:
                self.result.drifted.append(Drifted(self.name, link.key, False, repairable=False))
            return
        pushed = link.pushed_meta
        if pushed is None:
            self.counts["metadata_unknown"] += 1
        changed = differences(self.vendor, link.key, pushed, record) if pushed else {}
        now_sha, bytes_differ = await self._bytes(record, link, item)
        if bytes_differ is None and not changed and self._version_only(link, record):
            reason = "its version token moved outside syncer (its bytes cannot be read back)"
            entry = _entry(self.name, link, "changed", VERSION, reason)
            self._drifted(entry, link, bytes_differ=True)
        elif bytes_differ or changed:
            entry = self._changed(link, changed, now_sha, bool(bytes_differ))
            self._drifted(entry, link, changed, bool(bytes_differ))
        else:
            self._in_step(link)

    def _version_only(self, link: LinkRow, record: ImageRecord) -> bool:
        """A target whose bytes cannot be read back moved the item's version token."""
        moved = link.target_version is not None and record.version != link.target_version
        return moved and not self.client.capabilities.originals_readable

    async def _bytes(
        self, record: ImageRecord, link: LinkRow, item: ItemState | None
    ) -> tuple[str | None, bool | None]:
        """The target's sha256 (when known) and whether it differs from what syncer pushed
        (None: not compared)."""
        if link.target_version is not None and link.target_version == record.version:
            return None, False  # an unchanged version token: the same bytes
        if not self.client.capabilities.originals_readable:
            return None, None  # only its version token can tell (:meth:`_version_only`)
        if link.sha256 is None or self._reshaped(item):
            self.counts["bytes_unverified"] += 1
            return None, None
        if record.sha256 is not None:
            return record.sha256, record.sha256 != link.sha256
        if not self.options.download:
            self.counts["bytes_unverified"] += 1
            return None, None
        sha = await self._hash(record)
        if sha is None:
            self.counts["bytes_unverified"] += 1
            return None, None
        return sha, sha != link.sha256

    def _reshaped(self, item: ItemState | None) -> bool:
        """Whether the target got other bytes than the source's on purpose (converted to a
        type it takes, or shrunk under its byte limit): they cannot be compared."""
        caps = self.client.capabilities
        if item is None:
            return True
        converted = caps.accepted_mimes is not None and item.mime not in caps.accepted_mimes
        shrunk = caps.max_bytes is not None and (item.size or 0) > caps.max_bytes
        return converted or shrunk

    async def _hash(self, record: ImageRecord) -> str | None:
        digest = hashlib.sha256()
        async with self._downloads:
            try:
                async with self.client.open(record) as chunks:
                    async for chunk in chunks:
                        digest.update(chunk)
            except NotFoundError:
                return None
            except VendorError as exc:
                if not exc.skippable:
                    raise
                return None
        self.counts["downloaded"] += 1
        return digest.hexdigest()

    def _changed(
        self,
        link: LinkRow,
        changed: dict[str, tuple[Any, Any]],
        sha: str | None,
        bytes_differ: bool,
    ) -> Entry:
        updatable = self.client.capabilities.updatable_fields
        changes = tuple(
            Change(name, old, new, name in updatable) for name, (old, new) in changed.items()
        )
        what = ", ".join(changed)
        if bytes_differ:
            also = f" (and {what})" if what else ""
            reason, code = f"its bytes differ from those syncer pushed{also}", BYTES
        else:
            reason, code = f"{what} changed outside syncer", METADATA
        entry = _entry(self.name, link, "changed", code, reason)
        old = FileFacts(sha256=link.sha256) if bytes_differ else None
        new = FileFacts(sha256=sha) if bytes_differ else None
        return dataclasses.replace(entry, changes=changes, old=old, new=new)

    def _drifted(
        self,
        entry: Entry,
        link: LinkRow | None = None,
        changed: dict[str, tuple[Any, Any]] | None = None,
        bytes_differ: bool = False,
        *,
        drop: bool = False,
    ) -> None:
        self._add(entry)
        if not self.options.collect:
            return
        if drop or link is None:
            self.result.drifted.append(Drifted(self.name, entry.key, True))
            return
        pushed = link.pushed_meta
        meta = canonical_json(target_meta(pushed, changed or {})) if pushed else None
        sha = None if bytes_differ else link.sha256
        self.result.drifted.append(Drifted(self.name, link.key, False, sha, meta))

    def _in_step(self, link: LinkRow) -> None:
        self.result.summary.count_unchanged(self.name, 1)
        if self.options.list_in_step:
            self._add(_entry(self.name, link, "in_step", IN_STEP, "in step"))

    async def _missing(self) -> None:
        """The linked items the listing never showed."""
        unseen = [key for target_id, key in self.ids.items() if target_id not in self.seen]
        for start in range(0, len(unseen), LINK_PAGE):
            keys = unseen[start : start + LINK_PAGE]
            state = await self.store.listing_state(self.job, [self.name], keys)
            links, pending = state.links[self.name], state.pending[self.name]
            for key in keys:
                link = links.get(key)
                if link is None or key in pending:
                    self.counts["in_flux"] += 1
                    continue
                reason = "linked, but the target does not list it (deleted outside syncer?)"
                self._drifted(_entry(self.name, link, "missing", MISSING, reason), drop=True)

    def _add(self, entry: Entry) -> None:
        self.result.entries.add(entry)
        self.result.summary.add(entry)

    def _notes(self, shifted: bool) -> None:
        self.counts["listing_shifted"] = int(shifted)
        for code, text in NOTES.items():
            if self.counts[code]:
                what = text.format(n=self.counts[code])
                self.result.summary.notes.append(Note(code, f"{self.name}: {what}"))
        facts = self.result.summary.facts
        for fact in ("listed", "downloaded"):
            facts[fact] = facts.get(fact, 0) + self.counts[fact]


def _entry(target: str, link: LinkRow, action: str, code: str, reason: str) -> Entry:
    pushed = link.pushed_meta or {}
    owner, filename = pushed.get("owner"), pushed.get("filename")
    return Entry(
        target,
        link.key,
        action,
        code,
        reason,
        filename=str(filename) if filename else None,
        owner=str(owner) if owner else None,
        target_id=link.target_id,
    )


def _foreign(target: str, record: ImageRecord) -> Entry:
    reason = "on the target, but not syncer's (this job never pushed it)"
    return Entry(
        target,
        record.key,
        "foreign",
        FOREIGN,
        reason,
        filename=record.filename or None,
        owner=record.owner or None,
        target_id=record.key,
    )
