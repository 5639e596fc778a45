"""Vendor connection settings in a job file: one model per vendor and role.

Each ``<Vendor>Connection`` mirrors the vendor client's Settings dataclass (same names, same
defaults and bounds) for what both roles need; listing options exist on the source model only
and write options on the target model only, so a key that would be ignored is refused instead.
``settings()`` builds the client's Settings. :data:`Source` and :data:`Target` pick the model by
the ``vendor`` key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from syncer.jobs.endpoint import Endpoint, HttpUrl, TargetOptions
from syncer.jobs.options import BASE_DIR
from syncer.vendors import VENDORS
from syncer.vendors.beproduct import settings as beproduct
from syncer.vendors.beproduct.settings import BeProductSettings
from syncer.vendors.moov import settings as moov
from syncer.vendors.moov.settings import MoovSettings
from syncer.vendors.partium import settings as partium
from syncer.vendors.partium.settings import PartiumSettings
from syncer.vendors.spiffy import mapping as spiffy_mapping
from syncer.vendors.spiffy.settings import MAX_PAGE_LIMIT, SpiffySettings

#: Keys whose values are secrets wherever they appear (masked in reports even when literal).
SECRET_KEYS = frozenset({"api_key", "password", "token", "client_secret", "refresh_token"})

# -- BeProduct ----------------------------------------------------------------------------------


class BeProductConnection(Endpoint):
    """A BeProduct tenant (:class:`~syncer.vendors.beproduct.settings.BeProductSettings`)."""

    default_concurrency: ClassVar[int] = 4

    base_url: HttpUrl = beproduct.REAL_API_URL
    company_domain: str = Field(min_length=1)
    client_id: str = ""
    client_secret: str = ""
    refresh_token: str = ""
    token_url: HttpUrl | None = None
    page_size: int = Field(default=beproduct.DEFAULT_PAGE_SIZE, ge=1)
    request_timeout: float = Field(default=30.0, gt=0)

    def connection_kwargs(self) -> dict[str, Any]:
        names = ("base_url", "company_domain", "client_id", "client_secret", "refresh_token")
        more = ("token_url", "page_size", "request_timeout")
        return {name: getattr(self, name) for name in (*names, *more)}

    def settings(self) -> BeProductSettings:
        return BeProductSettings(**self.connection_kwargs())


class BeProductSource(BeProductConnection):
    """BeProduct as a source: ``folder_id`` scopes the listing, ``modified_since`` makes it
    incremental, ``show_deleted`` lists tombstones (a direct delete signal),
    ``watermark_overlap`` sets the next incremental listing back (seconds, vendor's clock)."""

    vendor: Literal["beproduct"]
    folder_id: str | None = None
    modified_since: str | None = None
    show_deleted: bool = False
    watermark_overlap: float = Field(default=beproduct.DEFAULT_OVERLAP, ge=0)

    def connection_kwargs(self) -> dict[str, Any]:
        listing = ("folder_id", "modified_since", "show_deleted", "watermark_overlap")
        return {**super().connection_kwargs(), **{n: getattr(self, n) for n in listing}}


class BeProductTarget(TargetOptions, BeProductConnection):
    """BeProduct as a target: uploads are polled every ``poll_interval`` s until processed."""

    vendor: Literal["beproduct"]
    poll_interval: float = Field(default=2.0, gt=0)
    processing_timeout: float = Field(default=600.0, gt=0)

    def connection_kwargs(self) -> dict[str, Any]:
        writing = {"poll_interval": self.poll_interval}
        return {
            **super().connection_kwargs(),
            **writing,
            "processing_timeout": self.processing_timeout,
        }


# -- Moov ---------------------------------------------------------------------------------------


class MoovConnection(Endpoint):
    """A Moov API key (:class:`~syncer.vendors.moov.settings.MoovSettings`); ``concurrency`` and
    ``rate`` become its ``concurrency`` and ``requests_per_second``."""

    default_concurrency: ClassVar[int] = 8
    #: Moov documents 40 requests/s per account.
    default_rate: ClassVar[float | None] = 40.0

    base_url: HttpUrl = "https://api.moov.io"
    username: str = Field(min_length=1)
    password: str = Field(min_length=1)
    api_version: str = Field(default=moov.MIN_API_VERSION, pattern=r"^v\d{4}\.\d{2}\.\d{2}$")
    page_size: int = Field(default=100, ge=1, le=moov.MAX_PAGE_SIZE)
    timeout: float = Field(default=30.0, gt=0)

    def connection_kwargs(self) -> dict[str, Any]:
        names = ("base_url", "username", "password", "api_version", "page_size", "timeout")
        limits = {"concurrency": self.concurrency, "requests_per_second": self.rate}
        return {**{name: getattr(self, name) for name in names}, **limits}

    def settings(self) -> MoovSettings:
        return MoovSettings(**self.connection_kwargs())


class MoovSource(MoovConnection):
    """Moov as a source: the accounts to list (``account_id`` first, then
    ``more_account_ids``) and whether disabled images are listed as deleted."""

    vendor: Literal["moov"]
    account_id: str = Field(default=moov.DEMO_ACCOUNT_ID, min_length=1)
    more_account_ids: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    list_disabled: bool = True

    def connection_kwargs(self) -> dict[str, Any]:
        listing = {
            "account_id": self.account_id,
            "more_account_ids": tuple(self.more_account_ids),
            "list_disabled": self.list_disabled,
        }
        return {**super().connection_kwargs(), **listing}


class MoovTarget(TargetOptions, MoovConnection):
    """Moov as a target: each record's (mapped) owner names the account written to."""

    vendor: Literal["moov"]


# -- Partium ------------------------------------------------------------------------------------


class PartiumConnection(Endpoint):
    """A Partium catalog (:class:`~syncer.vendors.partium.settings.PartiumSettings`)."""

    default_concurrency: ClassVar[int] = 4

    api_key: str = Field(min_length=1)
    base_url: HttpUrl = partium.DEFAULT_BASE_URL
    page_size: int = Field(default=partium.MAX_PAGE_SIZE, ge=1, le=partium.MAX_PAGE_SIZE)
    timeout: float = Field(default=30.0, gt=0)

    def connection_kwargs(self) -> dict[str, Any]:
        names = ("api_key", "base_url", "page_size", "timeout")
        return {name: getattr(self, name) for name in names}

    def settings(self) -> PartiumSettings:
        return PartiumSettings(**self.connection_kwargs())


class PartiumSource(PartiumConnection):
    """Partium as a source: ``part_ids`` scopes the listing to some part types."""

    vendor: Literal["partium"]
    part_ids: list[Annotated[str, Field(min_length=1)]] | None = None

    def connection_kwargs(self) -> dict[str, Any]:
        parts = None if self.part_ids is None else tuple(self.part_ids)
        return {**super().connection_kwargs(), "part_ids": parts}


class PartiumTarget(TargetOptions, PartiumConnection):
    """Partium as a target: batch bounds, an image id prefix, maintenance waits, a spool dir
    (relative paths start at the job file)."""

    vendor: Literal["partium"]
    batch_size: int = Field(default=50, ge=1)
    batch_bytes: int = Field(default=32 * partium.MiB, ge=1)
    id_prefix: str = ""
    maintenance_poll: float = Field(default=10.0, gt=0)
    maintenance_wait: float = Field(default=900.0, ge=0)
    spool_dir: Path | None = None

    @field_validator("spool_dir")
    @classmethod
    def _from_job_dir(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        base = (info.context or {}).get(BASE_DIR)
        return path if path is None or base is None else Path(base) / path

    def connection_kwargs(self) -> dict[str, Any]:
        names = ("batch_size", "batch_bytes", "id_prefix", "maintenance_poll", "maintenance_wait")
        writing = {name: getattr(self, name) for name in names}
        return {**super().connection_kwargs(), **writing, "spool_dir": self.spool_dir}


# -- Spiffy Stores ------------------------------------------------------------------------------


class SpiffyConnection(Endpoint):
    """A Spiffy store (:class:`~syncer.vendors.spiffy.settings.SpiffySettings`): ``api_key`` and
    ``password`` of a private app, or an OAuth ``token``."""

    default_concurrency: ClassVar[int] = 4

    base_url: HttpUrl
    api_key: str | None = None
    password: str | None = None
    token: str | None = None
    page_limit: int = Field(default=MAX_PAGE_LIMIT, ge=1, le=MAX_PAGE_LIMIT)
    timeout: float = Field(default=30.0, gt=0)

    def connection_kwargs(self) -> dict[str, Any]:
        names = ("base_url", "api_key", "password", "token", "page_limit", "timeout")
        return {name: getattr(self, name) for name in names}

    def settings(self) -> SpiffySettings:
        return SpiffySettings(**self.connection_kwargs())


class SpiffySource(SpiffyConnection):
    """Spiffy as a source: ``owner_kinds`` are listed in order."""

    vendor: Literal["spiffy"]
    owner_kinds: list[str] = Field(default_factory=lambda: list(spiffy_mapping.OWNER_KINDS))

    @field_validator("owner_kinds")
    @classmethod
    def _known_kinds(cls, kinds: list[str]) -> list[str]:
        known = spiffy_mapping.OWNER_KINDS
        if not kinds or any(k not in known for k in kinds) or len(set(kinds)) < len(kinds):
            raise ValueError(f"list some of {', '.join(known)}, each once")
        return kinds

    def connection_kwargs(self) -> dict[str, Any]:
        return {**super().connection_kwargs(), "owner_kinds": tuple(self.owner_kinds)}


class SpiffyTarget(TargetOptions, SpiffyConnection):
    """Spiffy as a target: each record's (mapped) owner is ``KIND/ID``, e.g. products/100001."""

    vendor: Literal["spiffy"]


Source = Annotated[
    BeProductSource | MoovSource | PartiumSource | SpiffySource, Field(discriminator="vendor")
]
Target = Annotated[
    BeProductTarget | MoovTarget | PartiumTarget | SpiffyTarget, Field(discriminator="vendor")
]
#: The vendors a job file can name (the registry's; a test keeps the unions above in step).
VENDOR_NAMES = tuple(sorted(VENDORS))
