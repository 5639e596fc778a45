"""``${VAR}`` and ``${VAR:-default}`` in job files, resolved from an environment mapping.

Every string value of the parsed TOML document (in tables, arrays and inline tables; never
keys) is interpolated. ``${VAR:-default}`` uses ``default`` when ``VAR`` is unset *or empty*
(as the shell does); ``$${`` writes a literal ``${``. Each value that used a reference is
remembered, with a mask that names its variables but never their values or defaults, so that
errors and reports can show ``${VAR}`` instead of what it resolved to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: A key path into the document: table keys and array indexes.
KeyPath = tuple[str | int, ...]

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_REFERENCE = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Interpolated:
    """A document after interpolation.

    ``masks`` maps the path of every value that used a reference to a printable mask
    (``${PARTIUM_API_KEY}``); ``resolved`` lists those values (to scrub them from messages);
    ``problems`` maps a path to what was wrong with its references (a missing variable, a
    malformed ``${...}``).
    """

    data: dict[str, Any]
    masks: dict[KeyPath, str] = field(default_factory=dict)
    resolved: dict[KeyPath, str] = field(default_factory=dict)
    problems: dict[KeyPath, str] = field(default_factory=dict)


def interpolate(document: Mapping[str, Any], env: Mapping[str, str]) -> Interpolated:
    """Resolve ``${...}`` in every string value of ``document`` from ``env``."""
    result = Interpolated(data={})
    result.data.update(_walk(document, (), env, result))
    return result


def _walk(value: Any, path: KeyPath, env: Mapping[str, str], out: Interpolated) -> Any:
    if isinstance(value, Mapping):
        return {key: _walk(item, (*path, key), env, out) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, (*path, index), env, out) for index, item in enumerate(value)]
    if isinstance(value, str) and "$" in value:
        return _string(value, path, env, out)
    return value


def _string(text: str, path: KeyPath, env: Mapping[str, str], out: Interpolated) -> str:
    values: list[str] = []
    masks: list[str] = []
    problems: list[str] = []
    referenced = False
    position = 0
    for match in _TOKEN.finditer(text):
        literal = text[position : match.start()]
        position = match.end()
        if match.group(0) == "$${":
            values.append(literal + "${")
            masks.append(literal + "${")
            continue
        value, mask, problem = _reference(match.group(1), env)
        referenced = True
        values.append(literal + value)
        masks.append(literal + mask)
        if problem:
            problems.append(problem)
    values.append(text[position:])
    masks.append(text[position:])
    resolved = "".join(values)
    if referenced:
        out.masks[path] = "".join(masks)
        out.resolved[path] = resolved
    if problems:
        out.problems[path] = "; ".join(problems)
    return resolved


def _reference(body: str | None, env: Mapping[str, str]) -> tuple[str, str, str | None]:
    """The value, mask and problem (or None) of one ``${body}``."""
    match = _REFERENCE.match(body) if body is not None else None
    if match is None:
        shown = "${" + body + "}" if body is not None else "${ without a closing }"
        return (
            "",
            "${?}",
            (
                f"{shown} is not a valid reference; use ${{NAME}} or ${{NAME:-default}} "
                "(NAME: letters, digits, _), or write $${ for a literal ${"
            ),
        )
    name, default = match.group("name"), match.group("default")
    mask = "${" + name + "}"
    value = env.get(name)
    if value:
        return value, mask, None
    if default is not None:
        return default, mask, None
    if value is not None:  # set but empty, and no default: an empty value is what was asked for
        return value, mask, None
    return (
        "",
        mask,
        (
            f"environment variable {name} is not set; set it, or write ${{{name}:-default}} "
            "to give a default"
        ),
    )
