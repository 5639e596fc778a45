"""A job: one source, one or more targets, a schedule and where state is kept.

Load one with :func:`syncer.jobs.load_job`; it validates the whole file and keeps which values
are secret, so that :meth:`Job.redacted` can be printed or stored safely.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, PrivateAttr, field_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from syncer.jobs.endpoint import Name
from syncer.jobs.interpolate import KeyPath
from syncer.jobs.options import JobModel, Schedule
from syncer.jobs.vendors import SECRET_KEYS, Source, Target

#: Where state is kept when the job file does not say (relative to the working directory).
DEFAULT_STATE_URL = "sqlite+aiosqlite:///.syncer/state.db"
#: What a secret value is shown as when it was written literally.
MASK = "***"
#: Synchronous SQLAlchemy dialects named without a driver, and the async URL to use instead.
_SYNC_DIALECTS = {
    "sqlite": "sqlite+aiosqlite:///PATH",
    "postgresql": "postgresql+asyncpg://USER@HOST/DB",
    "postgres": "postgresql+asyncpg://USER@HOST/DB",
    "postgresql+psycopg2": "postgresql+asyncpg://USER@HOST/DB",
}


def _state_url(value: str) -> str:
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError(
            "is not a SQLAlchemy URL; write e.g. sqlite+aiosqlite:///.syncer/state.db "
            "or postgresql+asyncpg://user@host/db"
        ) from None
    if url.drivername in _SYNC_DIALECTS:
        raise ValueError(
            f"names a synchronous driver ({url.drivername}); syncer needs an async one, e.g. "
            f"{_SYNC_DIALECTS[url.drivername]}"
        )
    return value


StateUrl = Annotated[str, AfterValidator(_state_url)]


class Job(JobModel):
    """A validated job file.

    ``name`` (default: the file stem) keys the job's state. ``state`` is any SQLAlchemy async
    URL. ``source.settings()`` and each ``target.settings()`` give the vendor client's Settings.
    """

    name: Name
    state: StateUrl = DEFAULT_STATE_URL
    source: Source
    targets: list[Target] = Field(min_length=1)
    schedule: Schedule = Field(default_factory=Schedule)
    _path: Path | None = PrivateAttr(default=None)
    _masks: dict[KeyPath, str] = PrivateAttr(default_factory=dict)

    @field_validator("targets")
    @classmethod
    def _unique_names(cls, targets: list[Target]) -> list[Target]:
        seen: dict[str, int] = {}
        for index, target in enumerate(targets):
            if target.name in seen:
                raise ValueError(
                    f"targets[{seen[target.name]}] and targets[{index}] are both named "
                    f"{target.name!r} (a target's name defaults to its vendor); "
                    'give each target a unique name = "..."'
                )
            seen[target.name] = index
        return targets

    @property
    def path(self) -> Path | None:
        """The job file this was loaded from (None when built in code)."""
        return self._path

    def target(self, name: str) -> Target:
        """The target called ``name``; KeyError listing the names when there is none."""
        for target in self.targets:
            if target.name == name:
                return target
        raise KeyError(f"no target {name!r}; this job has {', '.join(self.target_names)}")

    @property
    def target_names(self) -> list[str]:
        """The targets' names, in file order."""
        return [target.name for target in self.targets]

    def is_secret(self, path: KeyPath) -> bool:
        """Whether the value at ``path`` came from the environment or is a secret by name."""
        return path in self._masks or (bool(path) and path[-1] in SECRET_KEYS)

    def redacted(self) -> dict[str, Any]:
        """The job as plain data, safe to print or store: every value that came from the
        environment shows its ``${VAR}`` reference, literal secrets show ``***`` and the state
        URL hides its password."""
        data = self.model_dump(mode="json")
        _mask_tree(data, (), self._masks)
        if ("state",) not in self._masks:
            data["state"] = make_url(self.state).render_as_string(hide_password=True)
        return data

    def with_origin(self, path: Path, masks: Mapping[KeyPath, str]) -> Job:
        """This job, remembering its file and which values are secret (used by the loader)."""
        self._path = path
        self._masks = dict(masks)
        return self


def _mask_tree(node: Any, path: KeyPath, masks: Mapping[KeyPath, str]) -> None:
    items: list[tuple[str | int, Any]]
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return
    for key, value in items:
        here = (*path, key)
        if here in masks:
            node[key] = _reference_mask(masks[here], key)
        elif key in SECRET_KEYS and value not in (None, ""):
            node[key] = MASK
        else:
            _mask_tree(value, here, masks)


def _reference_mask(mask: str, key: str | int) -> str:
    # A secret key shows only a whole reference: literal text around it may be part of the secret.
    if key in SECRET_KEYS and not (mask.startswith("${") and mask.count("${") == 1):
        return MASK
    return mask
