"""The scheduler's log: one JSON object a line (job, run, tick; secrets redacted), or text lines."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from syncer.crash import remember_secrets
from syncer.schedule.logs import configure

SECRET = "tok-9f8e7d6c5b4a"
TICK = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
log = logging.getLogger("syncer.schedule")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restored() -> Iterator[None]:
    """configure() rewires the syncer and dbos loggers: put them back afterwards."""
    saved = {
        name: (list(logger.handlers), logger.level, logger.propagate)
        for name in ("syncer", "dbos")
        for logger in [logging.getLogger(name)]
    }
    remember_secrets([SECRET])
    yield
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_is_one_object_a_line_with_the_run_fields() -> None:
    out = io.StringIO()
    assert configure("json", stdout=out) == "json"
    log.info("job9: run starting", extra={"job": "job9", "tick": TICK, "run": 12})
    log.warning("two\nlines", extra={"job": "demo", "target": "shop"})
    first, second = lines(out)
    assert first["message"] == "job9: run starting"
    assert first["level"] == "info"
    assert first["logger"] == "syncer.schedule"
    assert (first["job"], first["run"], first["tick"]) == ("job9", 12, TICK.isoformat())
    assert str(first["time"]).endswith("+00:00")
    assert (second["message"], second["target"], second["level"]) == (
        "two\nlines",
        "shop",
        "warning",
    )
    assert "run" not in second


def test_secrets_are_redacted_everywhere_in_a_json_line() -> None:
    out = io.StringIO()
    configure("json", stdout=out)
    try:
        raise RuntimeError(f"refused {SECRET}")
    except RuntimeError:
        log.exception("token %s refused", SECRET, extra={"job": "demo", "run": 3})
    (line,) = lines(out)
    assert SECRET not in out.getvalue()
    assert "***" in str(line["message"])
    assert (line["job"], line["run"]) == ("demo", 3)
    assert "RuntimeError: refused ***" in str(line["traceback"])


def test_names_and_ids_are_never_masked() -> None:
    """A secret equal to a job's name (the demo's API key is ``demo``) masks the message, not
    the fields that tell lines apart."""
    out = io.StringIO()
    configure("json", stdout=out)
    name = "job-7c1e4b"
    remember_secrets([name])
    log.info("%s: done", name, extra={"job": name, "target": name, "outcome": "ran"})
    (line,) = lines(out)
    assert line["message"] == "***: done"
    assert (line["job"], line["target"], line["outcome"]) == (name, name, "ran")


def test_a_given_traceback_is_kept_and_redacted() -> None:
    out = io.StringIO()
    configure("json", stdout=out)
    log.error("job9: failed", extra={"job": "demo", "traceback": f"Traceback: {SECRET}"})
    (line,) = lines(out)
    assert line["traceback"] == "Traceback: ***"


def test_auto_on_a_terminal_writes_text_on_stderr() -> None:
    out, err = Terminal(), io.StringIO()
    assert configure("auto", stdout=out, stderr=err) == "text"
    log.info("job9: run starting %s", SECRET, extra={"job": "job9"})
    log.error("job9: failed", extra={"traceback": "Traceback (most recent call last): boom"})
    assert out.getvalue() == ""
    first, *rest = err.getvalue().splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d info    job9: run starting \*\*\*", first)
    assert rest[0].endswith("error   job9: failed")
    assert "boom" in rest[1]


def test_auto_off_a_terminal_writes_json() -> None:
    out = io.StringIO()
    assert configure("auto", stdout=out, stderr=io.StringIO()) == "json"
    logging.getLogger("syncer.http").info("retry 1/5")
    logging.getLogger("dbos").info("not shown: dbos says warnings only")
    assert [line["logger"] for line in lines(out)] == ["syncer.http"]


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="yaml"):
        configure("yaml", stdout=io.StringIO())
