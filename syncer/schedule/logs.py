"""The scheduler's log: text lines on stderr for a person, JSON objects on stdout for a machine.

``--log-format auto`` (the default) writes JSON when stdout is not a terminal (a container, a
pipe, a file) and text when it is. A JSON line is one object: ``time`` (UTC, ISO 8601),
``level``, ``logger``, ``message``, and ``job``, ``run``, ``tick``, ``target`` when the line is
about one; an error's ``traceback`` too. Every value is passed through the redaction of known
secrets (the loaded jobs' credentials, :mod:`syncer.crash`) before it is written.
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
                line[name] = redact(value) if isinstance(value, str) else value
        if record.exc_info and "traceback" not in line:
            line["traceback"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2026-12-04 18:00:00 info  job: message`` (secrets redacted)."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%d %H:%M:%S")
        return f"{moment} {record.levelname.lower():7} {redact(record.getMessage())}"


def configure(fmt: str = "auto", stdout: TextIO | None = None, stderr: TextIO | None = None) -> str:
    """Send the ``syncer`` loggers (and DBOS's warnings) to one handler; the format chosen."""
    out = stdout or sys.stdout
    chosen = fmt if fmt != "auto" else ("text" if out.isatty() else "json")
    handler = logging.StreamHandler(out if chosen == "json" else (stderr or sys.stderr))
    handler.setFormatter(JsonFormatter() if chosen == "json" else TextFormatter())
    for name, level in (("syncer", logging.INFO), ("dbos", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
    return chosen
