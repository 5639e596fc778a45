"""What the engine tests stand on: two emulators served on loopback, a job file naming them, and
the state store, spool and HTTP session a run needs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from syncer.http import open_session
from syncer.jobs import load_job
from syncer.spool import Spool
from syncer.state import StateStore
from syncer.testing.emulator import VendorEmulator
from syncer.testing.server import serve


@dataclass
class Opened:
    job: Any
    store: StateStore
    spool: Spool
    session: aiohttp.ClientSession


@asynccontextmanager
async def opened(
    tmp_path: Path,
    job_text: str,
    emulators: dict[str, VendorEmulator],
    **store_options: Any,
) -> AsyncIterator[Opened]:
    """Each of ``emulators`` served, its URL in the environment variable it is keyed by, for
    ``job_text`` (written to ``tmp_path/job.toml`` and loaded); with a SQLite state store in
    ``tmp_path`` (``store_options`` go to ``StateStore.open``) and a spool."""
    names = list(emulators)
    async with (
        serve(emulators[names[0]]) as first,
        serve(emulators[names[1]]) as second,
        open_session() as session,
    ):
        path = tmp_path / "job.toml"
        path.write_text(job_text)
        job = load_job(path, {names[0]: first, names[1]: second})
        url = f"sqlite+aiosqlite:///{tmp_path}/state.db"
        async with (
            await StateStore.open(url, **store_options) as store,
            Spool(tmp_path / "spool") as spool,
        ):
            yield Opened(job, store, spool, session)
