"""Opening a database for the state store: URL resolution, redaction and SQLite settings."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from syncer.errors import StateError

#: Where state lives when a job names no URL: relative to the working directory.
DEFAULT_URL = "sqlite+aiosqlite:///.syncer/state.db"

#: A URL without a driver gets syncer's async driver for its backend.
ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}

#: How long a SQLite writer waits for another's lock before failing, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000

_USERINFO = re.compile(r"(://[^:/@]*:)[^@]*@")


def redact(url: str | URL) -> str:
    """The URL with any password replaced by ``***``, fit for messages and logs."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _USERINFO.sub(r"\1***@", url)


def resolve_url(url: str | None) -> URL:
    """Parse a state URL, defaulting it and giving driverless URLs the async driver."""
    text = DEFAULT_URL if url is None else url
    try:
        parsed = make_url(text)
    except (ArgumentError, ValueError) as exc:
        raise StateError(
            f"state URL {redact(text)!r} is not a database URL ({exc}); use e.g. "
            f"{DEFAULT_URL!r} or 'postgresql+asyncpg://user@host/db'"
        ) from None
    driver = ASYNC_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


class StateMissingError(StateError):
    """A read-only command was pointed at a state store that does not exist (a mistyped
    ``--state`` or ``state`` key, or a job that never ran): nothing was created there. The
    user fixes an argument or a key, as for a configuration error: exit 2."""

    exit_code: ClassVar[int] = 2


def missing_message(where: str) -> str:
    """What a user reads when there is no state at ``where`` (a path or a redacted URL)."""
    return (
        f"no state at {where}; check --state or the job's state key (a migrate or sync creates it)"
    )


def check_exists(url: URL) -> None:
    """Raise :class:`StateMissingError` when ``url`` names an SQLite file that does not exist
    (opening it would create it, and its directory); other URLs are checked once connected."""
    database = url.database or ""
    if is_sqlite_file(url) and not database.startswith("file:"):
        path = Path(database)
        if not path.is_file():
            raise StateMissingError(missing_message(os.path.abspath(path)))


def is_sqlite_file(url: URL) -> bool:
    """Whether the URL names an on-disk SQLite database (not ``:memory:``)."""
    database = url.database or ""
    return url.get_backend_name() == "sqlite" and database not in ("", ":memory:")


def create_engine(url: URL) -> AsyncEngine:
    """An async engine; for SQLite, the file's directory is made and WAL and foreign keys set."""
    if is_sqlite_file(url) and not (url.database or "").startswith("file:"):
        Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url)
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_settings)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


#: Execution option marking a connection that will write: SQLite then takes the write lock
#: at BEGIN (waiting up to the busy timeout) instead of failing when a read turns into a write.
WRITE = "syncer_write"


def _sqlite_settings(dbapi_connection: Any, _record: Any) -> None:
    """Per connection: WAL (readers never block the writer), foreign keys, a busy wait."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()
    # SQLAlchemy's recipe for real SQLite transactions: the driver stops issuing its own
    # BEGIN (it skips DDL and reads), and ``_sqlite_begin`` issues one for every transaction,
    # so a migration or a read-then-write is atomic.
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn: Connection) -> None:
    """BEGIN IMMEDIATE for writers (see ``WRITE``), a deferred BEGIN for readers."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")
