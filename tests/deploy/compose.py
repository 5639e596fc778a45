"""docker-compose.yml read the way Docker Compose reads it (as far as the tests need): YAML with
``${VAR}``, ``${VAR:-default}`` and ``${VAR-default}`` resolved from an environment, and each
service's syncer command parsed by syncer's own click commands, without running it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # types-PyYAML is not a dev dependency

from syncer.cli import main

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
JOBS = ROOT / "jobs"

_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?-)(?P<default>[^}]*))?\}")


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """``text`` with Compose's variables resolved: ``:-`` when unset or empty, ``-`` when unset."""

    def value(match: re.Match[str]) -> str:
        name, op, default = match["name"], match["op"], match["default"] or ""
        if op == ":-":
            return env.get(name) or default
        if op == "-":
            return env.get(name, default)
        return env.get(name, "")

    return _VARIABLE.sub(value, text.replace("$$", "\0")).replace("\0", "$")


def load(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The compose file, interpolated with ``env`` (default: none set)."""
    document: dict[str, Any] = yaml.safe_load(interpolate(COMPOSE_FILE.read_text(), env or {}))
    return document


def syncer_services(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The services built from this repository's Dockerfile, whose entrypoint is ``syncer``."""
    return {name: spec for name, spec in document["services"].items() if "build" in spec}


@dataclass
class Invocation:
    """A syncer command line, parsed: its subcommand's name and parameters."""

    name: str
    params: dict[str, Any]


def parse(args: list[str]) -> Invocation:
    """``syncer ARGS`` parsed by the real commands (types, choices and ranges checked), not run;
    a click error when it is not a valid invocation."""
    group = main.make_context("syncer", list(args))
    name, command, rest = main.resolve_command(group, list(args))
    assert name is not None, args
    assert command is not None, args
    context = command.make_context(name, rest, parent=group)
    return Invocation(name, dict(context.params))


def job_variables() -> dict[str, set[str]]:
    """Each ``${VAR...}`` name the job files read, with the files that read it."""
    names: dict[str, set[str]] = {}
    for path in sorted(JOBS.glob("*.toml")):
        for match in _VARIABLE.finditer(path.read_text()):
            names.setdefault(match["name"], set()).add(path.name)
    return names


def seconds(duration: str | int | float) -> float:
    """A Compose duration (``90s``, ``1m30s``, ``1h``, ``500ms``) in seconds."""
    if isinstance(duration, int | float):
        return float(duration)
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", duration)
    assert parts, f"not a duration: {duration!r}"
    assert "".join(n + u for n, u in parts) == duration, f"not a duration: {duration!r}"
    return sum(float(n) * units[u] for n, u in parts)
