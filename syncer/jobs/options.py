"""The vendor-neutral parts of a job: delete policy, owner and field mapping, schedule.

Every model refuses unknown keys (``extra="forbid"``) and is frozen once loaded.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from syncer.jobs.owners import read_owners_csv
from syncer.jobs.schedule import check_cron, check_timezone, format_duration, parse_duration
from syncer.jobs.templates import TEMPLATE_TARGETS, check_template

#: The delete guard applied when deletes are enabled and no limit is given.
DEFAULT_MAX_PERCENT = 10.0
#: Key of the validation context holding the job file's directory (relative paths start there).
BASE_DIR = "base_dir"


class JobModel(BaseModel):
    """Base of every job-file table: unknown keys refused, frozen after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _duration(value: Any) -> Any:
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, bool):  # pydantic would read true as one second
        raise ValueError("is not a duration; write one such as '1h', '30m' or '7d'")
    if isinstance(value, int | float) and value <= 0:
        raise ValueError("must be longer than 0 (e.g. '24h')")
    return value


def _cron(value: Any) -> Any:
    return check_cron(value) if isinstance(value, str) else value


Duration = Annotated[timedelta, BeforeValidator(_duration)]
Cron = Annotated[str, BeforeValidator(_cron)]


class DeletePolicy(JobModel):
    """Whether a target's items whose source is gone are deleted, and the max-delete guard.

    Off by default: syncer deletes only when asked. When on, a run stops before deleting more
    than ``max_count`` items or ``max_percent`` of the target's linked items (either limit
    trips the guard); with neither given, ``max_percent`` is :data:`DEFAULT_MAX_PERCENT`.
    """

    enabled: bool = False
    max_count: int | None = Field(default=None, ge=0)
    max_percent: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _default_guard(self) -> DeletePolicy:
        if self.enabled and self.max_count is None and self.max_percent is None:
            object.__setattr__(self, "max_percent", DEFAULT_MAX_PERCENT)
        return self

    def allows(self, deletes: int, linked: int) -> bool:
        """Whether deleting ``deletes`` of ``linked`` items stays within the guard."""
        if not self.enabled:
            return deletes == 0
        if self.max_count is not None and deletes > self.max_count:
            return False
        if self.max_percent is None or deletes == 0:
            return True
        return linked > 0 and deletes * 100 / linked <= self.max_percent


class OwnerFile(BaseModel):
    """An owners CSV file, read and checked when the job is loaded."""

    model_config = ConfigDict(frozen=True)

    path: Path
    owners: dict[str, str]


def _owner_file(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, OwnerFile):
        return value
    if not isinstance(value, str | Path):
        raise ValueError("must be the name of a CSV file (relative to the job file)")
    base = (info.context or {}).get(BASE_DIR)
    path = Path(base) / value if base is not None else Path(value)
    return OwnerFile(path=path, owners=read_owners_csv(path))


OwnersCsv = Annotated[
    OwnerFile, BeforeValidator(_owner_file), PlainSerializer(lambda file: str(file.path))
]


class TargetMapping(JobModel):
    """Where a source owner goes on this target, and field templates.

    Owners map through exactly one of ``owners`` (a table), ``owners_csv`` (a file of
    ``source,target`` rows, relative to the job file) or ``owners_identity`` (same id);
    ``default_owner`` takes what a table or file does not name (else the item is skipped with a
    reason). ``fields`` are templates over canonical record fields (``alt = "{title}"``).
    """

    owners: dict[str, str] | None = None
    owners_csv: OwnersCsv | None = None
    owners_identity: bool = False
    default_owner: str | None = Field(default=None, min_length=1)
    fields: dict[str, str] = Field(default_factory=dict)

    @field_validator("fields")
    @classmethod
    def _check_fields(cls, fields: dict[str, str]) -> dict[str, str]:
        problems = [
            f"cannot set {name!r}; templates can set {', '.join(TEMPLATE_TARGETS)}"
            for name in fields
            if name not in TEMPLATE_TARGETS
        ]
        for name, template in fields.items():
            try:
                check_template(template)
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
        if problems:
            raise ValueError("; ".join(problems))
        return fields

    @model_validator(mode="after")
    def _one_way(self) -> TargetMapping:
        given = [
            name
            for name, value in (
                ("owners", self.owners is not None),
                ("owners_csv", self.owners_csv is not None),
                ("owners_identity", self.owners_identity),
            )
            if value
        ]
        if len(given) > 1:
            raise ValueError(
                f"give one of owners, owners_csv or owners_identity, not {' and '.join(given)}"
            )
        if self.owners_identity and self.default_owner is not None:
            raise ValueError("default_owner has no effect with owners_identity = true; drop one")
        if not given and self.default_owner is None:
            raise ValueError(
                "no owner mapping: set owners, owners_csv, owners_identity = true or "
                "default_owner (the target's owner ids differ from the source's)"
            )
        return self

    def owner_for(self, source_owner: str) -> str | None:
        """The target owner of ``source_owner``; None: unmapped (skip the item with a reason)."""
        if self.owners_identity:
            return source_owner
        if self.owners is not None:
            table = self.owners
        else:
            table = self.owners_csv.owners if self.owners_csv is not None else {}
        return table.get(source_owner, self.default_owner)


#: How late a missed tick may still be run (``[schedule] catchup``).
DEFAULT_CATCHUP = timedelta(hours=1)


class Schedule(JobModel):
    """When ``syncer schedule`` runs the job, and how often an incremental sync sweeps fully.

    ``cron`` (five fields, six with seconds in front, or an ``@daily``-style macro; None or
    empty: only on demand), read in ``timezone`` (an IANA name; UTC by default). ``catchup``: a
    tick the scheduler missed (it was down, or the tick waited for a free slot) still runs when
    it is at most this late, once for all the ticks missed; later than that it is skipped and
    recorded.
    ``full_every``: an incremental sync runs a full listing at least this often, since
    incremental cursors cannot see deletions.
    """

    cron: Cron | None = None
    timezone: str = "UTC"
    catchup: Duration = DEFAULT_CATCHUP
    full_every: Duration = timedelta(hours=24)

    @field_validator("cron", mode="before")
    @classmethod
    def _empty_is_on_demand(cls, value: Any) -> Any:
        """``cron = ""`` (or an empty ``${VAR:-}``): on demand only."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_timezone(value)

    @field_serializer("full_every", "catchup")
    def _show_duration(self, value: timedelta) -> str:
        return format_duration(value)
