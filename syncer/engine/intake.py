"""The intake: listed groups fingerprinted, planned, journalled and handed to the executor, item
by item as their bytes arrive (DESIGN §1, §5).

For each group the state is read once (:meth:`~syncer.state.StateStore.listing_state`). Records
the version token vouches for are planned at once; each other record is planned as soon as its
bytes are in the spool. Either way its ops are journalled (through the group-commit journal, so
many records share a transaction) and submitted then: an upload never waits for the rest of its
group. The cursor after a group is committed only once every record of it is journalled, in
listing order, so a run killed at any instant resumes from a cursor behind which nothing is
unplanned: a record listed again has its op open (skipped, the op goes first) or is planned anew.
``syncer plan`` runs the same intake without a journal, keeping the entries for its report.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream

from syncer.engine.drafting import PlanDraft
from syncer.engine.executor import Executor
from syncer.engine.fetch import Bytes, Unreadable, vouched
from syncer.engine.listing import Group, ListedKeys, Listing, RecentKeys, list_groups
from syncer.engine.ops import op_from_row
from syncer.engine.outcomes import JournalWriter
from syncer.engine.plan import UNCHANGED
from syncer.engine.planner import UNREADABLE, PagePlan, plan_page
from syncer.engine.progress import RunProgress
from syncer.engine.summary import RunSummary
from syncer.engine.targets import Target
from syncer.records import Cursor, ImageRecord
from syncer.state import ListingState, PageCommit, StateStore
from syncer.vendors.contract import Source

#: Records being fetched (downloaded, planned, journalled) at once, across groups.
FETCHES_AHEAD = 32
#: Groups listed ahead of the oldest one whose records are not all journalled.
GROUPS_AHEAD = 4
#: Seconds between two commits of the listing's cursor (the last one is always committed): a
#: resume lists again at most this much, and a no-change sync costs a few commits, not one a
#: group. Every item and op is journalled at once whatever this says.
CURSOR_EVERY = 1.0
#: The reason of a skip for a key listed twice in one run.
LISTED_TWICE = "listed twice in this run (the listing shifted)"


@dataclass
class _Waiting:
    """A group whose cursor waits for its records to be journalled."""

    cursor: Cursor
    done: bool
    left: int
    finished: anyio.Event = field(default_factory=anyio.Event)

    def one_done(self) -> None:
        self.left -= 1
        if self.left <= 0:
            self.finished.set()


@dataclass
class Sink:
    """Where the intake's ops go: the run's journal and executor (None: ``syncer plan``)."""

    run_id: int
    journal: JournalWriter
    executor: Executor


class Intake:
    """Takes a run's listing from its first group to its last."""

    def __init__(
        self,
        *,
        job: str,
        store: StateStore,
        source: Source,
        targets: Sequence[Target],
        bytes_: Bytes,
        summary: RunSummary,
        progress: RunProgress,
        sink: Sink | None,
        draft: PlanDraft | None = None,
    ) -> None:
        self.job = job
        self.store = store
        self.source = source
        self.targets = targets
        self.bytes = bytes_
        self.summary = summary
        self.progress = progress
        self.sink = sink
        #: ``syncer plan``: where the entries go instead of the journal.
        self.draft = draft
        self.recent = RecentKeys()
        #: The live keys this listing showed (the sweep deletes what it did not show).
        self.listed = ListedKeys()
        #: The source changed under the listing (``Page.shifted``): no deletes by absence.
        self.shifted = False
        self._fetching = anyio.Semaphore(FETCHES_AHEAD)
        self._incremental = False
        self._next_cursor = 0.0
        #: The newest group whose records are all journalled and whose cursor is not committed.
        self._held: _Waiting | None = None
        self._flush_pending = False
        self._cursor_lock = anyio.Lock()

    async def take_listing(self, listing: Listing) -> None:
        """List from ``listing``'s cursor to the end, and journal (or, for a plan, keep)
        everything it shows."""
        self._incremental = listing.incremental
        send, receive = anyio.create_memory_object_stream[_Waiting](GROUPS_AHEAD)
        async with anyio.create_task_group() as tasks:
            self._tasks = tasks
            tasks.start_soon(self._commit_cursors, receive)
            async with send:
                self._cursors = send
                await list_groups(self.source, listing.cursor, self._take)

    async def _take(self, group: Group) -> None:
        self.shifted |= group.shifted
        self.summary.listed += len(group.records)
        self.progress.listed(len(group.records))
        live = [r for r in group.records if not r.deleted]
        self.listed.add(r.key for r in live)
        repeated = self.recent.repeated([r.key for r in live])
        if repeated:  # its first ops may still be in flight: planning it again would duplicate
            self.summary.count_skipped(None, LISTED_TWICE, len(repeated))
            live = [r for r in live if r.key not in repeated]
        state = await self.store.listing_state(
            self.job, [t.name for t in self.targets], [r.key for r in live]
        )
        ready: list[ImageRecord | Unreadable] = []
        fetch: list[ImageRecord] = []
        for record in live:
            done = vouched(record, state.items.get(record.key))
            if done is None:
                fetch.append(record)
            else:
                ready.append(done)
        tombstones = [r.key for r in group.records if r.deleted]
        waiting = _Waiting(group.cursor, group.done, left=len(fetch))
        plan = plan_page(self.job, ready, state, self.targets)
        await self._settle(plan, state, ready, tombstones)
        if not fetch:
            waiting.finished.set()
        for record in fetch:
            await self._fetching.acquire()
            self._tasks.start_soon(self._fetch_one, record, state, waiting)
        await self._cursors.send(waiting)

    async def _fetch_one(self, record: ImageRecord, state: ListingState, group: _Waiting) -> None:
        """Read one record's bytes, then plan, journal and submit it at once."""
        try:
            fingerprinted = await self.bytes.fingerprint(record)
            plan = plan_page(self.job, [fingerprinted], state, self.targets)
            await self._settle(plan, state, [fingerprinted])
            pushes = any(op.action in ("create", "replace") for op in plan.ops)
            if not isinstance(fingerprinted, Unreadable) and not (self.draft and pushes):
                # a plan keeps the bytes it hashed in the spool, for its apply
                await self.bytes.drop_unneeded([fingerprinted.sha256])
        finally:
            self._fetching.release()
        group.one_done()

    async def _settle(
        self,
        plan: PagePlan,
        state: ListingState,
        records: Sequence[ImageRecord | Unreadable],
        tombstones: Sequence[str] = (),
    ) -> None:
        """Count a plan; journal its rows and ops and submit the ops (``syncer plan``: make
        them the plan's entries instead)."""
        self._count(plan)
        if self.sink is None:
            if self.draft is not None:
                await self.draft.add_page(plan, state, records)
            return
        if not (plan.rows or plan.ops or plan.bases or tombstones):
            return
        commit = PageCommit(
            run_id=self.sink.run_id,
            job=self.job,
            source=self.source.vendor,
            items=plan.rows,
            ops=plan.ops,
            tombstones=tombstones,
            bases=plan.bases,
        )
        opened = await self.sink.journal.commit_page(commit)
        if opened:
            await self.sink.executor.submit([op_from_row(row) for row in opened])

    def _count(self, plan: PagePlan) -> None:
        for entry in plan.entries:
            self.summary.count_planned(entry)
        for name, count in plan.unchanged.items():
            self.summary.count_skipped(name, UNCHANGED, count)
        for name, count in plan.unreadable.items():
            self.summary.count_skipped(name, UNREADABLE, count)

    async def _commit_cursors(self, receive: MemoryObjectReceiveStream[_Waiting]) -> None:
        """The cursor after each group, in listing order, once its records are journalled:
        at once when the last commit is ``CURSOR_EVERY`` old (or the listing ended), else when
        it is (a cursor never waits on the next group); the groups finished by then behind the
        oldest go with it, since the cursor of the last says the earlier ones are done too."""
        waiting: deque[_Waiting] = deque()
        async with anyio.create_task_group() as later, receive:
            self._later = later
            async for group in receive:
                waiting.append(group)
                await self._commit_finished(waiting, receive)
            while waiting:
                await self._commit_finished(waiting, None)
            later.cancel_scope.cancel()  # the last cursor is committed: nothing waits for later

    async def _commit_finished(
        self, waiting: deque[_Waiting], receive: MemoryObjectReceiveStream[_Waiting] | None
    ) -> None:
        await waiting[0].finished.wait()
        while receive is not None:
            try:
                waiting.append(receive.receive_nowait())
            except (anyio.WouldBlock, anyio.EndOfStream):
                break
        last = waiting.popleft()
        while waiting and waiting[0].finished.is_set():
            last = waiting.popleft()
        self._held = last
        if last.done or anyio.current_time() >= self._next_cursor:
            await self._commit_held()
        elif not self._flush_pending:
            self._flush_pending = True
            self._later.start_soon(self._commit_later)

    async def _commit_later(self) -> None:
        await anyio.sleep_until(self._next_cursor)
        self._flush_pending = False
        await self._commit_held()

    async def _commit_held(self) -> None:
        """Commit the newest finished group's cursor, if not committed yet (one at a time)."""
        async with self._cursor_lock:
            held, self._held = self._held, None
            if held is None or self.sink is None:
                return
            await self.sink.journal.commit_page(self._cursor_commit(held))
            self._next_cursor = anyio.current_time() + CURSOR_EVERY

    def _cursor_commit(self, waiting: _Waiting) -> PageCommit:
        assert self.sink is not None
        return PageCommit(
            run_id=self.sink.run_id,
            job=self.job,
            source=self.source.vendor,
            cursor=waiting.cursor,
            complete=waiting.done,
            incremental=self._incremental,
        )
