"""One run of a job, as stages with typed seams (DESIGN §1, §5, §6, §12).

1. **Targets** (:mod:`~syncer.engine.targets`): typed clients, each target's policy and salt;
   every target's credentials are checked before anything is listed or journalled.
2. **Resume**: ops a killed run left ``planned`` or ``sent`` are handed to the executor first,
   read from the journal in pages (after an outage, not the whole catalog at once).
3. **Intake** (:mod:`~syncer.engine.intake`): the listing chosen by
   :func:`~syncer.engine.listing.choose_listing` is read ahead in groups; each record is
   fingerprinted (:mod:`~syncer.engine.fetch`), planned (:mod:`~syncer.engine.planner`, pure),
   journalled and submitted as soon as its bytes are in the spool.
4. **Sweep** (:mod:`~syncer.engine.sweep`): after a complete listing, the deletes.
5. **Executor** (:mod:`~syncer.engine.executor`): applies the journalled ops, settling each
   through the journal (:mod:`~syncer.engine.outcomes`); the in-process one is the default.

All journal writes of a run go through one group-commit batch of the state store, so many
records' ops, and many pushers' ``sent`` and ``done``, share a transaction; each is durable
before its caller goes on. The summary (:mod:`~syncer.engine.summary`) only reports.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import aiohttp
import anyio

from syncer.crash import job_secrets
from syncer.engine.applying import PlanApply, StalePlanError, check_header
from syncer.engine.drafting import PlanDraft
from syncer.engine.executor import ExecutorFactory, RunContext, in_process
from syncer.engine.fetch import Bytes
from syncer.engine.intake import Intake, Sink
from syncer.engine.listing import Listing, ListingChoice, choose_listing
from syncer.engine.ops import BadOpError, Op, bytes_of, op_from_row
from syncer.engine.progress import NoProgress, RunProgress
from syncer.engine.stopping import Stop
from syncer.engine.summary import Mode, RunSummary
from syncer.engine.sweep import Sweep, sweep
from syncer.engine.targets import Client, Target, build_targets, renditions_note, source_client
from syncer.errors import SyncerError, VendorError
from syncer.jobs import Job
from syncer.plans.jsonfile import DocumentError
from syncer.spool import Spool
from syncer.state import PageCommit, StateStore
from syncer.vendors.contract import Source

log = logging.getLogger("syncer.engine")

#: Open ops read from the journal at once when a run resumes them.
RESUME_PAGE = 500
#: The reason counted for a plan's item that changed since the plan (``apply --skip-stale``).
STALE = "changed since the plan: not applied (--skip-stale)"

__all__ = ["JobRun", "Mode", "RunSummary", "run_job"]


class JobRun:
    """Runs one job once: ``await JobRun(job, store, spool, session, mode).run()`` (or
    :func:`run_job`)."""

    def __init__(
        self,
        job: Job,
        store: StateStore,
        spool: Spool,
        session: aiohttp.ClientSession,
        mode: Mode,
        progress: RunProgress | None = None,
        *,
        full: bool = False,
        restart_listing: bool = False,
        stop: Stop | None = None,
        executor: ExecutorFactory = in_process,
        applying: PlanApply | None = None,
        list_unchanged: bool = False,
    ) -> None:
        self.job = job
        #: ``syncer plan --unchanged``: list the unchanged items too.
        self.list_unchanged = list_unchanged
        #: ``syncer apply``: the plan it carries out.
        self.applying = applying
        self.store = store
        self.mode = mode
        self.progress: RunProgress = progress or NoProgress()
        #: SIGTERM/SIGINT: stop listing and dispatching at once, give pushes in flight a grace.
        self.stop = stop or Stop()
        self.executor = executor
        self.choice = ListingChoice(
            mode, full, restart_listing, job.schedule.full_every.total_seconds()
        )
        self.summary = RunSummary()
        self.session = session
        self.source: Source = source_client(job, session)
        self.targets: list[Target] = build_targets(job, session)
        self.summary.source_note = renditions_note(job.source.vendor, self.source.capabilities)
        self.summary.vendors = {t.name: t.config.vendor for t in self.targets}
        self.summary.new_id_targets = [
            t.name for t in self.targets if not t.capabilities.replace_keeps_id
        ]
        self.spool = spool

    def client_of(self, target: str) -> Client:
        """The client of one target of the job."""
        return next(t.client for t in self.targets if t.name == target)

    def replace_client(self, target: str, client: Client) -> None:
        """Use ``client`` for one target (a wrapper that records or injects faults, say)."""
        self.targets = [replace(t, client=client) if t.name == target else t for t in self.targets]

    async def run(self) -> RunSummary:
        self.bytes = Bytes(self.source, self.spool, self.summary, self.progress)
        if self.applying is not None:  # a plan of another job or settings: refused offline
            plan = self.applying
            check_header(plan.document, plan.path, self.job, self.targets, self.store.now())
        with self.stop.at_once():
            await self._check_targets()
            if self.mode is Mode.PLAN:
                await self._plan()
        if self.mode is Mode.PLAN or self.stop.requested:  # a plan, or stopped before a run
            self.summary.interrupted_by = self.stop.name
            return self.summary
        run = await self.store.start_run(self.job.name, self.mode.value)
        self.summary.run_id = run.id
        status = "failed"
        try:
            async with anyio.create_task_group() as lease:
                lease.start_soon(self._keep_lease, run.id)
                await self._work(run.id)
                lease.cancel_scope.cancel()
            self.summary.interrupted_by = self.stop.name
            status = self.summary.status
        except* (StalePlanError, DocumentError) as refused:  # an apply refused its plan
            status = "refused"
            raise _first(refused) from None  # one error, as check_header's
        finally:
            with anyio.CancelScope(shield=True):
                await self.store.finish_run(run.id, status, self.summary.to_json())
        return self.summary

    async def _work(self, run_id: int) -> None:
        """Open ops first, then the listing and the sweep; returns when every op handed to the
        executor is settled. A stop ends the feeding at once (ops journalled but not handed
        over stay ``planned``)."""
        async with self.store.batched() as journal:
            context = RunContext(
                self.job.name,
                run_id,
                self.targets,
                journal,
                self.bytes,
                self.summary,
                self.progress,
                self.stop,
            )
            async with self.executor(context) as executor:
                with self.stop.at_once():
                    await self._feed(Sink(run_id, journal, executor))
        if not self.stop.requested:
            await self.bytes.prune(await self._open_shas())
            if self.applying is not None:
                await self.store.finish_plan(self.applying.plan_id)

    async def _open_shas(self) -> set[str]:
        """The sha256 of every record an open op of the job will push."""
        shas: set[str] = set()
        after = 0
        while rows := await self.store.open_ops(self.job.name, after=after, limit=RESUME_PAGE):
            shas.update(sha for row in rows if (sha := bytes_of(row)))
            after = rows[-1].id
        return shas

    async def _feed(self, sink: Sink) -> None:
        if self.mode is Mode.RETRY:  # what can succeed; a terminal failure would fail again
            await self.store.requeue_failed(self.job.name)
            self.summary.not_retried = await self.store.count_failed(
                self.job.name, terminal_only=True
            )
        if self.applying is not None:
            await self._apply(sink, self.applying)
            return
        await self._resume_open_ops(sink)
        if self.mode is Mode.RETRY:
            return
        listing = await self._choose_listing()
        intake = self._intake(sink)
        await intake.take_listing(listing)
        await self._sweep(listing, intake, sink)

    async def _plan(self) -> None:
        """``syncer plan``: the listing and the sweep as a run would make them, kept as the
        plan's entries (:mod:`~syncer.engine.drafting`); nothing is written to a target or to
        the state."""
        draft = PlanDraft(
            self.job,
            self.store,
            self.targets,
            self.bytes,
            secrets=job_secrets(self.job),
            list_unchanged=self.list_unchanged,
            session=self.session,
        )
        self.summary.draft = draft
        await draft.start()
        listing = await self._choose_listing()
        intake = self._intake(None, draft)
        await intake.take_listing(listing)
        result = await self._swept(listing, intake)
        await draft.add_deletes(result.ops)
        for target, reason in result.guard.items():
            draft.note("delete_guard", f"{target}: no deletes, {reason}")
        if self.summary.source_note:
            draft.note("renditions_only", self.summary.source_note)
        await draft.finish()

    def _intake(self, sink: Sink | None, draft: PlanDraft | None = None) -> Intake:
        return Intake(
            job=self.job.name,
            store=self.store,
            source=self.source,
            targets=self.targets,
            bytes_=self.bytes,
            summary=self.summary,
            progress=self.progress,
            sink=sink,
            draft=draft,
        )

    async def _keep_lease(self, run_id: int) -> None:
        """Heartbeats while the run works, so that a long push with no page to commit (or a
        slow group of downloads) never lets the lease go stale and another process take over;
        a lost lease raises StateError and stops the run."""
        while True:
            await anyio.sleep(self.store.lease_seconds / 4)
            await self.store.heartbeat(run_id)

    async def _check_targets(self) -> None:
        """Every target's credentials, checked at once before the run lists or journals
        anything: a refused key fails the run up front, naming the target and the setting."""
        refused: list[VendorError] = []

        async def check(target: Target) -> None:
            try:
                await target.client.check()
            except VendorError as exc:
                exc.operation = f"{exc.operation or 'check'} of target {target.name!r}"
                refused.append(exc)

        async with anyio.create_task_group() as group:
            for target in self.targets:
                group.start_soon(check, target)
        if refused:
            raise refused[0]

    async def _choose_listing(self) -> Listing:
        saved = await self.store.cursor(self.job.name, self.job.source.vendor)
        listing = choose_listing(saved, self.source, self.choice, self.store.now())
        self.summary.listing = listing.kind
        return listing

    async def _swept(self, listing: Listing, intake: Intake) -> Sweep:
        """What the sweep after ``intake``'s listing decides (read-only), counted."""
        self.summary.shifted = intake.shifted
        result = await sweep(
            self.store,
            self.job.name,
            self.targets,
            listing,
            listed=intake.listed,
            shifted=intake.shifted,
            summary=self.summary,
        )
        self.summary.guard.update(result.guard)
        return result

    async def _sweep(self, listing: Listing, intake: Intake, sink: Sink) -> None:
        """Plan and journal the deletes after a complete listing; record whether it was a full
        sweep (``full_every`` counts from it) or the next sync must list everything again."""
        name, source = self.job.name, self.job.source.vendor
        result = await self._swept(listing, intake)
        if result.ops:
            commit = PageCommit(run_id=sink.run_id, job=name, source=source, ops=result.ops)
            opened = await sink.journal.commit_page(commit)
            await sink.executor.submit([op_from_row(row) for row in opened])
        if not listing.incremental and (result.guard or not result.by_absence):
            # A full sweep was due or asked for and did not happen: the next sync is full.
            await self.store.mark_unswept(name, source)
        if result.gone:
            await self.store.mark_gone(name, result.gone)
        if result.complete:
            await self.store.mark_swept(name, source)

    async def _apply(self, sink: Sink, plan: PlanApply) -> None:
        """``syncer apply``: journal the plan's ops (or find those a killed apply journalled),
        then hand exactly those to the executor."""
        plan_run = await plan.journal(self.store, self.job, self.targets, sink.run_id)
        for stale in plan.stale:
            self.summary.count_skipped(stale.entry.target, STALE)
            self.summary.add_error(f"stale, not applied: {stale.line()}")
        await self._resume_open_ops(sink, run_id=plan_run, planned=not plan.resumed)

    async def _resume_open_ops(
        self, sink: Sink, *, run_id: int | None = None, planned: bool = False
    ) -> None:
        """Ops a killed run left planned or sent go first (DESIGN §5), a page at a time;
        ``run_id``: only that run's (an apply's); ``planned``: this run journalled them (an
        apply of a plan), so they count as planned, not resumed."""
        names = {target.name for target in self.targets}
        after = 0
        while True:
            if run_id is None:
                rows = await self.store.open_ops(self.job.name, after=after, limit=RESUME_PAGE)
            else:
                rows = await self.store.run_open_ops(run_id, after=after, limit=RESUME_PAGE)
            ops: list[Op] = []
            for row in rows:
                try:
                    if row.target not in names:
                        raise BadOpError(f"target {row.target!r} is no longer in the job")
                    ops.append(op_from_row(row))
                except BadOpError as exc:  # left as it is, it would block its item for good
                    self.summary.count_skipped(row.target, str(exc))
                    await sink.journal.mark_skipped(row.id, str(exc))
            if planned:
                for op in ops:
                    self.summary.count_journalled(op.target, op.action)
            else:
                self.summary.resumed += len(ops)
            await sink.executor.submit(ops)
            if len(rows) < RESUME_PAGE:
                return
            after = rows[-1].id


def _first(group: BaseExceptionGroup[SyncerError]) -> SyncerError:
    """The first error of a group (task groups nest them)."""
    first = group.exceptions[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first


async def run_job(
    job: Job,
    mode: Mode,
    *,
    store: StateStore,
    spool: Spool,
    session: aiohttp.ClientSession,
    progress: RunProgress | None = None,
    full: bool = False,
    restart_listing: bool = False,
    stop: Stop | None = None,
    executor: ExecutorFactory = in_process,
    applying: PlanApply | None = None,
    list_unchanged: bool = False,
) -> RunSummary:
    """Run ``job`` once in ``mode``, reporting to ``progress`` as it goes; ``full`` makes a
    sync list everything and sweep even when an incremental listing is due; ``restart_listing``
    lists from the start, ignoring the saved cursor (an unfinished listing is not resumed);
    ``stop`` (see :mod:`syncer.engine.stopping`) ends it early and cleanly; ``executor``
    applies the journalled ops (default: in this process)."""
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
        executor=executor,
        applying=applying,
        list_unchanged=list_unchanged,
    )
    return await run.run()
