"""Shared helpers of the engine benchmarks (``bench/rate_limit.py``, ``bench/nochange_sync.py``,
``bench/memory.py``): emulators in processes of their own, job files, the admin API, timing.

Not a benchmark itself. Everything binds to 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from syncer.emulators.process import stop
from syncer.http import Lane
from syncer.jobs import Job, load_job
from syncer.testing.connections import DEMO_CONNECTION as CONNECTION
from syncer.vendors import client_class

BENCH = Path(__file__).resolve().parent
LOOPBACK = "127.0.0.1"
MB = 1_000_000


@dataclass
class Served:
    """An emulator running in a child process."""

    url: str
    process: subprocess.Popen[str]
    banner: str

    @property
    def pid(self) -> int:
        return self.process.pid


@contextmanager
def seeded_emulator(
    vendor: str,
    *,
    seed: int = 0,
    owners: int | None = None,
    distinct: int = 64,
    seed_value: int = 1,
    rate_limit: float = 0.0,
    knobs: dict[str, str] | None = None,
    manifest: Path | None = None,
    timeout: float = 900.0,
) -> Iterator[Served]:
    """``bench/emulator_server.py`` in a child process, seeded with the pooled fast path;
    yields once it serves (seeding a million images takes a minute or two)."""
    command = [
        sys.executable,
        str(BENCH / "emulator_server.py"),
        vendor,
        "--seed",
        str(seed),
        "--distinct",
        str(distinct),
        "--seed-value",
        str(seed_value),
        "--rate-limit",
        str(rate_limit),
    ]
    if owners is not None:
        command += ["--owners", str(owners)]
    if manifest is not None:
        command += ["--manifest", str(manifest)]
    for name, value in (knobs or {}).items():
        command += ["--set", f"{name}={value}"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + timeout
        line = ""
        while not line.startswith("READY "):
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                raise RuntimeError(f"{vendor} emulator exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{vendor} emulator did not come up in {timeout:.0f}s")
        url = line.split()[1]
        yield Served(url, process, line.strip())
    finally:
        stop(process)


def admin(url: str, path: str, method: str = "GET", body: Any = None) -> Any:
    """One call of an emulator's admin API (``/_emulator/...``), JSON in and out."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{url}/_emulator{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"} if data else {},
    )
    with urllib.request.urlopen(request, timeout=120) as answer:
        raw = answer.read()
    return json.loads(raw) if raw else None


def request_counts(url: str) -> list[dict[str, Any]]:
    """The emulator's request counters as ``[{method, route, status, count}]``."""
    stats = admin(url, "/stats")
    rows = stats.get("requests", stats) if isinstance(stats, dict) else stats
    return list(rows)


def write_job(
    directory: Path,
    source: tuple[str, str],
    target: tuple[str, str],
    *,
    name: str = "bench",
    mapping: str = "owners_identity = true\n",
    target_options: str = "",
    source_options: str = "",
) -> Job:
    """A job file from ``source`` to ``target`` (each ``(vendor, base_url)``), loaded, with
    its state in SQLite under ``directory``."""
    (s_vendor, s_url), (t_vendor, t_url) = source, target
    text = (
        f'name = "{name}"\nstate = "sqlite+aiosqlite:///{directory}/state.db"\n\n'
        f'[source]\nvendor = "{s_vendor}"\nbase_url = "{s_url}"\n{CONNECTION[s_vendor]}'
        f"{source_options}"
        f'\n[[targets]]\nname = "target"\nvendor = "{t_vendor}"\nbase_url = "{t_url}"\n'
        f"{CONNECTION[t_vendor]}{target_options}"
        f"\n[targets.mapping]\n{mapping}"
    )
    path = directory / f"{name}.toml"
    path.write_text(text)
    return load_job(path, {})


def source_client(job: Job, session: Any) -> Any:
    """The job's source client, built exactly as the run pipeline builds it."""
    config = job.source
    lane = Lane(max(1, config.concurrency), config.rate)
    return client_class(config.vendor)(config.settings(), session, lane=lane)


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB


def rss_mb(pid: int) -> float:
    """A process's current resident set size, in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / MB
    return 0.0


class Stopwatch:
    """``with Stopwatch() as w: ...``; then ``w.seconds``."""

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


# -- populating the state fast -------------------------------------------------------------------


def read_manifest(path: Path) -> dict[str, tuple[str, int, str]]:
    """``key -> (sha256, size, mime)`` from ``emulator_server.py --manifest``."""
    found: dict[str, tuple[str, int, str]] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            key, sha256, size, mime = line.rstrip("\n").split("\t")
            found[key] = (sha256, int(size), mime)
    return found


async def populate_state(
    job: Job, store: Any, session: Any, manifest: dict[str, tuple[str, int, str]]
) -> int:
    """Write the state a first migration of ``job`` would leave, without pushing anything.

    The setup shortcut of the sync and memory benchmarks (a real migration costs about 20 ms an
    item in journal writes, so hours for a million). The source is listed for real with its
    client, page by page, and each page goes through the store's own ``commit_page`` with the
    real cursor; the records are fingerprinted from the emulator's manifest (the sha256, size
    and type of the stored bytes, what the engine would get by downloading them); the engine's
    own ``item_row``, mapping and planner make the item rows and each link's ``meta_hash``.
    The links are written in one upsert per page through the store's tables. What differs
    from a real migration: nothing reaches the target, so each link's ``target_id`` is a
    placeholder (``bench-<key>``) and ``target_version`` is empty, and no ops are journalled.
    ``check_population`` compares this against a real migration. Returns the items written.
    """
    from dataclasses import replace

    from syncer.engine.mapping import map_record
    from syncer.engine.plan import Action, plan_basis, plan_item, pushed_json
    from syncer.engine.planner import item_row
    from syncer.engine.targets import target_policy, target_salt
    from syncer.state import LinkRow, PageCommit, convert
    from syncer.state.models import links
    from syncer.state.sql import upsert
    from syncer.vendors import client_class

    run = await store.start_run(job.name, "migrate")
    client = source_client(job, session)
    written = 0
    try:
        async for page in client.pages(None):
            records = []
            for record in page.records:
                if record.deleted:
                    continue
                sha256, size, mime = manifest[record.key]
                records.append(replace(record, sha256=sha256, size=record.size or size, mime=mime))
            rows = [item_row(job.name, record) for record in records]
            commit = PageCommit(
                run_id=run.id,
                job=job.name,
                source=job.source.vendor,
                items=rows,
                cursor=page.cursor,
                complete=page.done,
            )
            await store.commit_page(commit)
            values = []
            digests = {row.key: row.meta_hash or "" for row in rows}
            for target in job.targets:
                capabilities = client_class(target.vendor).capabilities
                policy = target_policy(target, capabilities)
                salt = target_salt(target, capabilities)
                for record in records:
                    planned = plan_item(map_record(record, target.mapping), None, policy)
                    if planned.action is not Action.CREATE:
                        continue
                    link = LinkRow(
                        job=job.name,
                        target=target.name,
                        key=record.key,
                        target_id=f"bench-{record.key}",
                        sha256=planned.record.sha256 if planned.record else record.sha256,
                        meta_hash=planned.meta_hash,
                        target_version=None,
                        origin="created",
                        basis=plan_basis(digests[record.key], salt),
                        pushed_json=pushed_json(planned.record) if planned.record else None,
                    )
                    values.append(convert.link_values(link, store.now()))
            async with store._write() as conn:
                await upsert(conn, links, values, ("job", "target", "key"))
            written += len(records)
        await store.mark_swept(job.name, job.source.vendor)
    except BaseException:
        await store.finish_run(run.id, "failed", {"populated": written})
        raise
    await store.finish_run(run.id, "succeeded", {"populated": written})
    return written


async def state_rows(store: Any, job: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The job's item and link rows, without run ids, timestamps and target-side ids (what
    a fast population cannot know), sorted: for comparing two states."""
    import sqlalchemy as sa

    from syncer.state.models import items, links

    async with store._db.connect() as conn:
        item_rows = await conn.execute(sa.select(items).where(items.c.job == job))
        got_items = sorted(
            (
                r.key,
                r.owner,
                r.version,
                r.sha256,
                r.size,
                r.mime,
                r.meta_hash,
                json.dumps(r.record, sort_keys=True),
                r.gone,
            )
            for r in item_rows
        )
        link_rows = await conn.execute(sa.select(links).where(links.c.job == job))
        got_links = sorted(
            (r.target, r.key, r.sha256, r.meta_hash, r.origin, r.basis, r.pushed_json)
            for r in link_rows
        )
    return got_items, got_links
