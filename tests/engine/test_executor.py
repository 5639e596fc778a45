"""The executor seam: another executor plugs in behind ``Executor`` and shares planning, the
journal and the settling of ops, without touching them (DESIGN §12)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from syncer.engine.executor import Executor, ExecutorFactory, RunContext
from syncer.engine.ops import Create, Delete, Op, Replace, Update
from syncer.engine.run import Mode, RunSummary, run_job
from syncer.records import TargetItem
from tests.engine.test_run import World, world

__all__ = ["world"]


class Deferred:
    """An executor that takes every op first and applies them only when the run has journalled
    them all, one at a time: as a queue of workers would, long after planning."""

    def __init__(self, context: RunContext) -> None:
        self.context = context
        self.ops: list[Op] = []

    async def submit(self, ops: Sequence[Op]) -> None:
        self.context.bytes.hold(ops)
        self.ops.extend(ops)

    async def apply_all(self) -> None:
        clients = {target.name: target.client for target in self.context.targets}
        for op in self.ops:
            outcomes = self.context.outcomes(op.target)
            client = clients[op.target]
            item: TargetItem | None = None
            if isinstance(op, Delete):
                await outcomes.sent([op])
                await client.delete(op.target_id, op.record)
            elif isinstance(op, Update):
                await outcomes.sent([op])
                item = await client.update(op.target_id, op.record)
            else:
                assert isinstance(op, Create | Replace)  # no move among these ops
                blob = await self.context.bytes.for_op(op)
                await outcomes.sent([op])
                if isinstance(op, Replace):
                    item = await client.replace(op.target_id, op.record, blob)
                else:
                    item = await client.create(op.record, blob)
            await outcomes.done(op, item)


class Deferreds:
    """An executor factory that keeps the executors it made, to look at after the run."""

    def __init__(self) -> None:
        self.made: list[Deferred] = []

    @asynccontextmanager
    async def __call__(self, context: RunContext) -> AsyncIterator[Executor]:
        executor = Deferred(context)
        self.made.append(executor)
        yield executor
        await executor.apply_all()


async def run_with(world: World, mode: Mode, executor: ExecutorFactory) -> RunSummary:
    return await run_job(
        world.job,
        mode,
        store=world.store,
        spool=world.spool,
        session=world.session,
        executor=executor,
    )


async def test_another_executor_migrates_and_syncs_through_the_same_journal(world: World) -> None:
    deferred = Deferreds()
    summary = await run_with(world, Mode.MIGRATE, deferred)
    assert summary.status == "succeeded", summary.errors
    assert summary.done["shop.create"] == 12
    assert len(deferred.made[0].ops) == 12
    assert world.target_shas() == world.source_shas()
    assert await world.store.open_ops(world.job.name) == []

    # What it settled is what the in-process executor would have: nothing left to do.
    again = await world.run(Mode.SYNC)
    assert sum(again.planned.values()) == 0
    assert again.skipped["shop: unchanged"] == 12

    # And a change goes through it as well: a delete, planned by the shared sweep.
    world.partium.admin_delete(next(world.partium.store.iter_images()))
    summary = await run_with(world, Mode.SYNC, deferred)
    assert summary.done["shop.delete"] == 1
    assert world.target_shas() == world.source_shas()
