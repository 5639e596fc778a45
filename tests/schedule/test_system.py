"""Where DBOS keeps a scheduler's records, and the claim that makes one process their user."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncer.errors import ConfigError, JobBusyError, StateError
from syncer.schedule import system
from syncer.schedule.system import DBOS_SCHEMA, MIN_SQLITE, sqlite_module, system_database


def test_a_sqlite_state_keeps_dbos_beside_it_for_one_process(tmp_path: Path) -> None:
    first = system_database(f"sqlite+aiosqlite:///{tmp_path}/deep/state.db")
    assert first.where == str(tmp_path / "deep" / "state.dbos.db")
    assert first.executor_id == "local"
    assert not first.postgres
    first.acquire()
    try:
        second = system_database(f"sqlite+aiosqlite:///{tmp_path}/deep/state.db")
        with pytest.raises(JobBusyError, match=r"pid \d+ .*one scheduler runs at a time"):
            second.acquire()
        assert first.ping()
    finally:
        first.release()
    second.acquire()  # released: the next one may
    second.release()


def test_the_sqlite_module_is_new_enough_for_dbos() -> None:
    assert sqlite_module().sqlite_version_info >= MIN_SQLITE


def test_without_a_new_enough_sqlite_the_message_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(system, "MIN_SQLITE", (99, 0, 0))
    with pytest.raises(StateError, match=r"SQLite 99\.0\.0 or newer.*pysqlite3-binary.*PostgreSQL"):
        sqlite_module()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite+aiosqlite://", "not in memory"),
        ("mysql+aiomysql://u@h/db", "SQLite or PostgreSQL"),
        ("::not a url::", "is not a database URL"),
    ],
)
def test_unusable_state_urls_are_configuration_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        system_database(url)


def test_a_postgresql_state_holds_dbos_in_its_schema_one_process_per_executor_id(
    pg_url: str,
) -> None:
    one = system_database(pg_url, "alpha")
    assert one.postgres
    assert one.config["dbos_system_schema"] == DBOS_SCHEMA
    assert one.config["system_database_url"].startswith("postgresql://")
    assert one.executor_id == "alpha"
    one.acquire()
    try:
        with pytest.raises(JobBusyError, match="executor id 'alpha'"):
            system_database(pg_url, "alpha").acquire()
        other = system_database(pg_url, "beta")
        other.acquire()  # another id: fine
        other.release()
        assert one.ping()
    finally:
        one.release()


def test_an_unreachable_postgresql_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    gone = system_database("postgresql+asyncpg://postgres@127.0.0.1:9/none", "x")
    with pytest.raises(StateError, match="cannot reach the scheduler's database"):
        gone.acquire()
    assert not gone.ping(timeout=1)
