"""What every source and target table shares: the vendor, request limits, and for targets the
engine's options (name, oversize and conversion policy, deletes, mapping).

Vendor connection settings live in :mod:`syncer.jobs.vendors`, one model per vendor.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from syncer.errors import ConfigError
from syncer.jobs.options import DeletePolicy, JobModel, TargetMapping

#: Names of jobs and targets: they key state rows and appear in file names.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
NAME_RULE = "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 100"


def _http_url(value: str) -> str:
    scheme, sep, rest = value.partition("://")
    if scheme.lower() not in ("http", "https") or not sep or not rest.split("/", 1)[0]:
        raise ValueError("is not an http(s) URL; write e.g. https://api.example.com")
    authority = rest.split("/", 1)[0]
    if "@" in authority:
        # Never echo the URL: the part before '@' is a secret.
        raise ValueError(
            "holds credentials (user:password@); put them in the credential settings, "
            'e.g. api_key = "${KEY}", and keep the URL without them'
        )
    host_port = authority.rsplit("]", 1)[-1]
    port = host_port.rpartition(":")[2] if ":" in host_port else ""
    if port and (not port.isdigit() or not 1 <= int(port) <= 65535):
        raise ValueError("has a port outside 1-65535")
    return value


def _name(value: str) -> str:
    if not NAME_PATTERN.match(value):
        raise ValueError(f"is not a valid name; use {NAME_RULE}")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]
Name = Annotated[str, AfterValidator(_name)]


def _no_bool(value: Any) -> Any:
    """Refuse a boolean where a number is wanted (pydantic would read ``true`` as 1);
    numbers written as ``${VAR}`` strings still convert."""
    if isinstance(value, bool):
        raise ValueError("should be a whole number, not true or false")
    return value


class Endpoint(JobModel):
    """One vendor connection of a job (the source, or one target), and its request limits.

    ``concurrency`` bounds the requests in flight; ``rate`` is the requests per second the
    adaptive limiter starts from (None: unlimited until the vendor answers 429). Both default per
    vendor (:attr:`default_concurrency`, :attr:`default_rate`).
    """

    default_concurrency: ClassVar[int] = 4
    default_rate: ClassVar[float | None] = None

    vendor: str
    concurrency: Annotated[int, BeforeValidator(_no_bool)] = Field(default=4, ge=1, le=256)
    rate: float | None = Field(default=None, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _vendor_limits(cls, data: Any) -> Any:
        if isinstance(data, dict):
            defaults = {"concurrency": cls.default_concurrency, "rate": cls.default_rate}
            return {**defaults, **data}
        return data

    @model_validator(mode="after")
    def _settings_accepted(self) -> Endpoint:
        # The vendor's own Settings has the final word on what combines with what.
        try:
            self.settings()
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return self

    def connection_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the vendor's Settings, from this table."""
        return {}

    def settings(self) -> Any:
        """The vendor client's Settings instance for this connection."""
        raise NotImplementedError


class TargetOptions(JobModel):
    """How the engine writes to one target, whatever the vendor.

    ``name`` (default: the vendor) tells targets apart, in the state store too, so it is unique
    in a job. ``on_oversize``: skip a file over the target's byte limit with a reason, or shrink
    it. ``convert``: ``auto`` converts types the target refuses (e.g. WebP to PNG), ``skip``
    skips them with a reason.
    """

    name: Name
    on_oversize: Literal["skip", "shrink"] = "skip"
    convert: Literal["auto", "skip"] = "auto"
    delete: DeletePolicy = Field(default_factory=DeletePolicy)
    # Validated even when absent, so a missing mapping says what to set.
    mapping: TargetMapping = Field(default_factory=dict, validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _default_name(cls, data: Any) -> Any:
        if isinstance(data, dict) and "name" not in data and isinstance(data.get("vendor"), str):
            return {"name": data["vendor"], **data}
        return data
