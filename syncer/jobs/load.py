"""Reading a job file: TOML, then ``${VAR}`` interpolation, then validation, all problems at once.

A broken file raises :class:`JobFileError` (a :class:`~syncer.errors.ConfigError`) whose
message has one line per problem: ``jobs/x.toml: targets[0].vendor: 'shopify' is not a vendor;
use one of beproduct, moov, ...`` (the registered vendors). Values from the environment are
shown by their reference (``${SPIFFY_KEY}``), never by their value.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pydantic

from syncer.errors import ConfigError
from syncer.jobs.interpolate import Interpolated, KeyPath, interpolate
from syncer.jobs.model import Job
from syncer.jobs.options import BASE_DIR
from syncer.jobs.problems import Problem, describe, document_path, key_path

_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_END = re.compile(r"\s*\(at end of document\)$")
#: Resolved values shorter than this are not scrubbed from messages (they would mangle words);
#: messages never quote a secret value themselves, scrubbing is a second line of defence.
_MIN_SCRUB = 4
_TOO_DEEP = (
    "is nested too deeply to read (tables or arrays hundreds of levels inside each other); "
    "a job file needs a few levels"
)


class JobFileError(ConfigError):
    """A job file cannot be used; ``problems`` lists everything wrong with it."""

    def __init__(self, path: Path, problems: Sequence[Problem]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__("\n".join(_line(path, problem) for problem in self.problems))


def load_job(path: Path, env: Mapping[str, str] = os.environ) -> Job:
    """The job in ``path``, validated, with ``${VAR}`` references resolved from ``env``.

    Raises :class:`JobFileError` naming the file, each bad key, what is wrong and what is
    allowed; relative paths in the file (``owners_csv``, ``spool_dir``) start at its directory.
    """
    try:
        return _load(path, env)
    except RecursionError:  # tomllib, interpolation and validation all recurse into the tree
        raise JobFileError(path, [Problem("", _TOO_DEEP)]) from None


def _load(path: Path, env: Mapping[str, str]) -> Job:
    document = _read(path)
    resolved = interpolate(document, env)
    data = {"name": path.stem, **resolved.data}
    problems = [Problem(key_path(where), what) for where, what in resolved.problems.items()]
    job: Job | None = None
    try:
        job = Job.model_validate(data, context={BASE_DIR: path.parent})
    except pydantic.ValidationError as exc:
        problems += _validation_problems(exc, data, resolved, named="name" in document)
    if problems or job is None:
        raise JobFileError(path, _scrubbed(problems, resolved))
    return job.with_origin(path, resolved.masks)


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")  # editors add a BOM
    except OSError as exc:
        raise JobFileError(
            path, [Problem("", f"cannot read the job file: {exc.strerror}")]
        ) from None
    except UnicodeDecodeError as exc:
        message = f"is not UTF-8 text (byte {exc.start}); save the job file as UTF-8"
        raise JobFileError(path, [Problem("", message)]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise JobFileError(path, [_syntax_problem(exc)]) from None


def _syntax_problem(exc: tomllib.TOMLDecodeError) -> Problem:
    message = str(exc)
    where = _TOML_WHERE.search(message)
    if where:
        line, column = where.groups()
        detail = message[: where.start()]
        return Problem(f"line {line}, column {column}", f"not valid TOML: {detail}")
    return Problem("end of file", f"not valid TOML: {_TOML_END.sub('', message)}")


def _validation_problems(
    exc: pydantic.ValidationError, data: Mapping[str, Any], resolved: Interpolated, *, named: bool
) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        path = document_path(error["loc"], data)
        if _hidden_by(path, resolved.problems):
            continue
        problem = describe(error, path, resolved.masks)
        if path == ("name",) and not named:
            problem = Problem(
                problem.key,
                f"{problem.message} (the name defaults to the file "
                'name; set name = "..." in the file or rename it)',
            )
        problems.append(problem)
    return problems


def _hidden_by(path: KeyPath, failed: Iterable[KeyPath]) -> bool:
    """Whether an error at ``path`` follows from a reference that could not be resolved:
    the value itself, or a check of the table holding it."""
    return any(path[: len(bad)] == bad or path == bad[:-1] for bad in failed)


def _scrubbed(problems: list[Problem], resolved: Interpolated) -> list[Problem]:
    secrets = sorted(
        ((value, resolved.masks[where]) for where, value in resolved.resolved.items()),
        key=lambda pair: -len(pair[0]),
    )
    secrets = [(value, mask) for value, mask in secrets if len(value) >= _MIN_SCRUB]

    def scrub(text: str) -> str:
        for value, mask in secrets:
            text = text.replace(value, mask)
        return text

    return [Problem(p.key, scrub(p.message)) for p in problems]


def _line(path: Path, problem: Problem) -> str:
    where = f"{problem.key}: " if problem.key else ""
    return f"{path}: {where}{problem.message}"
