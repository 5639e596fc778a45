"""One run of a job: list, fingerprint, plan, journal, push, sweep (DESIGN §1, §5, §6).

The lister pages through the source from the saved cursor. Each page is fingerprinted (bytes read
into the spool only when the version token cannot vouch for them), mapped and planned for every
target, then committed to the state store with its cursor and its planned ops in one transaction.
Ops go to one bounded stream per target, so a slow target slows the lister instead of filling
memory; each target's pusher applies them under the target's concurrency limit, with ``sent``
committed before every request. Ops left open by a killed run are finished first: a ``sent``
create is looked up with ``find`` and adopted before anything is sent again. Deletes are planned
only after a listing that ran complete within this run, and under each target's max-delete guard.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter, deque
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import aiohttp
import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from syncer.engine.failures import item_failure
from syncer.engine.mapping import map_record
from syncer.engine.plan import (
    PENDING,
    PLAN_RULES,
    UNCHANGED,
    Action,
    OnOversize,
    Planned,
    TargetPolicy,
    delete_guard,
    needs_bytes,
    plan_basis,
    plan_delete,
    plan_item,
)
from syncer.engine.progress import NoProgress, RunProgress
from syncer.engine.push import Pusher, TargetLane
from syncer.engine.records_json import record_digest, record_from_json, record_to_json
from syncer.engine.stopping import Stop
from syncer.errors import VendorError
from syncer.http import Lane
from syncer.records import Blob, Cursor, ImageRecord, Page
from syncer.spool import Spool, convert, shrink
from syncer.state import CursorRow, ItemRow, ItemState, ListingState, NewOp, OpRow, StateStore
from syncer.vendors import client_class
from syncer.vendors.contract import IncrementalSource

log = logging.getLogger("syncer.engine")

#: Ops buffered per target between the lister and its pusher.
STREAM_BUFFER = 256
#: Downloads at once while fingerprinting the records of a group of pages.
DOWNLOADS_AT_ONCE = 8
#: Pages requested ahead of the ones being fingerprinted, planned and committed.
PAGES_AHEAD = 8
#: Most records committed in one transaction (the pages already waiting go together).
GROUP_ITEMS = 500
#: Planned groups waiting for their commit while the next one is planned.
GROUPS_AHEAD = 1
#: Keys remembered as planned in this run. Ops not yet done are at most the streams' buffers,
#: the pushers' slots and one group, far fewer: a key listed again while its first ops may be
#: open is always caught; one listed again later has its link by then.
RECENT_KEYS = 8192
#: Marks (in ``ImageRecord.extra``) a record whose bytes could not be read, with the reason.
UNREADABLE = "syncer_unreadable"


class Mode(StrEnum):
    MIGRATE = "migrate"
    SYNC = "sync"
    PLAN = "plan"
    #: Only re-attempt failed operations (``syncer retry``): no listing, no sweep.
    RETRY = "retry"


@dataclass
class RunSummary:
    """What a run did, per target and action; the CLI prints it and the store keeps it."""

    run_id: int | None = None
    #: Which listing the run made: ``full``, ``incremental`` (from a watermark) or ``resumed``
    #: (a listing a stopped run left unfinished); empty for ``retry``.
    listing: str = ""
    listed: int = 0
    downloaded: int = 0
    planned: Counter[str] = field(default_factory=Counter)
    done: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    guard: dict[str, str] = field(default_factory=dict)
    #: The source changed under the listing (``Page.shifted``): no deletes by absence.
    shifted: bool = False
    errors: list[str] = field(default_factory=list)
    plan: list[Planned] = field(default_factory=list)
    #: The signal that stopped the run (``SIGTERM``, ``SIGINT``), or empty.
    interrupted_by: str = ""
    #: Terminal failures ``retry`` left as they are (sending them again would fail again).
    not_retried: int = 0
    #: What the targets get from a source that cannot serve its originals, or empty.
    source_note: str = ""
    #: Targets whose replace makes a new item (``replace_keeps_id`` False): the report says
    #: so when the run replaces there.
    new_id_targets: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.interrupted_by:
            return "interrupted"
        if self.guard:
            return "stopped"
        failed = sum(self.failed.values()) or self.errors or self.not_retried
        return "partial" if failed else "succeeded"

    def to_json(self) -> dict[str, Any]:
        return {
            "listing": self.listing,
            "listed": self.listed,
            "downloaded": self.downloaded,
            "planned": dict(self.planned),
            "done": dict(self.done),
            "failed": dict(self.failed),
            "skipped": dict(self.skipped),
            "guard": self.guard,
            "shifted": self.shifted,
            "errors": self.errors[:20],
            "interrupted_by": self.interrupted_by,
            "not_retried": self.not_retried,
            "source_note": self.source_note,
        }


class RecentKeys:
    """The last ``size`` keys planned in a run (offset paging lists a key twice when the
    source changes mid-listing; DESIGN §4: dedupe by key)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._order: deque[str] = deque()
        self._keys: set[str] = set()

    def repeated(self, keys: list[str]) -> set[str]:
        """Which of ``keys`` were planned before; remembers the rest."""
        again = {key for key in keys if key in self._keys}
        for key in keys:
            if key not in self._keys:
                self._keys.add(key)
                self._order.append(key)
        while len(self._order) > self.size:
            self._keys.discard(self._order.popleft())
        return again


@dataclass(frozen=True)
class Listing:
    """Where a run's listing starts, and so what its end allows (DESIGN §6, §9)."""

    cursor: Cursor | None
    #: From a watermark: only what changed, so no deletion can be seen by absence.
    incremental: bool = False
    #: Continues a listing that a stopped run left unfinished: its start was not seen here.
    resumed: bool = False

    @property
    def kind(self) -> str:
        if self.resumed:
            return "resumed"
        return "incremental" if self.incremental else "full"

    @property
    def sees_everything(self) -> bool:
        """A complete listing of this kind shows every live item within this run, so an item
        it did not show is gone (otherwise only tombstones are)."""
        return not self.incremental and not self.resumed


@dataclass(frozen=True, slots=True)
class Staged:
    """A group of listed pages, planned, waiting for its commit (``StateStore.commit_page``)."""

    rows: list[ItemRow]
    cursor: Cursor
    done: bool
    ops: list[NewOp]
    incremental: bool
    tombstones: list[str]
    seen: list[str]
    bases: list[tuple[str, str, str]]


class JobRun:
    """Runs one job once: ``await JobRun(job, store, spool, session, mode).run()`` (or
    :func:`run_job`)."""

    def __init__(
        self,
        job: Any,
        store: StateStore,
        spool: Spool,
        session: aiohttp.ClientSession,
        mode: Mode,
        progress: RunProgress | None = None,
        *,
        full: bool = False,
        restart_listing: bool = False,
        stop: Stop | None = None,
    ) -> None:
        self.progress: RunProgress = progress or NoProgress()
        #: SIGTERM/SIGINT: stop listing and dispatching at once, give pushes in flight a grace.
        self.stop = stop or Stop()
        #: ``sync --full``: list everything and sweep, even when an incremental listing is due.
        self.full = full
        #: ``--restart-listing``: list from the start, whatever cursor the state keeps.
        self.restart_listing = restart_listing
        self.job = job
        self.store = store
        self.spool = spool
        self.session = session
        self.mode = mode
        self.summary = RunSummary()
        self.source = _client(job.source, session)
        self.source_name = job.source.vendor
        self.summary.source_note = renditions_note(self.source_name, self.source.capabilities)
        self.target_clients = {config.name: _client(config, session) for config in job.targets}
        self.policies = {config.name: target_policy(config) for config in job.targets}
        self.salts = {config.name: target_salt(config) for config in job.targets}
        self.summary.new_id_targets = [
            name
            for name, policy in self.policies.items()
            if not policy.capabilities.replace_keeps_id
        ]
        self.targets: dict[str, TargetLane] = {}
        self.converting = anyio.CapacityLimiter(2)
        self.recent = RecentKeys(RECENT_KEYS)

    async def run(self) -> RunSummary:
        with self.stop.at_once():
            await self._check_targets()
            if self.mode is Mode.PLAN:
                await self._list(await self._choose_listing(), commit=False)
        if self.mode is Mode.PLAN or self.stop.requested:  # a plan, or stopped before a run
            self.summary.interrupted_by = self.stop.name
            return self.summary
        run = await self.store.start_run(self.job.name, self.mode.value)
        self.summary.run_id = run.id
        status = "failed"
        try:
            async with anyio.create_task_group() as lease:
                lease.start_soon(self._keep_lease, run.id)
                await self._work()
                lease.cancel_scope.cancel()
            self.summary.interrupted_by = self.stop.name
            status = self.summary.status
        finally:
            for lane in self.targets.values():  # a failed run leaves streams open otherwise
                lane.send.close()
                lane.receive.close()
            with anyio.CancelScope(shield=True):
                await self.store.finish_run(run.id, status, self.summary.to_json())
        return self.summary

    async def _work(self) -> None:
        """Open ops first, then the listing and the sweep; returns when every pusher is done.
        A stop ends the feeding at once (ops journalled but not handed over stay ``planned``)."""
        async with anyio.create_task_group() as group:
            self._open_lanes(group)
            with self.stop.at_once():
                await self._feed()
            for lane in self.targets.values():
                await lane.send.aclose()

    async def _feed(self) -> None:
        """Hand the pushers their ops: open ones first, then the listing's and the sweep's."""
        if self.mode is Mode.RETRY:  # what can succeed; a terminal failure would fail again
            await self.store.requeue_failed(self.job.name)
            self.summary.not_retried = await self.store.count_failed(
                self.job.name, terminal_only=True
            )
        await self._resume_open_ops()
        if self.mode is not Mode.RETRY:
            listing = await self._choose_listing()
            await self._list(listing, commit=True)
            await self._sweep(listing)

    async def _keep_lease(self, run_id: int) -> None:
        """Heartbeats while the run works, so that a long push with no page to commit (or a
        slow group of downloads) never lets the lease go stale and another process take over;
        a lost lease raises StateError and stops the run."""
        while True:
            await anyio.sleep(self.store.lease_seconds / 4)
            await self.store.heartbeat(run_id)

    # -- targets ---------------------------------------------------------------------------------

    async def _check_targets(self) -> None:
        """Every target's credentials, checked at once before the run lists or journals
        anything: a refused key fails the run up front, naming the target and the setting."""
        refused: list[VendorError] = []

        async def check(name: str, client: Any) -> None:
            try:
                await client.check()
            except VendorError as exc:
                exc.operation = f"{exc.operation or 'check'} of target {name!r}"
                refused.append(exc)

        async with anyio.create_task_group() as group:
            for name, client in self.target_clients.items():
                group.start_soon(check, name, client)
        if refused:
            raise refused[0]

    def _open_lanes(self, group: anyio.abc.TaskGroup) -> None:
        for config in self.job.targets:
            send, receive = anyio.create_memory_object_stream[OpRow](STREAM_BUFFER)
            client = self.target_clients[config.name]
            policy = self.policies[config.name]
            lane = TargetLane(config.name, config, policy, client, send, receive)
            self.targets[config.name] = lane
            pusher = Pusher(
                lane,
                job=self.job.name,
                store=self.store,
                summary=self.summary,
                progress=self.progress,
                blob_for=self._blob_for,
                stop=self.stop,
            )
            group.start_soon(pusher.run)

    # -- listing ---------------------------------------------------------------------------------

    async def _choose_listing(self) -> Listing:
        """Resume an unfinished listing; else, for a sync whose source keeps a watermark and
        whose last full sweep is younger than ``schedule.full_every``, list what changed since;
        else (and always for ``restart_listing``) list everything."""
        saved = await self.store.cursor(self.job.name, self.source_name)
        if saved is None or self.restart_listing:
            return Listing(None)
        if not saved.complete and self.mode is not Mode.PLAN:
            return Listing(saved.cursor, incremental=saved.incremental, resumed=True)
        if self.mode in (Mode.SYNC, Mode.PLAN) and self._incremental_due(saved):
            assert isinstance(self.source, IncrementalSource)
            return Listing(self.source.next_sync_cursor(saved.cursor), incremental=True)
        return Listing(None)

    def _incremental_due(self, saved: CursorRow) -> bool:
        if self.full or not saved.complete or saved.swept_at is None:
            return False
        if not isinstance(self.source, IncrementalSource):
            return False
        age = self.store.now() - datetime.fromisoformat(saved.swept_at)
        return bool(age < self.job.schedule.full_every)

    async def _list(self, listing: Listing, *, commit: bool) -> None:
        """Page through the source from ``listing``'s cursor to the end of the listing.

        Three stages overlap: a reader task requests pages ahead; the pages waiting when one
        is taken are fingerprinted and planned together (up to ``GROUP_ITEMS`` records); a
        committer task commits each group, in order, while the next one is planned, so a slow
        state store costs fewer transactions, not time. A group planned before the previous
        one is committed cannot see that group's items and ops: ``RecentKeys`` covers a key
        listed in both.
        """
        self.summary.listing = listing.kind
        send, receive = anyio.create_memory_object_stream[Page](PAGES_AHEAD)
        staged, to_commit = anyio.create_memory_object_stream[Staged](GROUPS_AHEAD)
        async with anyio.create_task_group() as group, receive, staged:
            group.start_soon(self._read_pages, listing.cursor, send)
            group.start_soon(self._commit_groups, to_commit)
            async for first in receive:
                await self._take(_waiting(first, receive), listing, staged if commit else None)
            staged.close()

    async def _commit_groups(self, receive: MemoryObjectReceiveStream[Staged]) -> None:
        """Commit each planned group in ONE transaction, in listing order, and hand its ops
        to the pushers."""
        async with receive:
            async for group in receive:
                opened = await self.store.commit_page(
                    self.summary.run_id or 0,
                    self.job.name,
                    self.source_name,
                    group.rows,
                    group.cursor,
                    group.done,
                    group.ops,
                    incremental=group.incremental,
                    tombstones=group.tombstones,
                    seen=group.seen,
                    bases=group.bases,
                )
                await self._dispatch(opened)  # commit_page refreshed the run's lease

    async def _read_pages(self, cursor: Cursor | None, send: MemoryObjectSendStream[Page]) -> None:
        async with send:
            async for page in self.source.pages(cursor):
                await send.send(page)

    async def _take(
        self, pages: list[Page], listing: Listing, commits: MemoryObjectSendStream[Staged] | None
    ) -> None:
        """Fingerprint and plan ``pages``, then stage them for ONE commit with the cursor after
        the last (a resume re-lists at most these pages); ``commits`` None: a plan only."""
        # A key listed twice (offset paging shifts when the source changes): the last wins.
        records = list({r.key: r for page in pages for r in page.records}.values())
        self.summary.shifted |= any(page.shifted for page in pages)
        state = await self.store.listing_state(
            self.job.name, [t.name for t in self.job.targets], [r.key for r in records]
        )
        records = await self._fingerprint(records, state.items)
        self.summary.listed += len(records)
        self.progress.listed(len(records))
        rows, seen, digests = _changed_rows(self.job.name, records, state.items)
        planned, bases = self._plan_records(records, state, digests)
        if commits is None:
            self._keep_for_report(planned)
            return
        last = pages[-1]
        group = Staged(
            rows=rows,
            cursor=last.cursor,
            done=last.done,
            ops=[_new_op(p) for p in planned if p.action is not Action.SKIP],
            incremental=listing.incremental,
            # Tombstones are not "seen": they are flagged, and the sweep deletes them.
            tombstones=[r.key for r in records if r.deleted],
            seen=seen,
            bases=bases,
        )
        await commits.send(group)

    async def _fingerprint(
        self, records: list[ImageRecord], known: dict[str, ItemState]
    ) -> list[ImageRecord]:
        """Records with sha256/size/mime known: from the state when the token vouches, else
        from the bytes, spooled once for every target (``DOWNLOADS_AT_ONCE`` at a time)."""
        done = {r.key: v for r in records if (v := _vouched(r, known.get(r.key))) is not None}
        fetch = [r for r in records if r.key not in done]
        if fetch:
            limiter = anyio.CapacityLimiter(DOWNLOADS_AT_ONCE)

            async def one(record: ImageRecord) -> None:
                async with limiter:
                    done[record.key] = await self._fingerprint_one(record)

            async with anyio.create_task_group() as group:
                for record in fetch:
                    group.start_soon(one, record)
        return [done[r.key] for r in records]

    async def _fingerprint_one(self, record: ImageRecord) -> ImageRecord:
        """``record`` with the sha256, size and type of its bytes, read into the spool."""
        try:
            blob = await self._download(record)
        except VendorError as exc:  # this item only: it is skipped, the run goes on
            if not exc.skippable:  # fatal (credentials refused): the run stops
                raise
            error = item_failure(exc, None, record.key, record.filename)
            self.summary.errors.append(error)
            return replace(record, extra={**record.extra, UNREADABLE: error})
        return record.with_bytes(blob.sha256, blob.size, blob.mime)

    async def _download(self, record: ImageRecord) -> Blob:
        async with self.source.open(record) as chunks:
            blob = await self.spool.write(chunks, mime_hint=record.mime, item=record.key)
        self.summary.downloaded += 1
        self.progress.fetched(1)
        return blob

    # -- planning --------------------------------------------------------------------------------

    def _keep_for_report(self, planned: list[Planned]) -> None:
        """``syncer plan``: keep the report's entries (every change, and every skip but the
        unchanged, which are only counted, so a plan's memory follows what would change, not
        the catalog); journal nothing."""
        for entry in planned:
            if entry.action is not Action.SKIP or entry.reason != UNCHANGED:
                self.summary.plan.append(entry)

    def _plan_records(
        self, records: list[ImageRecord], state: ListingState, digests: dict[str, str]
    ) -> tuple[list[Planned], list[tuple[str, str, str]]]:
        """Every target's plan for the live, readable records of a page, counted, against
        ``state`` (each target's links and open ops among the page's keys); and the ``(target,
        key, basis)`` of links found in step under another basis, to store with the page.

        A record whose basis (:func:`plan_basis` of its digest, in ``digests``) is its link's
        is unchanged on that target: counted, neither mapped nor planned, which is most of a
        sync's work when little changed."""
        live = [r for r in records if not r.deleted and not self._unreadable(r)]
        repeated = self.recent.repeated([r.key for r in live])
        if repeated:  # its first ops may still be in flight: planning it again would duplicate
            self.summary.skipped["listed twice in this run (the listing shifted)"] += len(repeated)
            live = [r for r in live if r.key not in repeated]
        planned: list[Planned] = []
        bases: list[tuple[str, str, str]] = []
        for config in self.job.targets:
            name, policy = config.name, self.policies[config.name]
            linked, pending, salt = state.links[name], state.pending[name], self.salts[name]
            unchanged = f"{name}: {UNCHANGED}"
            for record in live:
                key = record.key
                link = linked.get(key)
                basis = plan_basis(digests[key], salt)
                if key in pending:
                    entry = plan_item(record, link, policy, pending=True)
                elif link is not None and link.basis == basis:
                    self.summary.skipped[unchanged] += 1
                    continue
                else:
                    entry = plan_item(map_record(record, config.mapping), link, policy)
                if entry.action is not Action.SKIP:
                    entry = replace(entry, basis=basis)
                elif entry.reason == UNCHANGED and link is not None:
                    bases.append((name, key, basis))
                self._count_plan(entry)
                planned.append(entry)
        return planned, bases

    def _unreadable(self, record: ImageRecord) -> bool:
        """A record whose bytes could not be read is skipped for every target, with a reason."""
        if UNREADABLE not in record.extra:
            return False
        for config in self.job.targets:
            self.summary.skipped[f"{config.name}: the source's bytes could not be read"] += 1
        return True

    def _count_plan(self, planned: Planned) -> None:
        if planned.action is Action.SKIP:
            self.summary.skipped[f"{planned.target}: {planned.reason}"] += 1
        else:
            self.summary.planned[f"{planned.target}.{planned.action.value}"] += 1

    # -- deletes ---------------------------------------------------------------------------------

    async def _sweep(self, listing: Listing) -> None:
        """After a complete listing, plan deletes under the guard: for items the source listed
        as deleted and, when the listing saw everything, for items it no longer showed."""
        run_id = self.summary.run_id or 0
        by_absence = listing.sees_everything and not self.summary.shifted
        if listing.sees_everything and self.summary.shifted:
            log.warning("the source changed while it was listed: no deletes by absence this run")
        gone = await self.store.unseen_items(self.job.name, run_id if by_absence else None)
        waiting = await self._still_open([item.key for item in gone])
        keys = [item.key for item in gone if item.key not in waiting]
        records = {item.key: item.record for item in gone}
        ops: list[NewOp] = []
        for lane in self.targets.values():
            ops.extend(await self._plan_deletes(lane, keys, records))
        if ops:
            saved = await self.store.cursor(self.job.name, self.source_name)
            opened = await self.store.commit_page(
                run_id,
                self.job.name,
                self.source_name,
                [],
                saved.cursor if saved else {},
                True,
                ops,
                incremental=listing.incremental,
            )
            await self._dispatch(opened)
        if not listing.incremental and (self.summary.guard or not by_absence):
            # A full sweep was due or asked for and did not happen: the next sync is full.
            await self.store.mark_unswept(self.job.name, self.source_name)
        if self.summary.guard:
            return
        if keys:
            await self.store.mark_gone(self.job.name, keys)
        if by_absence and not waiting:
            await self.store.mark_swept(self.job.name, self.source_name)

    async def _still_open(self, keys: list[str]) -> set[str]:
        """Those of ``keys`` (gone at the source) with an op still open on a target: a killed
        run's create, say, which this run re-applies. Deleting now would miss what it makes, so
        they wait for the next sweep (not marked gone, and this sweep is not a full one)."""
        busy = await self.store.open_keys(self.job.name, list(self.targets), keys)
        for target, open_keys in busy.items():
            if open_keys:
                self.summary.skipped[f"{target}: gone at the source, but {PENDING}"] += len(
                    open_keys
                )
        return set().union(*busy.values())

    async def _plan_deletes(
        self, lane: TargetLane, keys: list[str], records: dict[str, dict[str, Any]]
    ) -> list[NewOp]:
        """The deletes of ``keys`` on one target: only linked items, only when the target's
        deletes are on, and none at all when they would trip its max-delete guard."""
        links = await self.store.links(self.job.name, lane.name, keys)
        planned = [plan_delete(key, links.get(key), lane.policy) for key in keys]
        deletes = [p for p in planned if p.action is Action.DELETE]
        if not deletes:
            return []
        if not lane.config.delete.enabled:
            self.summary.skipped[f"{lane.name}: deletes are off for this target"] += len(deletes)
            return []
        tripped = delete_guard(
            len(deletes),
            await self.store.count_links(self.job.name, lane.name),
            max_count=lane.config.delete.max_count,
            max_percent=lane.config.delete.max_percent,
        )
        if tripped:
            self.summary.guard[lane.name] = tripped
            return []
        ops = []
        for delete in deletes:
            self._count_plan(delete)
            mapped = map_record(record_from_json(records[delete.key]), lane.config.mapping)
            ops.append(_new_op(delete, record_to_json(mapped)))
        return ops

    # -- applying ops ----------------------------------------------------------------------------

    async def _dispatch(self, ops: list[OpRow]) -> None:
        """Hand journalled ops to their targets' pushers (waits when a pusher is behind)."""
        for op in ops:
            self.progress.planned(op.target, 1)
            await self.targets[op.target].send.send(op)

    async def _resume_open_ops(self) -> None:
        """Ops a killed run left planned or sent go first (DESIGN §5)."""
        for op in await self.store.open_ops(self.job.name):
            lane = self.targets.get(op.target)
            if lane is None:
                await self.store.mark_skipped(
                    op.id, f"target {op.target!r} is no longer in the job"
                )
                continue
            await self._dispatch([op])

    async def _blob_for(self, op: OpRow, record: ImageRecord) -> Blob:
        """The bytes to push: from the spool (downloaded again if it was pruned), converted or
        shrunk as planned."""
        blob = await self.spool.get(record.sha256 or "")
        if blob is None:
            blob = await self._download(record)
        if op.payload.get("convert_to"):
            blob = await convert(
                blob, op.payload["convert_to"], self.spool, limiter=self.converting
            )
        if op.payload.get("shrink_to"):
            blob = await shrink(
                blob, self.spool, int(op.payload["shrink_to"]), limiter=self.converting
            )
        return blob


def _waiting(first: Page, receive: MemoryObjectReceiveStream[Page]) -> list[Page]:
    """``first`` and the pages already waiting behind it, up to ``GROUP_ITEMS`` records."""
    pages, count = [first], len(first.records)
    while count < GROUP_ITEMS:
        try:
            page = receive.receive_nowait()
        except (anyio.WouldBlock, anyio.EndOfStream):
            break
        pages.append(page)
        count += len(page.records)
    return pages


def _vouched(record: ImageRecord, prior: ItemState | None) -> ImageRecord | None:
    """The record fingerprinted without its bytes (a tombstone, or the version token vouches
    for the stored hash), or None when the bytes must be read."""
    if record.deleted:
        return record
    if prior is None or needs_bytes(record, prior):
        return None
    return record.with_bytes(prior.sha256, record.size or prior.size, record.mime or prior.mime)


def _changed_rows(
    job: str, records: list[ImageRecord], known: dict[str, ItemState]
) -> tuple[list[ItemRow], list[str], dict[str, str]]:
    """The item rows to write, the keys stored exactly as listed (only marked seen), and the
    digest of every live record (its ``meta_hash``), by key."""
    rows: list[ItemRow] = []
    seen: list[str] = []
    digests: dict[str, str] = {}
    for record in records:
        if record.deleted:
            continue
        digest = digests[record.key] = record_digest(record)
        prior = known.get(record.key)
        if prior is not None and prior.digest == digest:
            seen.append(record.key)
        else:
            rows.append(item_row(job, record, digest))
    return rows, seen, digests


def target_policy(config: Any) -> TargetPolicy:
    """How a job's target takes records: its vendor's capabilities and the job's choices."""
    return TargetPolicy(
        config.name,
        client_class(config.vendor).capabilities,
        on_oversize=OnOversize(config.on_oversize),
        convert_to="image/png" if config.convert == "auto" else None,
    )


def target_salt(config: Any) -> str:
    """Everything but the record that decides a target's plan for it (the ``salt`` of
    :func:`plan_basis`): the target's mapping (an owners CSV by its rows), vendor and
    capabilities, its oversize and conversion choices, and the planner's rules."""
    mapping = config.mapping
    capabilities = {
        name: sorted(value) if isinstance(value, frozenset) else value
        for name, value in asdict(client_class(config.vendor).capabilities).items()
    }
    facts = {
        "rules": PLAN_RULES,
        "vendor": config.vendor,
        "mapping": mapping.model_dump(mode="json"),
        "owners_csv": mapping.owners_csv.owners if mapping.owners_csv is not None else None,
        "on_oversize": config.on_oversize,
        "convert": config.convert,
        "capabilities": capabilities,
    }
    return _digest(facts)


def _client(config: Any, session: aiohttp.ClientSession) -> Any:
    lane = Lane(max(1, config.concurrency), config.rate)
    return client_class(config.vendor)(config.settings(), session, lane=lane)


def renditions_note(vendor: str, capabilities: Any) -> str:
    """What the targets get from ``vendor`` as a source when its originals cannot be read
    (``originals_readable``, ``max_read_pixels``); empty when they can."""
    if capabilities.originals_readable:
        return ""
    most = capabilities.max_read_pixels
    size = f" (at most {most} px on a side)" if most else ""
    return f"{vendor} serves renditions, not its originals{size}: that is what the targets get"


def item_row(job: str, record: ImageRecord, digest: str | None = None) -> ItemRow:
    """The state row of a listed, fingerprinted record; its ``meta_hash`` is the record's
    digest (``digest``, when the caller has it already)."""
    return ItemRow(
        job=job,
        key=record.key,
        owner=record.owner,
        version=record.version,
        sha256=record.sha256,
        size=record.size,
        mime=record.mime,
        meta_hash=digest or record_digest(record),
        record=record_to_json(record),
    )


def _digest(data: dict[str, Any]) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _new_op(planned: Planned, record: dict[str, Any] | None = None) -> NewOp:
    """The journal entry of a planned op; deletes carry the record last seen at the source."""
    payload: dict[str, Any] = {"reason": planned.reason, "record": record}
    if planned.record is not None:
        payload["record"] = record_to_json(planned.record)
        payload["meta_hash"] = planned.meta_hash
        payload["convert_to"] = planned.convert_to
        payload["shrink_to"] = planned.shrink_to
        payload["basis"] = planned.basis
        if planned.moves_owner:  # the old owner, to delete the old item from (push._move)
            payload["move_from"] = dict(planned.previous or {})
    action = planned.action.value
    assert action in ("create", "update", "replace", "delete")
    return NewOp(
        target=planned.target,
        key=planned.key,
        action=action,  # type: ignore[arg-type]
        target_id=planned.target_id,
        payload=payload,
    )


async def run_job(
    job: Any,
    mode: Mode,
    *,
    store: StateStore,
    spool: Spool,
    session: aiohttp.ClientSession,
    progress: RunProgress | None = None,
    full: bool = False,
    restart_listing: bool = False,
    stop: Stop | None = None,
) -> RunSummary:
    """Run ``job`` once in ``mode``, reporting to ``progress`` as it goes; ``full`` makes a
    sync list everything and sweep even when an incremental listing is due; ``restart_listing``
    lists from the start, ignoring the saved cursor (an unfinished listing is not resumed);
    ``stop`` (see :mod:`syncer.engine.stopping`) ends it early and cleanly."""
    run = JobRun(
        job,
        store,
        spool,
        session,
        mode,
        progress,
        full=full,
        restart_listing=restart_listing,
        stop=stop,
    )
    return await run.run()
