"""Alembic (about 125 ms to import) is imported only when an existing schema must change."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from syncer.state import StateStore, migrate

from .test_migrations import head_revision, migrate_to

OPEN_AND_REPORT = """
import asyncio, sys
from syncer.state import StateStore

async def main(url):
    async with StateStore.open(url) as store:
        await store.start_run("lazy", "sync")

asyncio.run(main(sys.argv[1]))
print("alembic imported" if "alembic" in sys.modules else "alembic not imported")
"""


def open_in_a_subprocess(url: str) -> str:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", OPEN_AND_REPORT, url],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


async def test_opening_a_store_at_head_does_not_import_alembic(url: str) -> None:
    async with StateStore.open(url):  # migrated here, at head from now on
        pass
    assert open_in_a_subprocess(url) == "alembic not imported"


def test_a_new_database_is_made_without_alembic(fresh_url: str) -> None:
    assert open_in_a_subprocess(fresh_url) == "alembic not imported"


async def test_an_old_database_is_upgraded_by_alembic(fresh_url: str) -> None:
    await migrate_to(fresh_url, "0005")
    assert open_in_a_subprocess(fresh_url) == "alembic imported"


def test_the_head_read_from_the_files_is_alembics() -> None:
    assert migrate.head_revision() == head_revision()
