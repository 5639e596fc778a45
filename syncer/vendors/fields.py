"""Marks on a vendor Settings field that say where the field sits in a job file.

Each vendor's ``settings.py`` holds one Settings dataclass: its fields are the connection keys of
a job file (same names, same defaults), and ``Annotated`` metadata on a field adds the rest:

- pydantic constraints (``Field(ge=1, le=50)``, ``Field(min_length=1)``, an ``AfterValidator``):
  the bounds a job file is checked against, key by key;
- :data:`SOURCE` / :data:`TARGET`: a listing option (a job's ``[source]`` only) or a write
  option (``[[targets]]`` only); unmarked fields are accepted in both;
- :data:`URL`: an http(s) URL (refused when it holds ``user:password@``);
- :data:`SECRET`: a credential, masked wherever it is shown;
- :class:`Limit`: filled from the job's ``concurrency`` or ``rate`` key, not a key of its own.

A ``Path`` field given relative in a job file starts at the job file's folder.
:mod:`syncer.jobs.vendors` builds the job-file models from these; the client ignores the marks.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal


class Mark(Enum):
    SOURCE = "source"
    TARGET = "target"
    URL = "url"
    SECRET = "secret"


SOURCE = Mark.SOURCE
TARGET = Mark.TARGET
URL = Mark.URL
SECRET = Mark.SECRET


@dataclass(frozen=True, slots=True)
class Limit:
    """The field takes the job's request limit ``key`` (its default: the field's default)."""

    key: Literal["concurrency", "rate"]
