"""Spiffy-specific pieces of the HTTP exchange: the streamed Base64 upload body, and retry
waits that honour ``Retry-After`` with a little jitter.
"""

from __future__ import annotations

import base64
import random
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path

import anyio

from syncer.http import RetryPolicy

#: Bytes read from the spooled file per chunk: a multiple of 3, so chunks encode independently.
READ_CHUNK = 3 * 64 * 1024


async def attachment_body(path: Path, head: bytes, tail: bytes) -> AsyncIterator[bytes]:
    """``head``, the file at ``path`` in Base64, then ``tail``: a create body streamed from the
    spool, so a large image is never held in memory (Base64 alone would add a third).

    The file is opened for each chunk and closed before the chunk is handed on: aiohttp drops a
    body it stops sending (a refused or broken request) without closing it, so nothing may stay
    open across a ``yield``.
    """
    yield head
    carry, offset = b"", 0
    while chunk := await anyio.to_thread.run_sync(_read_at, path, offset, READ_CHUNK):
        offset += len(chunk)
        data = carry + chunk
        cut = len(data) - len(data) % 3
        carry = data[cut:]
        if cut:
            yield base64.b64encode(data[:cut])
    if carry:
        yield base64.b64encode(carry)
    yield tail


def _read_at(path: Path, offset: int, size: int) -> bytes:
    with path.open("rb") as file:
        file.seek(offset)
        return file.read(size)


@dataclass(frozen=True, slots=True)
class JitteredRetry(RetryPolicy):
    """:class:`RetryPolicy` whose ``Retry-After`` waits get up to ``after_jitter`` more (a share).

    Spiffy's maintenance answers say ``Retry-After: 5``. Waiting exactly that long after a
    window that recurs on a whole-second period lands every retry at the same phase of the
    period, so a client can hit the window on every attempt; many clients told the same
    ``Retry-After`` also come back at once. A little jitter breaks both lockstep patterns.
    """

    after_jitter: float = 0.2

    @classmethod
    def wrap(cls, policy: RetryPolicy) -> JitteredRetry:
        """``policy`` with jittered ``Retry-After`` waits (itself when it already has them)."""
        if isinstance(policy, cls):
            return policy
        return cls(**asdict(policy))

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        wait = RetryPolicy.delay(self, attempt, retry_after, rng)
        if retry_after is None:
            return wait
        return wait * (1.0 + rng.uniform(0.0, self.after_jitter))
