"""The executor seam (DESIGN §12): what applies journalled ops, behind one interface.

Planning and the journal are shared by every executor: the run lists, plans and journals ops
(``planned``), then hands them to :meth:`Executor.submit`; the executor applies them and settles
each one through :class:`~syncer.engine.outcomes.Outcomes` (``sent`` durable before a request
leaves, then ``done`` with its link, or failed). The default, :func:`in_process`, pushes from this
process: one bounded stream and one :class:`~syncer.engine.push.Pusher` per target, so a slow
target slows the lister instead of filling memory. A distributed executor (workers on DBOS
queues, one rate-limit partition per target) implements the same two things: ``submit``, and
settling every op through the journal, where an op applied twice is adopted through ``find``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from syncer.engine.fetch import Bytes
from syncer.engine.ops import Op
from syncer.engine.outcomes import JournalWriter, Outcomes
from syncer.engine.progress import RunProgress
from syncer.engine.push import Pusher
from syncer.engine.stopping import Stop
from syncer.engine.summary import RunSummary
from syncer.engine.targets import Target

#: Ops buffered per target between the planner and its pusher.
STREAM_BUFFER = 256


@dataclass(frozen=True)
class RunContext:
    """What an executor needs of the run it works for."""

    job: str
    run_id: int
    targets: Sequence[Target]
    journal: JournalWriter
    bytes: Bytes
    summary: RunSummary
    progress: RunProgress
    stop: Stop

    def outcomes(self, target: str) -> Outcomes:
        """How one target's ops are settled: journal, counts, progress and spool."""
        return Outcomes(
            self.job, target, self.journal, self.summary, self.progress, self.bytes.release
        )


class Executor(Protocol):
    """Applies journalled ops; used as ``async with factory(context) as executor``, whose exit
    waits until every submitted op is settled (or the run's stop ends the work)."""

    async def submit(self, ops: Sequence[Op]) -> None:
        """Take ops journalled as ``planned`` (or left open by a killed run) to apply; may wait
        while the executor is behind (backpressure)."""
        ...


ExecutorFactory = Callable[[RunContext], AbstractAsyncContextManager[Executor]]


class InProcess:
    """The default executor: one bounded stream and one pusher per target, in this process."""

    def __init__(self, context: RunContext, streams: dict[str, MemoryObjectSendStream[Op]]):
        self.context = context
        self.streams = streams

    async def submit(self, ops: Sequence[Op]) -> None:
        self.context.bytes.hold(ops)
        for op in ops:
            stream = self.streams.get(op.target)
            if stream is None:
                raise KeyError(f"op {op.id} is for {op.target!r}, which is not a target here")
            self.context.progress.planned(op.target, 1)
            await stream.send(op)


@asynccontextmanager
async def in_process(context: RunContext) -> AsyncIterator[Executor]:
    """Pushers for every target of the run; on exit, the streams close and every pusher
    finishes what it was given (a stop: see :class:`~syncer.engine.push.Pusher`)."""
    streams: dict[str, MemoryObjectSendStream[Op]] = {}
    async with anyio.create_task_group() as pushers:
        try:
            for target in context.targets:
                send, receive = anyio.create_memory_object_stream[Op](STREAM_BUFFER)
                streams[target.name] = send
                pusher = Pusher(
                    target, receive, context.outcomes(target.name), context.bytes, context.stop
                )
                pushers.start_soon(pusher.run)
            yield InProcess(context, streams)
        finally:
            for send in streams.values():
                send.close()
