"""What docker-compose.yml relies on in jobs/: each scheduled job reads its cron from
``<JOB>_CRON`` (its own schedule the default) and its state from ``SYNCER_STATE_URL``, and a bad
cron from the environment fails validation as a bad one in the file does."""

from __future__ import annotations

import pytest

from syncer.jobs import load_job
from syncer.jobs.load import JobFileError
from tests.deploy.compose import JOBS

#: Each scheduled job and its own cron (what it runs on when ``<JOB>_CRON`` is unset or empty;
#: None: on demand, since scheduled with the others it would feed them back in a circle).
CRONS = {
    "beproduct-to-partium": "30 2 * * *",
    "moov-to-beproduct": "0 */6 * * *",
    "partium-to-spiffy": "*/15 * * * *",
    "spiffy-to-moov-and-partium": None,
}
SCHEDULED = tuple(CRONS)
PG = "postgresql+asyncpg://postgres:pw@postgres:5432/syncer"


def variable(name: str) -> str:
    return name.upper().replace("-", "_") + "_CRON"


@pytest.mark.parametrize("name", SCHEDULED)
def test_a_scheduled_job_takes_its_cron_and_state_from_the_environment(name: str) -> None:
    path = JOBS / f"{name}.toml"
    default = load_job(path, {})
    assert default.schedule.cron == CRONS[name], "the file's own cron is the default"
    assert default.state == "sqlite+aiosqlite:///.syncer/state.db"
    job = load_job(path, {variable(name): "*/3 * * * * *", "SYNCER_STATE_URL": PG})
    assert job.schedule.cron == "*/3 * * * * *"
    assert job.state == PG
    assert load_job(path, {variable(name): ""}).schedule.cron == CRONS[name]


@pytest.mark.parametrize("name", SCHEDULED)
def test_a_bad_cron_from_the_environment_is_refused(name: str) -> None:
    with pytest.raises(JobFileError, match=rf"schedule\.cron: \$\{{{variable(name)}\}}"):
        load_job(JOBS / f"{name}.toml", {variable(name): "every day"})


def test_every_job_file_with_a_cron_is_listed_here() -> None:
    crons = {path.stem for path in JOBS.glob("*.toml") if "_CRON:-" in path.read_text()}
    assert crons == set(SCHEDULED)
    assert load_job(JOBS / "demo.toml", {}).schedule.cron is None, "demo stays on demand"
