"""Fixtures: every state test runs on SQLite (a tmp file) and on PostgreSQL (127.0.0.1:5432).

PostgreSQL gets one fresh database per test session (so one per pytest-xdist worker), dropped
afterwards, and its tables are emptied before each test; tests that need an empty database get one
of their own. When the server is not reachable the PostgreSQL half skips, saying so, unless
``SYNCER_REQUIRE_POSTGRES=1`` (set by ``.ci/run``): then it fails, so that CI never passes without
having run it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from syncer.state import StateStore

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/test"
LEASE = 60.0
T = TypeVar("T")


def in_thread(work: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on a loop of its own (fixtures may run inside a loop)."""
    box: list[Any] = []

    def target() -> None:
        try:
            box.append(asyncio.run(work()))  # type: ignore[arg-type]
        except BaseException as exc:
            box.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]  # type: ignore[no-any-return]


def pg_unreachable() -> str | None:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=0.5):
            return None
    except OSError as exc:
        return f"PostgreSQL is not reachable at {PG_HOST}:{PG_PORT} ({exc})"


def skip_without_pg() -> None:
    """Skip (or, when ``SYNCER_REQUIRE_POSTGRES=1``, fail) a test when PostgreSQL is down."""
    reason = pg_unreachable()
    if reason is None:
        return
    if os.environ.get("SYNCER_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason}; SYNCER_REQUIRE_POSTGRES=1 requires it", pytrace=False)
    pytest.skip(reason)


async def pg_admin(statement: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def create_pg_database() -> tuple[str, str]:
    """A new empty database: its name and its async URL.

    The name is random, so pytest-xdist workers (each its own session) never share one; it also
    names the worker (``gw0``...), so a database left by a killed worker tells whose it was."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"syncer_state_{worker}_{uuid.uuid4().hex[:12]}"
    in_thread(lambda: pg_admin(f'CREATE DATABASE "{name}"'))
    return name, f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}"


def drop_pg_database(name: str) -> None:
    in_thread(lambda: pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_session_url() -> Iterator[str]:
    skip_without_pg()
    name, url = create_pg_database()
    yield url
    drop_pg_database(name)


async def empty_tables(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            exists = await conn.scalar(text("SELECT to_regclass('runs') IS NOT NULL"))
            if exists:
                tables = "ops, links, items, cursors, blobs, plans, ticks, runs"
                await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A state URL holding no state (the shared PostgreSQL database, emptied)."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/state.db"
    base = str(request.getfixturevalue("pg_session_url"))
    in_thread(lambda: empty_tables(base))
    return base


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A state URL for a database that has never been migrated."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/fresh/state.db"
        return
    skip_without_pg()
    name, url = create_pg_database()
    yield url
    drop_pg_database(name)


class Clock:
    """A settable clock, so lease expiry is tested without sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store(url: str, clock: Clock) -> AsyncIterator[StateStore]:
    async with StateStore.open(url, lease_seconds=LEASE, clock=clock) as opened:
        yield opened


@pytest.fixture
async def other(url: str, clock: Clock) -> AsyncIterator[StateStore]:
    """A second store on the same database: what another process would read."""
    async with StateStore.open(url, lease_seconds=LEASE, clock=clock) as opened:
        yield opened


async def op_counts(store: StateStore, job: str, run_id: int) -> dict[str, int]:
    """How many of the run's ops are in each state (every state present, zero or not)."""
    import sqlalchemy as sa

    from syncer.state.models import ops
    from syncer.state.rows import OP_STATES

    query = (
        sa.select(ops.c.state, sa.func.count())
        .where(ops.c.job == job, ops.c.run_id == run_id)
        .group_by(ops.c.state)
    )
    counts = dict.fromkeys(OP_STATES, 0)
    async with store._read() as conn:
        counts.update((state, int(n)) for state, n in await conn.execute(query))
    return counts
