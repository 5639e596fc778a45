"""Runs and the per-job lease."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from syncer.errors import StateError
from syncer.state import ItemRow, PageCommit, StateStore

from .conftest import LEASE, Clock


async def test_start_run_records_a_running_run(store: StateStore, clock: Clock) -> None:
    run = await store.start_run("shop", "migrate")
    assert (run.job, run.mode, run.status, run.finished_at) == ("shop", "migrate", "running", None)
    assert run.started_at == clock.now.isoformat()
    assert await store.runs() == [run]


async def test_a_second_run_of_a_running_job_is_refused(store: StateStore) -> None:
    first = await store.start_run("shop", "sync")
    with pytest.raises(StateError, match=rf"job shop is already running \(run {first.id} since "):
        await store.start_run("shop", "sync")
    other = await store.start_run("other", "sync")  # other jobs are independent
    assert other.status == "running"


async def test_heartbeat_keeps_the_lease(store: StateStore, clock: Clock) -> None:
    run = await store.start_run("shop", "sync")
    clock.advance(LEASE * 0.9)
    await store.heartbeat(run.id)
    clock.advance(LEASE * 0.9)
    with pytest.raises(StateError, match="already running"):
        await store.start_run("shop", "sync")


async def test_a_stale_lease_is_taken_over_and_the_old_run_interrupted(
    store: StateStore, clock: Clock
) -> None:
    dead = await store.start_run("shop", "sync")
    clock.advance(LEASE + 1)
    new = await store.start_run("shop", "sync")
    statuses = {r.id: r.status for r in await store.runs("shop")}
    assert statuses == {dead.id: "interrupted", new.id: "running"}


async def test_the_lease_of_a_killed_process_on_this_host_is_taken_over_at_once(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket
    import subprocess

    import syncer.state.runs as runs_module

    gone = subprocess.Popen(["true"])  # noqa: ASYNC220 - a process that has exited by now
    gone.wait()
    monkeypatch.setattr(runs_module, "_this_process", lambda: f"{socket.gethostname()}:{gone.pid}")
    killed = await store.start_run("shop", "sync")
    monkeypatch.undo()
    new = await store.start_run("shop", "sync")  # no waiting for the heartbeat to go stale
    statuses = {r.id: r.status for r in await store.runs("shop")}
    assert statuses == {killed.id: "interrupted", new.id: "running"}


async def test_a_run_that_lost_its_lease_cannot_write(store: StateStore, clock: Clock) -> None:
    dead = await store.start_run("shop", "sync")
    clock.advance(LEASE + 1)
    await store.start_run("shop", "sync")
    item = ItemRow("shop", "k", None, None, None, None, None, None, {})
    with pytest.raises(StateError, match=f"run {dead.id} of job shop is no longer running"):
        await store.heartbeat(dead.id)
    with pytest.raises(StateError, match="no longer running"):
        await store.commit_page(PageCommit(dead.id, "shop", "src", [item], cursor={"p": 1}))
    with pytest.raises(StateError, match="no longer running"):
        await store.finish_run(dead.id, "succeeded", {})
    assert await store.items("shop", ["k"]) == {}
    assert await store.cursor("shop", "src") is None


async def test_finish_run_records_the_outcome_and_frees_the_lease(
    store: StateStore, clock: Clock
) -> None:
    run = await store.start_run("shop", "sync")
    clock.advance(5)
    done = await store.finish_run(run.id, "partial", {"created": 3, "failed": 1})
    assert (done.status, done.counts, done.finished_at) == (
        "partial",
        {"created": 3, "failed": 1},
        clock.now.isoformat(),
    )
    again = await store.start_run("shop", "sync")
    assert again.id != run.id
    with pytest.raises(StateError, match="no longer running"):
        await store.finish_run(run.id, "succeeded", {})


async def test_finish_run_refuses_a_status_that_is_not_final(store: StateStore) -> None:
    run = await store.start_run("shop", "sync")
    with pytest.raises(ValueError, match="'running' is not one of"):
        await store.finish_run(run.id, "running", {})


async def test_unknown_run_is_reported(store: StateStore) -> None:
    with pytest.raises(StateError, match="run 999 does not exist"):
        await store.heartbeat(999)


async def test_runs_lists_newest_first_by_job_with_a_limit(store: StateStore) -> None:
    ids = []
    for job in ("a", "b", "a", "a"):
        run = await store.start_run(job, "sync")
        await store.finish_run(run.id, "succeeded", {})
        ids.append(run.id)
    assert [r.id for r in await store.runs()] == ids[::-1]
    assert [r.id for r in await store.runs("a", limit=2)] == [ids[3], ids[2]]
    assert [r.job for r in await store.runs("b")] == ["b"]


async def test_two_processes_racing_for_a_job_get_one_lease(url: str, clock: Clock) -> None:
    async with (
        StateStore.open(url, lease_seconds=LEASE, clock=clock) as one,
        StateStore.open(url, lease_seconds=LEASE, clock=clock) as two,
    ):
        outcomes = await asyncio.gather(
            *(s.start_run("shop", "sync") for s in (one, two, one, two)), return_exceptions=True
        )
    started = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, StateError)]
    assert (len(started), len(refused)) == (1, 3)
    assert all("already running" in str(e) for e in refused)


async def test_the_database_enforces_one_running_run_per_job(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import syncer.state.runs as runs_module

    first = await store.start_run("shop", "sync")
    real_running = runs_module._running
    calls = []

    async def blind_once(conn: Any, job: str) -> Any:
        calls.append(job)
        return None if len(calls) == 1 else await real_running(conn, job)

    monkeypatch.setattr(runs_module, "_running", blind_once)
    with pytest.raises(StateError, match=rf"job shop is already running \(run {first.id} since"):
        await store.start_run("shop", "sync")  # the check misses it, as in a race
    assert [r.id for r in await store.runs("shop")] == [first.id]
