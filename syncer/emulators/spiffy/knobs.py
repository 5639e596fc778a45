"""The Spiffy emulator's own knobs (``--set name=value`` or ``PATCH /_emulator/knobs``)."""

from __future__ import annotations

from dataclasses import dataclass

#: The documented sample budget of rack-ratelimit: 500 calls per 300 s.
SAMPLE_LIMIT = 500
SAMPLE_PERIOD = 300
#: The default per-file cap; Spiffy documents none, so we take a common storefront limit.
DEFAULT_MAX_BYTES = 20_000_000


@dataclass(slots=True)
class SpiffyKnobs:
    """Vendor-specific behaviour that tests and benchmarks may turn."""

    #: Download ``src`` URLs on create (loopback hosts only); false answers 422 instead.
    fetch_src: bool = True
    #: Largest accepted image in bytes (0 = no cap).
    max_bytes: int = DEFAULT_MAX_BYTES
    #: Empty: one store per host (``/api/...``). Set: the store lives under ``/{store_prefix}/api``.
    store_prefix: str = ""
    #: The ``X-Ratelimit`` budget shown while the base ``rate_limit`` fault is off.
    ratelimit_limit: int = SAMPLE_LIMIT
    ratelimit_period: int = SAMPLE_PERIOD
    #: Refuse with 429 (rack-ratelimit style) once the budget above is spent.
    ratelimit_enforce: bool = False
    #: Refuse ``variation_ids`` that are not variations of the product (422).
    check_variations: bool = True
