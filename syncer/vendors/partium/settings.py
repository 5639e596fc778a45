"""How to reach one Partium catalog (:class:`PartiumSettings`) and what Partium can do
(:data:`CAPABILITIES`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import Field

from syncer.errors import ConfigError
from syncer.vendors.contract import Capabilities
from syncer.vendors.fields import SECRET, SOURCE, TARGET, URL

VENDOR = "partium"
DEFAULT_BASE_URL = "https://api.partium.io"
#: The setting named when Partium refuses the credentials.
AUTH_SETTING = "partium.api_key"
#: The emulator's (and our guess of Partium's) largest list page; the docs give none.
MAX_PAGE_SIZE = 100
MiB = 1024 * 1024

CAPABILITIES = Capabilities(
    vendor=VENDOR,
    accepted_mimes=frozenset({"image/jpeg", "image/png"}),
    max_bytes=None,
    updatable_fields=frozenset({"owner", "roles", "position"}),
    replace_keeps_id=True,
    update_moves_owner=True,  # an upsert with another part_id moves the image
    batch_size=50,
    soft_delete=False,
    originals_readable=True,
    display_limit=5,  # the UI shows 5 display images per part (standard config); hides the rest
    # find: image_id derived from the source key: GET the id, adopt it when its part_id, info and
    # (given the blob) the sha256 of its /original match
)


@dataclass(frozen=True, slots=True)
class PartiumSettings:
    """How to reach one Partium catalog (one API key = one organisation's catalog).

    ``page_size`` is the list ``paging.limit`` (1..100; the docs give no maximum, examples use
    10). ``batch_size``/``batch_bytes`` bound one upsert or delete (the vendor file advises
    <= 50 images and about 50 MB a request). ``part_ids`` scopes the listing to some part types
    (None: the whole catalog). ``id_prefix`` is put before every derived image id (keeps two
    sources writing into one catalog apart). A write refused for maintenance is retried every
    ``maintenance_poll`` seconds for up to ``maintenance_wait`` seconds. ``spool_dir`` holds the
    temporary copy ``update`` downloads (None: the system's temporary directory).
    """

    api_key: Annotated[str, Field(min_length=1), SECRET] = field(repr=False)
    base_url: Annotated[str, URL] = DEFAULT_BASE_URL
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = MAX_PAGE_SIZE
    batch_size: Annotated[int, Field(ge=1), TARGET] = 50
    batch_bytes: Annotated[int, Field(ge=1), TARGET] = 32 * MiB
    part_ids: Annotated[tuple[Annotated[str, Field(min_length=1)], ...] | None, SOURCE] = None
    id_prefix: Annotated[str, TARGET] = ""
    maintenance_poll: Annotated[float, Field(gt=0), TARGET] = 10.0
    maintenance_wait: Annotated[float, Field(ge=0), TARGET] = 900.0
    timeout: Annotated[float, Field(gt=0)] = 30.0
    spool_dir: Annotated[Path | None, TARGET] = None

    def __post_init__(self) -> None:
        if not self.api_key:
            raise ConfigError(f"{AUTH_SETTING} is required (an API key of the catalog's org)")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ConfigError(f"partium.page_size must be 1..{MAX_PAGE_SIZE}, not {self.page_size}")
        if self.batch_size < 1 or self.batch_bytes < 1:
            raise ConfigError("partium.batch_size and partium.batch_bytes must be at least 1")
        if self.maintenance_poll <= 0 or self.maintenance_wait < 0:
            raise ConfigError("partium.maintenance_poll must be > 0, maintenance_wait >= 0")
