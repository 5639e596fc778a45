"""Moov's upload body, and a retry policy that spreads ``Retry-After`` waits.

Both work around things the shared HTTP layer leaves to the caller; see each docstring.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import IO, Any

import aiohttp

from syncer.http import RetryPolicy
from syncer.records import Blob

#: The most a ``Retry-After`` wait is lengthened by, in seconds.
MAX_SPREAD = 1.0


class MultipartImage:
    """Moov's upload and replace body: part ``image`` (the file, with its name and type) and a
    JSON part ``metadata``, rebuilt for every attempt and streamed from the spooled file (with a
    Content-Length, as the SDK sends). :meth:`close` closes every file it opened."""

    def __init__(self, blob: Blob, filename: str, metadata: Mapping[str, Any]) -> None:
        self.blob = blob
        self.filename = filename
        self.metadata = json.dumps(dict(metadata))
        self._files: list[IO[bytes]] = []

    def __call__(self) -> aiohttp.FormData:
        handle = self.blob.path.open("rb")
        self._files.append(handle)
        form = aiohttp.FormData()
        form.add_field("image", handle, filename=self.filename, content_type=self.blob.mime)
        form.add_field("metadata", self.metadata, content_type="application/json")
        return form

    def close(self) -> None:
        for handle in self._files:
            handle.close()
        self._files.clear()


@dataclass(frozen=True, slots=True)
class SpreadRetryPolicy(RetryPolicy):
    """:class:`RetryPolicy`, but a ``Retry-After`` wait is lengthened by a random share of up
    to half of it (at most :data:`MAX_SPREAD` s).

    Waiting exactly ``Retry-After`` makes every client retry at the same instant, and it can
    keep a client in step with a periodic outage: Moov's maintenance answer says
    ``Retry-After: 5``, so against windows recurring every second (or any divisor of 5 s)
    each retry lands at the same phase of the cycle, inside the window again, until the
    attempts run out. The spread never retries earlier than the server asked.
    """

    @classmethod
    def of(cls, policy: RetryPolicy) -> SpreadRetryPolicy:
        """The same policy (attempts, backoff, caps) with spread ``Retry-After`` waits."""
        if isinstance(policy, SpreadRetryPolicy):
            return policy
        return cls(**{f.name: getattr(policy, f.name) for f in fields(policy)})

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        delay = RetryPolicy.delay(self, attempt, retry_after, rng)
        if retry_after is None:
            return delay
        return delay + rng.uniform(0.0, min(MAX_SPREAD, delay / 2))
