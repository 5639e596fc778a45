"""The scheduler's log: text lines on stderr for a person, JSON objects on stdout for a machine.

``--log-format auto`` (the default) writes JSON when stdout is not a terminal (a container, a
pipe, a file) and text when it is. A JSON line is one object: ``time`` (UTC, ISO 8601),
``level``, ``logger``, ``message``, and ``job``, ``run``, ``tick``, ``target`` when the line is
about one; an error's ``traceback`` too. The message and the traceback are passed through the
redaction of known secrets (the loaded jobs' credentials, :mod:`syncer.crash`) before they are
written; the names and ids (:data:`IDENTIFIERS`) are not, so that a line keeps its job.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from syncer.crash import redact

#: The record attributes copied into a JSON line when a log call passes them (``extra``).
FIELDS = ("job", "run", "tick", "target", "outcome", "traceback")
#: Fields that are names from the job files or ids, never redacted: a secret that happens to
#: equal a job's name (the demo's API key is ``demo``) would otherwise mask the name in every
#: line, and lines could no longer be told apart by job.
IDENTIFIERS = frozenset({"job", "run", "tick", "target", "outcome"})
FORMATS = ("auto", "text", "json")


class JsonFormatter(logging.Formatter):
    """One JSON object a line, secrets redacted."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = _plain(value, redacted=name not in IDENTIFIERS)
        if "traceback" not in line and (trace := _trace(self, record)):
            line["traceback"] = trace
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``2026-12-04 18:00:00 info    job: message`` (secrets redacted), then the traceback of
    an error, if any, on the lines below."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%d %H:%M:%S")
        text = f"{moment} {record.levelname.lower():7} {redact(record.getMessage())}"
        given = getattr(record, "traceback", None)
        trace = redact(str(given)) if given else _trace(self, record)
        return f"{text}\n{trace.rstrip()}" if trace else text


def _plain(value: Any, *, redacted: bool = True) -> Any:
    """A field's value as JSON: numbers and booleans as they are, a moment in ISO 8601,
    anything else as text (with the secrets redacted, unless ``redacted`` is False)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return redact(str(value)) if redacted else str(value)


def _trace(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    """The record's exception and stack, redacted; empty when it has neither."""
    parts = []
    if record.exc_info:
        parts.append(formatter.formatException(record.exc_info))
    if record.stack_info:
        parts.append(formatter.formatStack(record.stack_info))
    return redact("\n".join(parts)) if parts else ""


def configure(fmt: str = "auto", stdout: TextIO | None = None, stderr: TextIO | None = None) -> str:
    """Send the ``syncer`` loggers (and DBOS's warnings) to one handler; the format chosen."""
    if fmt not in FORMATS:
        raise ValueError(f"log format {fmt!r} is not one of {', '.join(FORMATS)}")
    out = stdout or sys.stdout
    chosen = fmt if fmt != "auto" else ("text" if _is_terminal(out) else "json")
    handler = logging.StreamHandler(out if chosen == "json" else (stderr or sys.stderr))
    handler.setFormatter(JsonFormatter() if chosen == "json" else TextFormatter())
    for name, level in (("syncer", logging.INFO), ("dbos", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
    return chosen


def _is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal (a closed or odd stream is not)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
