"""Retry waits that honour ``Retry-After`` without keeping in step with a periodic outage.

:class:`~syncer.http.RetryPolicy` waits exactly what ``Retry-After`` says. BeProduct's
maintenance answer says ``Retry-After: 5``; against maintenance windows that recur on a period
dividing 5 s (every second, say), each retry then lands at the same phase of the period, inside
the window again, until the attempts run out. Every client told the same ``Retry-After`` also
comes back at the same instant. :class:`SpreadRetryPolicy` lengthens such a wait by a random
share (never shortens it), which breaks both lockstep patterns.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, fields

from syncer.http import RetryPolicy

#: A ``Retry-After`` wait grows by up to this share of itself ...
SPREAD_SHARE = 0.25
#: ... and by at most this many seconds.
MAX_SPREAD = 2.0


@dataclass(frozen=True, slots=True)
class SpreadRetryPolicy(RetryPolicy):
    """:class:`RetryPolicy` with ``Retry-After`` waits spread upwards (see the module)."""

    @classmethod
    def of(cls, policy: RetryPolicy | None) -> SpreadRetryPolicy:
        """The same attempts, backoff and caps (the defaults for None), spread."""
        if isinstance(policy, SpreadRetryPolicy):
            return policy
        base = policy or RetryPolicy()
        return cls(**{f.name: getattr(base, f.name) for f in fields(base)})

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        wait = RetryPolicy.delay(self, attempt, retry_after, rng)
        if retry_after is None:
            return wait
        return wait + rng.uniform(0.0, min(MAX_SPREAD, wait * SPREAD_SHARE))
