"""``kill -9`` of the syncer process at several moments, then a rerun: the target ends equal to
the source, with nothing duplicated and nothing lost."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from syncer.emulators.base import VendorEmulator
from syncer.emulators.faults import FaultConfig
from syncer.emulators.partium.emulator import PartiumEmulator
from syncer.emulators.server import serve_in_thread
from syncer.emulators.spiffy.emulator import SpiffyEmulator
from tests.engine.rigs import count, finish, kill_when, start

JOB = """
[source]
vendor = "partium"
base_url = "${PARTIUM_URL}"
api_key = "demo"
page_size = 5

[[targets]]
name = "shop"
vendor = "spiffy"
base_url = "${SPIFFY_URL}"
api_key = "demo"
password = "demo"
concurrency = 2

[targets.delete]
enabled = true

[targets.mapping]
default_owner = "products/100001"
"""


Moment = Callable[[PartiumEmulator, SpiffyEmulator], bool]
MOMENTS: dict[str, Moment] = {
    # the listing has committed a page or two, not all
    "during-listing": lambda p, s: count(p, "POST", "/images/list") >= 2,
    # creates are in flight: some ops journalled as sent, not done
    "between-sent-and-done": lambda p, s: count(s, "POST", "/images.json") >= 3,
}


@pytest.fixture
def emulators() -> Iterator[tuple[PartiumEmulator, SpiffyEmulator, dict[str, str]]]:
    partium, spiffy = PartiumEmulator(), SpiffyEmulator()
    partium.seed(24, 2, seed_value=5)
    spiffy.seed(0, 1)
    with serve_in_thread(partium) as p_url, serve_in_thread(spiffy) as s_url:
        yield partium, spiffy, {"PARTIUM_URL": p_url, "SPIFFY_URL": s_url}


def live_shas(emulator: VendorEmulator) -> list[str]:
    return sorted(i.sha256 for i in emulator.store.iter_images() if not i.deleted)


@pytest.mark.parametrize("moment", sorted(MOMENTS))
def test_a_killed_migration_resumes_without_duplicates(
    moment: str,
    tmp_path: Path,
    emulators: tuple[PartiumEmulator, SpiffyEmulator, dict[str, str]],
) -> None:
    partium, spiffy, env = emulators
    job = tmp_path / "job.toml"
    job.write_text(JOB)
    slow = FaultConfig(latency_ms=60, jitter_ms=20)
    partium.faults.configure(slow)
    spiffy.faults.configure(slow)
    kill_when(start(job, tmp_path, env), lambda: MOMENTS[moment](partium, spiffy))
    assert len(live_shas(spiffy)) < 24  # it was stopped part way

    partium.faults.configure(FaultConfig())
    spiffy.faults.configure(FaultConfig())
    rerun = start(job, tmp_path, env)
    assert rerun.wait(timeout=120) == 0
    assert live_shas(spiffy) == live_shas(partium)  # nothing lost, nothing duplicated


def test_a_kill_during_deletes_then_a_rerun_finishes_them(
    tmp_path: Path,
    emulators: tuple[PartiumEmulator, SpiffyEmulator, dict[str, str]],
) -> None:
    partium, spiffy, env = emulators
    job = tmp_path / "job.toml"
    job.write_text(JOB)
    assert start(job, tmp_path, env).wait(timeout=120) == 0
    for image in list(partium.store.iter_images())[:2]:  # within the 10% guard of 24
        partium.admin_delete(image)
    spiffy.faults.configure(FaultConfig(latency_ms=400))
    before = count(spiffy, "DELETE", "/images/")
    kill_when(
        start(job, tmp_path, env),
        lambda: (
            count(spiffy, "DELETE", "/images/") > before
            or any(m == "DELETE" for (m, _, s) in spiffy.requests if s == 0)
        ),
    )
    spiffy.faults.configure(FaultConfig())
    assert start(job, tmp_path, env).wait(timeout=120) == 0
    assert live_shas(spiffy) == live_shas(partium)


BATCHING_JOB = """
[source]
vendor = "partium"
base_url = "${PARTIUM_URL}"
api_key = "demo"
page_size = 10

[[targets]]
name = "parts"
vendor = "partium"
base_url = "${TARGET_URL}"
api_key = "demo"
concurrency = 2
batch_size = 4

[targets.mapping]
default_owner = "part-0001"
"""


def test_a_kill_while_batches_are_in_flight_then_a_rerun_finishes_them(tmp_path: Path) -> None:
    source, target = PartiumEmulator(), PartiumEmulator()
    source.seed(24, 2, seed_value=6)
    target.seed(0, 1)
    with serve_in_thread(source) as s_url, serve_in_thread(target) as t_url:
        env = {"PARTIUM_URL": s_url, "TARGET_URL": t_url}
        job = tmp_path / "job.toml"
        job.write_text(BATCHING_JOB)
        target.faults.configure(FaultConfig(latency_ms=300, jitter_ms=50))
        kill_when(
            start(job, tmp_path, env), lambda: count(target, "POST", "/1/catalog/images") >= 1
        )
        assert len(live_shas(target)) < 24  # it was stopped part way
        target.faults.configure(FaultConfig())
        assert start(job, tmp_path, env).wait(timeout=120) == 0
        assert live_shas(target) == live_shas(source)
        assert len(list(target.store.iter_images())) == 24  # nothing twice


def test_a_killed_apply_resumes_and_applies_its_plan_once(
    tmp_path: Path,
    emulators: tuple[PartiumEmulator, SpiffyEmulator, dict[str, str]],
) -> None:
    partium, spiffy, env = emulators
    job = tmp_path / "job.toml"
    job.write_text(JOB)
    plan = tmp_path / "plan.json"
    code, output = finish(start(job, tmp_path, env, "--out", str(plan), command="plan"))
    assert code == 0, output
    assert live_shas(spiffy) == []  # the plan wrote nothing
    spiffy.faults.configure(FaultConfig(latency_ms=60, jitter_ms=20))
    kill_when(
        start(plan, tmp_path, env, command="apply"),
        lambda: count(spiffy, "POST", "/images.json") >= 3,
    )
    assert 0 < len(live_shas(spiffy)) < 24  # killed part way
    spiffy.faults.configure(FaultConfig())
    code, output = finish(start(plan, tmp_path, env, command="apply"))
    assert code == 0, output
    assert "resumed the" in output
    assert live_shas(spiffy) == live_shas(partium)  # nothing lost, nothing duplicated
    code, output = finish(start(plan, tmp_path, env, command="apply"))
    assert code == 6
    assert "applied already" in output
