"""Group commit of journal writes: many ``sent``/``done`` transitions, one transaction.

At 0 ms of vendor latency, a run's cost is its journal writes, one transaction each. A
:class:`JournalBatch` takes the same calls as the store, and every call still returns only
once ITS transaction committed (so "``sent`` is durable before the request leaves" holds: the
caller sends after ``await batch.mark_sent(...)`` returns). What changes is that every call
made while one transaction is in flight goes, in FIFO order, into the next one.

Leader and followers, no background task: the first caller with no transaction in flight
leads, committing what is queued (itself first) until its own request is done, then hands
the lead to the oldest request still queued, whose caller goes on.

In a transaction the requests are coalesced by kind (:mod:`syncer.state.coalesce`): all its
page commits in a few statements, all its ``sent`` in one UPDATE, all its ``done`` in one
UPDATE and one upsert of their links, with the outcome of applying them in order. A request
that cannot be applied with the others (a bad one, or one whose place matters) rolls the
transaction back; the requests before it are committed together, it alone, then the rest,
so only a bad request raises (to its own caller) and the others commit.

Cancellation: a request, once submitted, is applied whole and in its place whatever happens
to its caller, and the caller's wait is shielded as the store's own writes are. A cancelled
caller is therefore cancelled only once its transaction has ended: when the cancellation
reaches it, its write has committed (or failed, the error then lost to the cancellation);
never half-applied, never dropped, never holding up the requests behind it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, TypeVar

import anyio

from syncer.errors import StateError
from syncer.state.base import StoreBase
from syncer.state.coalesce import Done, Failed, Page, Rejected, Sent, Skipped, Write, apply_group
from syncer.state.journal import check_done
from syncer.state.listing import check_page
from syncer.state.rows import LinkRow, OpRow, PageCommit

T = TypeVar("T")
_INTERRUPTED = "the journal batch was interrupted before this write was known to commit"


@dataclass(eq=False)
class _Request(Generic[T]):
    """One caller's write, and how it ended."""

    write: Write
    #: Set when the request is done, or when its caller is to lead.
    wake: anyio.Event = field(default_factory=anyio.Event)
    done: bool = False
    result: T | None = None
    error: Exception | None = None


class JournalBatch:
    """The store's journal writes, committed in groups (``StateStore.batched``)."""

    def __init__(self, store: StoreBase, max_batch: int = 512) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, not {max_batch}")
        self._store = store
        self._max = max_batch
        self._queue: deque[_Request[Any]] = deque()
        self._leading = False
        self._closed = False
        #: Transactions begun (a failed group and each of its retries count).
        self.transactions = 0
        #: Requests submitted.
        self.requests = 0
        self._now = store.now
        self._idle = anyio.Event()
        self._idle.set()

    async def __aenter__(self) -> JournalBatch:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.flush()
        self._closed = True

    # -- the store's calls -----------------------------------------------------------------

    async def commit_page(self, commit: PageCommit) -> list[OpRow]:
        """:meth:`StateStore.commit_page <syncer.state.listing.Listing.commit_page>`, batched."""
        check_page(commit)
        rows: list[OpRow] = await self._submit(Page(commit))
        return rows

    async def mark_sent(self, *op_ids: int) -> None:
        """:meth:`StateStore.mark_sent <syncer.state.journal.Journal.mark_sent>`, batched:
        durable when this returns, so the request may leave."""
        await self._submit(Sent(op_ids))

    async def mark_done(
        self, op_id: int, link: LinkRow | None = None, drop_link: bool = False
    ) -> None:
        """:meth:`StateStore.mark_done <syncer.state.journal.Journal.mark_done>`, batched."""
        check_done(link, drop_link)
        await self._submit(Done(op_id, link, drop_link))

    async def mark_failed(self, op_id: int, error: str, retryable: bool) -> None:
        """:meth:`StateStore.mark_failed <syncer.state.journal.Journal.mark_failed>`, batched."""
        await self._submit(Failed(op_id, error, retryable))

    async def mark_skipped(self, op_id: int, reason: str) -> None:
        """:meth:`StateStore.mark_skipped <syncer.state.journal.Journal.mark_skipped>`, batched."""
        await self._submit(Skipped(op_id, reason))

    # -- group commit ----------------------------------------------------------------------

    async def flush(self) -> None:
        """Commit everything queued, and wait for the transaction in flight (if any)."""
        with anyio.CancelScope(shield=True):
            while self._queue or self._leading:
                if self._leading:
                    await self._idle.wait()
                else:
                    await self._lead(None)

    async def _submit(self, write: Write) -> Any:
        if self._closed:
            raise RuntimeError("this JournalBatch is closed: use the store, or a new batch")
        request: _Request[Any] = _Request(write)
        self._queue.append(request)
        self.requests += 1
        with anyio.CancelScope(shield=True):
            if self._leading:
                await request.wake.wait()
            if not request.done:
                await self._lead(request)
        if request.error is not None:
            raise request.error
        return request.result

    async def _lead(self, mine: _Request[Any] | None) -> None:
        """Commit groups from the queue until ``mine`` is done (None: until it is empty),
        then pass the lead to the oldest request still waiting."""
        if not self._leading:
            self._leading, self._idle = True, anyio.Event()
        taken: list[_Request[Any]] = []
        try:
            while self._queue and (mine is None or not mine.done):
                count = min(len(self._queue), self._max)
                taken = [self._queue.popleft() for _ in range(count)]
                await self._commit(taken)
        except BaseException:  # not an error of a request (those are kept): let none hang
            for request in taken:
                if not request.done:
                    _finish(request, error=StateError(_INTERRUPTED))
            raise
        finally:
            if self._queue:
                self._queue[0].wake.set()  # stays leading: that caller takes over
            else:
                self._leading = False
                self._idle.set()

    async def _commit(self, group: Sequence[_Request[Any]]) -> None:
        """``group`` in one transaction; if a request of it must go alone (:class:`Rejected`),
        those before it together, it alone, then the rest (in a loop, not a deep recursion)."""
        while group:
            try:
                self.transactions += 1
                async with self._store._write() as conn:
                    results = await apply_group(conn, self._now(), [r.write for r in group])
            except Rejected as rejected:
                if rejected.index:
                    await self._commit(group[: rejected.index])
                for request in group[rejected.index : rejected.end]:
                    await self._commit([request])
                group = group[rejected.end :]
                continue
            except Exception as exc:
                if len(group) == 1:
                    _finish(group[0], error=exc)
                    return
                for request in group:  # not known which: each alone
                    await self._commit([request])
                return
            for request, result in zip(group, results, strict=True):
                _finish(request, result=result)
            return


def _finish(request: _Request[Any], *, result: Any = None, error: Exception | None = None) -> None:
    request.result, request.error, request.done = result, error, True
    request.wake.set()
