"""The example job files in jobs/ load as they are, and with real values from the environment."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from syncer.emulators import emulator_class
from syncer.emulators.server import serve
from syncer.http import open_session
from syncer.jobs import VENDOR_NAMES, Job, load_job
from syncer.jobs.vendors import Source, Target
from syncer.vendors import VENDORS, client_class
from syncer.vendors.moov.settings import MoovSettings
from syncer.vendors.partium.settings import PartiumSettings
from syncer.vendors.spiffy.settings import SpiffySettings

JOBS = Path(__file__).resolve().parents[2] / "jobs"
EXAMPLES = (
    "partium-to-spiffy",
    "spiffy-to-moov-and-partium",
    "beproduct-to-partium",
    "moov-to-beproduct",
    "demo",
)
EMULATOR_PORTS = {vendor: emulator_class(vendor).default_port for vendor in sorted(VENDORS)}


def _variables(path: Path) -> set[str]:
    return set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", path.read_text(encoding="utf-8")))


def _endpoints(job: Job) -> list[Source | Target]:
    return [job.source, *job.targets]


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_works_out_of_the_box_against_the_emulators(name: str) -> None:
    job = load_job(JOBS / f"{name}.toml", {})
    assert job.name == name
    for endpoint in _endpoints(job):
        settings = endpoint.settings()
        port = EMULATOR_PORTS[endpoint.vendor]
        assert settings.base_url == f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_takes_every_reference_from_the_environment(name: str) -> None:
    path = JOBS / f"{name}.toml"
    # A cron variable keeps its default (a dummy string is no cron); every other one is set.
    env = {var: f"dummy-{var.lower()}" for var in _variables(path) if not var.endswith("_CRON")}
    env.update(
        {var: f"https://{var.lower()}.example.com" for var in env if var.endswith("_URL")},
        SYNCER_STATE_URL="postgresql+asyncpg://syncer:pw@127.0.0.1/syncer",
    )
    job = load_job(path, env)
    shown = str(job.redacted())
    assert not [value for value in env.values() if value in shown]
    for endpoint in _endpoints(job):
        assert endpoint.settings().base_url.startswith("https://")


def test_examples_cover_the_pairs_named_in_the_issue() -> None:
    assert sorted(p.stem for p in JOBS.glob("*.toml")) == sorted(EXAMPLES)


def test_settings_are_the_vendor_clients_own() -> None:
    job = load_job(JOBS / "spiffy-to-moov-and-partium.toml", {"MOOV_SECRET_KEY": "sk"})
    assert isinstance(job.source.settings(), SpiffySettings)
    moov = job.target("moov").settings()
    assert isinstance(moov, MoovSettings)
    assert (moov.password, moov.concurrency, moov.requests_per_second) == ("sk", 8, 40.0)
    partium = job.target("catalog").settings()
    assert isinstance(partium, PartiumSettings)
    assert partium.id_prefix == "shop-"
    assert job.source.settings().owner_kinds == ("products", "standard_collections")


def test_job_vendors_match_the_registry() -> None:
    assert set(VENDOR_NAMES) == set(VENDORS)


@pytest.fixture
async def emulator_urls() -> AsyncIterator[dict[str, str]]:
    """The four emulators, seeded, on free ports: ``{"PARTIUM_URL": "http://...", ...}``."""
    async with AsyncExitStack() as stack:
        urls = {}
        for vendor in EMULATOR_PORTS:
            emulator = emulator_class(vendor)()
            emulator.seed(3)
            urls[f"{vendor.upper()}_URL"] = await stack.enter_async_context(serve(emulator))
        yield urls


@pytest.mark.parametrize("name", EXAMPLES)
async def test_example_credentials_are_the_emulators(
    name: str, emulator_urls: dict[str, str]
) -> None:
    job = load_job(JOBS / f"{name}.toml", emulator_urls)
    async with open_session() as session:
        for endpoint in _endpoints(job):
            client = client_class(endpoint.vendor)(endpoint.settings(), session)
            first = await anext(aiter(client.pages(None)))
            assert first.records, f"{name}: {endpoint.vendor} listed nothing"
