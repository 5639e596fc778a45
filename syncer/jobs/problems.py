"""Pydantic validation errors as job-file problems: a key path, what is wrong, what is allowed.

Values that came from the environment or are secret by name are never shown; the caller shows
them by their ``${VAR}`` reference instead (see :func:`shown`).
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from syncer.jobs.interpolate import KeyPath
from syncer.jobs.model import MASK, Job
from syncer.jobs.vendors import SECRET_KEYS, VENDOR_NAMES

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
#: Messages that read as a predicate of the value: shown after it ("'x' is not a URL").
_PREDICATES = ("is ", "has ", "must ", "names ")
_TABLE_TYPES = frozenset({"model_type", "model_attributes_type", "dict_type"})


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a job file: where (``key``, e.g. ``targets[1].rate``) and what."""

    key: str
    message: str


def key_path(path: Sequence[str | int]) -> str:
    """``("targets", 1, "rate")`` as ``targets[1].rate``; odd keys quoted as TOML would."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            key = part if _BARE_KEY.match(part) else '"' + part.replace('"', '\\"') + '"'
            text += f".{key}" if text else key
    return text


def document_path(loc: Sequence[str | int], document: Any) -> KeyPath:
    """``loc`` without the union tags pydantic inserts (``targets.0.spiffy.rate``)."""
    path: list[str | int] = []
    node = document
    for part in loc:
        if _has(node, part):
            node = node[part]
        elif isinstance(node, Mapping) and node.get("vendor") == part:
            continue  # the discriminator's tag, not a key of the file
        else:
            node = None
        path.append(part)
    return tuple(path)


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, Mapping):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def shown(value: Any, path: KeyPath, masks: Mapping[KeyPath, str]) -> str:
    """How a value is named in a message: its ``${VAR}`` when it came from the environment."""
    if path in masks:
        return masks[path]
    if path and path[-1] in SECRET_KEYS:
        return MASK
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return repr(value)


def describe(error: ErrorDetails, path: KeyPath, masks: Mapping[KeyPath, str]) -> Problem:
    """One pydantic error as a :class:`Problem` at ``path`` (the tag-free location)."""
    kind, ctx = error["type"], error.get("ctx", {})
    value = shown(error["input"], path, masks)
    vendors = ", ".join(VENDOR_NAMES)
    if kind == "union_tag_invalid":
        tag = shown(ctx.get("tag"), (*path, "vendor"), masks)
        return Problem(key_path((*path, "vendor")), f"{tag} is not a vendor; use one of {vendors}")
    if kind == "union_tag_not_found":
        return Problem(key_path((*path, "vendor")), f"is missing; use one of {vendors}")
    if kind == "extra_forbidden":
        return Problem(key_path(path), _unknown_key(error["loc"]))
    return Problem(key_path(path), _message(kind, error, path, value))


def _message(kind: str, error: ErrorDetails, path: KeyPath, value: str) -> str:
    ctx = error.get("ctx", {})
    if kind == "missing":
        return "is required but missing"
    if kind == "literal_error":
        return f"{value} is not allowed; use one of {ctx.get('expected')}"
    if kind in _TABLE_TYPES:
        return f"must be a table, not {value}"
    if kind == "list_type" and path == ("targets",):
        return "must be an array of tables: write [[targets]] above each target"
    if kind == "too_short" and path == ("targets",):
        return "needs at least one target: add a [[targets]] table"
    message = str(error["msg"])
    if kind in ("value_error", "assertion_error"):
        message = (
            message.split(", ", 1)[1]
            if message.startswith(("Value error", "Assertion"))
            else message
        )
        return f"{value} {message}" if message.startswith(_PREDICATES) else message
    if message.startswith("Input "):
        return f"{value} {message.removeprefix('Input ')}"
    return f"{message} (got {value})"


def _unknown_key(loc: Sequence[str | int]) -> str:
    model = _model_at(loc[:-1])
    if model is None:
        return "unknown key"
    key = str(loc[-1])
    allowed = sorted(model.model_fields)
    return f"unknown key{_suggestion(key, model)}; allowed keys here: {', '.join(allowed)}"


def _suggestion(key: str, model: type[BaseModel]) -> str:
    """A likely meant key: a near spelling here, or the same key in a table below this one."""
    close = difflib.get_close_matches(key, list(model.model_fields), n=1)
    if close:
        return f" (did you mean {close[0]}?)"
    for name, field in model.model_fields.items():
        inner = _unwrap(field.annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel) and key in inner.model_fields:
            return f" (did you mean {name}.{key}?)"
    return ""


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    current: Any = Job
    for part in loc:
        current = _step(_unwrap(current), part)
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    if get_origin(annotation) is Annotated:
        return _unwrap(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return annotation


def _step(annotation: Any, part: str | int) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(part) if isinstance(part, str) else None
        return field.annotation if field else None
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is list and isinstance(part, int):
        return args[0]
    if origin is dict and isinstance(part, str):
        return args[1]
    if origin in (Union, types.UnionType):
        return next((arg for arg in args if _tag_of(_unwrap(arg)) == part), None)
    return None


def _tag_of(model: Any) -> str | None:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    field = model.model_fields.get("vendor")
    tags = get_args(field.annotation) if field else ()
    return str(tags[0]) if len(tags) == 1 else None
