"""How to reach one BeProduct tenant, and how the client lists and writes there."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import quote

from pydantic import Field

from syncer.errors import ConfigError
from syncer.vendors.contract import Capabilities
from syncer.vendors.fields import SECRET, SOURCE, TARGET, URL

VENDOR = "beproduct"
#: The vendor's public API and identity server.
REAL_API_URL = "https://developers.beproduct.com"
REAL_TOKEN_URL = "https://id.winks.io/ids/connect/token"
TOKEN_PATH = "/ids/connect/token"
#: "Commonly 50 MB" per tenant (unconfirmed), as the emulator's ``max_upload_bytes``.
MAX_BYTES = 50 * 1024 * 1024
#: Headers per listing page (the vendor's guidance for bulk reads is 100-200).
DEFAULT_PAGE_SIZE = 100
#: Seconds the next listing's watermark is set back from the vendor's clock (:mod:`.listing`).
DEFAULT_OVERLAP = 300.0


@dataclass(frozen=True, slots=True, kw_only=True)
class BeProductSettings:
    """How to reach one BeProduct tenant, and how to list and write there.

    ``base_url`` is the public API URL (``{base_url}/api/{company_domain}/...``). ``token_url``
    defaults to the real identity server for the real API, else ``{base_url}/ids/connect/token``
    (where the emulator serves it). As a source, ``folder_id`` scopes the listing (None: every
    folder), ``modified_since`` lists only headers modified at or after a ``modifiedAt`` stamp
    (incremental), ``show_deleted`` lists tombstones too (as ``deleted`` records), and
    ``watermark_overlap`` is how many seconds before a listing's start (on the vendor's clock)
    the next incremental listing starts (:mod:`.listing`).
    ``poll_interval`` is the pause between processing-status polls (the vendor suggests 2-3 s)
    and ``processing_timeout`` how long an upload may stay unfinished before the write fails.
    """

    base_url: Annotated[str, URL] = REAL_API_URL
    company_domain: Annotated[str, Field(min_length=1)]
    client_id: str = ""
    client_secret: Annotated[str, SECRET] = field(default="", repr=False)
    refresh_token: Annotated[str, SECRET] = field(default="", repr=False)
    token_url: Annotated[str | None, URL] = None
    folder_id: Annotated[str | None, SOURCE] = None
    page_size: Annotated[int, Field(ge=1)] = DEFAULT_PAGE_SIZE
    modified_since: Annotated[str | None, SOURCE] = None
    show_deleted: Annotated[bool, SOURCE] = False
    watermark_overlap: Annotated[float, Field(ge=0), SOURCE] = DEFAULT_OVERLAP
    poll_interval: Annotated[float, Field(gt=0), TARGET] = 2.0
    processing_timeout: Annotated[float, Field(gt=0), TARGET] = 600.0
    request_timeout: Annotated[float, Field(gt=0)] = 30.0

    def __post_init__(self) -> None:
        if not self.company_domain.strip():
            raise ConfigError("beproduct.company_domain is required (the /api/{domain}/ part)")
        if self.page_size < 1:
            raise ConfigError(f"beproduct.page_size must be at least 1, got {self.page_size}")
        for name in ("poll_interval", "processing_timeout", "request_timeout"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"beproduct.{name} must be above 0, got {getattr(self, name)}")
        if self.watermark_overlap < 0:
            raise ConfigError(
                f"beproduct.watermark_overlap must be 0 or more, got {self.watermark_overlap}"
            )

    @property
    def api_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/api/{quote(self.company_domain.strip(), safe='')}"

    @property
    def token_endpoint(self) -> str:
        if self.token_url:
            return self.token_url
        base = self.base_url.rstrip("/")
        return REAL_TOKEN_URL if base == REAL_API_URL else base + TOKEN_PATH


CAPABILITIES = Capabilities(
    vendor=VENDOR,
    accepted_mimes=None,  # undocumented; the server renders any image it can read
    max_bytes=MAX_BYTES,
    updatable_fields=frozenset({"alt", "title"}),
    replace_keeps_id=True,  # a new version of the same header
    update_moves_owner=False,  # a header's folder is fixed (only a Style has Move)
    batch_size=1,
    soft_delete=True,  # a tombstone, listed with showDeleted; never matched by find
    originals_readable=True,
    # find: header_number equals the source key, in the target folder
)
