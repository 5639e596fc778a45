"""Partium's own emulator knobs (``--set name=value`` or ``PATCH /_emulator/knobs``)."""

from __future__ import annotations

from dataclasses import dataclass

from syncer.emulators.images import MIME

#: The request cap of the base application (``client_max_size``), kept as our default.
DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024


@dataclass(slots=True)
class PartiumKnobs:
    """What the Partium emulator does where the vendor's sources are silent.

    Zero means "no limit" for ``max_batch`` and ``max_file_bytes``.
    """

    #: Create a missing part type on upsert instead of refusing the image.
    auto_create_parts: bool = False
    #: How long ``/1/catalog/status`` says ``processing`` after the latest write.
    processing_seconds: float = 2.0
    #: 0: imports never run (the trigger is not in our sources), the catalog stays
    #: ``data_to_import``. Above 0: an import starts as soon as processing ends and takes this long.
    import_seconds: float = 0.0
    #: ``paging.limit`` when the list request gives none, and the largest accepted.
    default_page_size: int = 10
    max_page_size: int = 100
    #: Most image descriptions (upsert) or ids (delete) in one request.
    max_batch: int = 0
    #: Largest accepted file, per image (a per-item error above it).
    max_file_bytes: int = 0
    #: Largest upsert body, all parts together (413 above it).
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    #: Image formats the upsert accepts (names from ``syncer.emulators.images.MIME``).
    formats: tuple[str, ...] = ("jpeg", "png")
    #: What ``GET /1/catalog`` answers.
    catalog_name: str = "Emulated catalog"
    languages: tuple[str, ...] = ("en", "de")

    def __post_init__(self) -> None:
        if self.processing_seconds < 0 or self.import_seconds < 0:
            raise ValueError("processing_seconds and import_seconds must not be negative")
        if not 1 <= self.default_page_size <= self.max_page_size:
            raise ValueError("default_page_size must be between 1 and max_page_size")
        if self.max_batch < 0 or self.max_file_bytes < 0 or self.max_request_bytes < 1:
            raise ValueError("max_batch and max_file_bytes must be >= 0, max_request_bytes >= 1")
        unknown = sorted(set(self.formats) - set(MIME))
        if unknown or not self.formats:
            raise ValueError(f"formats must be a non-empty subset of {sorted(MIME)}")
