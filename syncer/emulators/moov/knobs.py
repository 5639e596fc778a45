"""Moov-specific emulator knobs (``--set name=value`` or ``PATCH /_emulator/knobs``)."""

from __future__ import annotations

from dataclasses import dataclass

#: 16 MiB, Moov's documented request limit ("requests larger than 16MB will be rejected").
SIXTEEN_MB = 16 * 1024 * 1024
DUPLICATE_BODIES = ("merged", "metadata")
OVERSIZE_STATUSES = (400, 413)


@dataclass(slots=True)
class MoovKnobs:
    """What the Moov emulator does where the vendor's documentation leaves room.

    ``image_cap``: images per account an API upload may reach (0 = no cap); seeding and the
    admin API ignore it. ``max_bytes``: the request-size limit of upload and replace.
    ``oversize_status``: 413 or 400 for a request over ``max_bytes``. ``duplicate_body``: the
    409 body from v2026.10.00 on, ``merged`` (``error`` plus the existing image's metadata, which
    the SDK parses) or ``metadata`` (the metadata alone, as the changelog words it).
    ``default_count``: list page size when ``count`` is absent or 0. ``max_count``: larger
    ``count`` values are clamped to this. ``alt_text_max``: longest ``altText`` accepted.
    """

    image_cap: int = 300
    max_bytes: int = SIXTEEN_MB
    oversize_status: int = 413
    duplicate_body: str = "merged"
    default_count: int = 20
    max_count: int = 10_000
    alt_text_max: int = 1000

    def __post_init__(self) -> None:
        if self.duplicate_body not in DUPLICATE_BODIES:
            raise ValueError(f"duplicate_body must be one of {DUPLICATE_BODIES}")
        if self.oversize_status not in OVERSIZE_STATUSES:
            raise ValueError(f"oversize_status must be one of {OVERSIZE_STATUSES}")
        for name in ("image_cap", "max_bytes", "default_count", "max_count", "alt_text_max"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.default_count < 1 or self.max_count < 1:
            raise ValueError("default_count and max_count must be at least 1")
