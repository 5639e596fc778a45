"""Where DBOS keeps the scheduler's own records, and who may use them.

* **SQLite state** (the default): DBOS's database is a file beside the state file
  (``.syncer/state.db`` -> ``.syncer/state.dbos.db``), and one scheduler process uses it: a
  second one is refused while the first holds the file's lock. DBOS's SQLite schema needs
  SQLite 3.42 or newer; where Python's own is older (Debian 12 has 3.40), the SQLite of the
  ``pysqlite3-binary`` package is used, which syncer installs where a wheel exists.
* **PostgreSQL state**: DBOS lives in the same database, in its own schema ``dbos``, and any
  number of schedulers may run, each with its own executor id (``--executor-id``; default the
  host name, so one per container). A restarted scheduler recovers, with DBOS, the workflows
  its executor id left unfinished; two live schedulers with one id are refused (a PostgreSQL
  advisory lock on the id), since each would recover the other's.
"""

from __future__ import annotations

import fcntl
import os
import socket
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from syncer.errors import ConfigError, JobBusyError, StateError
from syncer.state import DEFAULT_URL, redact

#: The oldest SQLite whose features DBOS's system database uses.
MIN_SQLITE = (3, 42, 0)
#: DBOS's schema in a PostgreSQL database.
DBOS_SCHEMA = "dbos"
#: The executor id of the one scheduler on a SQLite state.
LOCAL_EXECUTOR = "local"


@dataclass
class SystemDatabase:
    """DBOS's configuration for one scheduler process, and the lock that makes it the only
    user of its executor id (call :meth:`acquire` before launching DBOS)."""

    state_url: str
    executor_id: str
    config: dict[str, Any]
    #: Where DBOS's records are, for messages (no password).
    where: str
    _lock: Any = field(default=None, repr=False)

    @property
    def postgres(self) -> bool:
        return self.where.startswith("postgresql")

    def acquire(self) -> None:
        """Take this process's claim on the database (SQLite) or on its executor id
        (PostgreSQL), or raise JobBusyError saying who holds it."""
        if self.postgres:
            self._lock = _advisory_lock(self.config["system_database_url"], self.executor_id)
        else:
            self._lock = _file_lock(Path(self.where + ".lock"))

    def ping(self, timeout: float = 2.0) -> bool:
        """True when DBOS's database answers a trivial query within ``timeout`` seconds
        (blocking: call it off the event loop)."""
        try:
            if self.postgres:
                import psycopg

                url = self.config["system_database_url"]
                with psycopg.connect(url, connect_timeout=max(1, int(timeout))) as conn:
                    conn.execute("SELECT 1")
            else:
                conn = sqlite_module().connect(self.where, timeout=timeout)
                try:
                    conn.execute("SELECT 1")
                finally:
                    conn.close()
        except Exception:  # any failure to answer is "not reachable"
            return False
        return True

    def release(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.close()


def system_database(state_url: str | None, executor_id: str | None = None) -> SystemDatabase:
    """DBOS's database for a scheduler whose state is at ``state_url`` (None: the default)."""
    text = state_url or DEFAULT_URL
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise ConfigError(f"--state {redact(text)!r} is not a database URL") from None
    base = {"name": "syncer", "log_level": "WARNING", "scheduler_polling_interval_sec": 5.0}
    if url.get_backend_name() == "postgresql":
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        executor = executor_id or os.environ.get("SYNCER_EXECUTOR_ID") or socket.gethostname()
        config = base | {
            "system_database_url": plain,
            "dbos_system_schema": DBOS_SCHEMA,
            "executor_id": executor,
        }
        return SystemDatabase(text, executor, config, redact(url.set(drivername="postgresql")))
    if url.get_backend_name() != "sqlite":
        raise ConfigError(
            f"--state {redact(text)!r}: the scheduler keeps its records in SQLite or PostgreSQL"
        )
    return _sqlite(url, base, executor_id)


def _sqlite(url: URL, base: dict[str, Any], executor_id: str | None) -> SystemDatabase:
    if not url.database or url.database == ":memory:":
        raise ConfigError(
            "the scheduler needs its state in a file or in PostgreSQL, not in memory: give "
            "--state sqlite+aiosqlite:///path/state.db"
        )
    state = Path(url.database)
    path = state.with_name(state.stem + ".dbos" + (state.suffix or ".db"))
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(f"sqlite:///{path}", module=sqlite_module())
    executor = executor_id or LOCAL_EXECUTOR
    config = base | {"system_database_engine": engine, "executor_id": executor}
    return SystemDatabase(str(url), executor, config, str(path))


def sqlite_module() -> ModuleType:
    """A DB-API SQLite module new enough for DBOS: Python's own, or pysqlite3's."""
    if sqlite3.sqlite_version_info >= MIN_SQLITE:
        return sqlite3
    try:
        import pysqlite3.dbapi2 as newer  # type: ignore[import-untyped]
    except ImportError:
        newer = None
    if newer is not None and newer.sqlite_version_info >= MIN_SQLITE:
        return newer  # type: ignore[no-any-return]
    need = ".".join(map(str, MIN_SQLITE))
    raise StateError(
        f"the scheduler on a SQLite state needs SQLite {need} or newer, and this Python has "
        f"{sqlite3.sqlite_version}: pip install pysqlite3-binary, or keep the state in "
        "PostgreSQL (--state postgresql+asyncpg://...)"
    )


def _file_lock(path: Path) -> Any:
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise JobBusyError(
            f"another syncer schedule ({holder}) is using {path.with_suffix('')}; on a SQLite "
            "state one scheduler runs at a time (keep the state in PostgreSQL for several)"
        ) from None
    handle.truncate(0)
    handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
    handle.flush()
    return handle


def _advisory_lock(url: str, executor_id: str) -> Any:
    import psycopg

    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StateError(f"cannot reach the scheduler's database: {first}") from None
    row = conn.execute(
        "SELECT pg_try_advisory_lock(hashtext(%s))", (f"syncer-executor:{executor_id}",)
    ).fetchone()
    if not row or not row[0]:
        conn.close()
        raise JobBusyError(
            f"another syncer schedule runs with executor id {executor_id!r} on this database; "
            "give each scheduler its own --executor-id (or SYNCER_EXECUTOR_ID)"
        )
    return conn
