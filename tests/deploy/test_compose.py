"""docker-compose.yml, checked without a Docker engine: every syncer command is a valid invocation
of the real CLI, every file it names exists here, ports are published on loopback only, and the
stop, health and start-order settings fit what the scheduler documents."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from tests.deploy.compose import (
    JOBS,
    ROOT,
    job_variables,
    load,
    parse,
    seconds,
    syncer_services,
)

EMULATORS = ("beproduct", "moov", "partium", "spiffy")
#: The environments the file is read in: nothing set, and SYNCER_METRICS_PORT set empty (for
#: ``--scale scheduler=N``: a free loopback port per scheduler).
ENVIRONMENTS = [{}, {"SYNCER_METRICS_PORT": ""}, {"POSTGRES_PASSWORD": "s3cret"}]


def published(entry: str) -> tuple[str, str, str]:
    """A short-syntax port (``[IP:][HOST:]CONTAINER``): its host IP, host port, container port."""
    parts = str(entry).rsplit(":", 2)
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    return "", parts[0] if len(parts) == 2 else "", parts[-1]


def working_dir() -> str:
    """The image's last WORKDIR (where relative paths of a syncer command resolve)."""
    lines = re.findall(r"^WORKDIR\s+(\S+)", (ROOT / "Dockerfile").read_text(), re.M)
    assert lines, "the Dockerfile sets no WORKDIR"
    return str(lines[-1])


def mounts(spec: dict[str, Any]) -> dict[str, str]:
    """A service's volumes: container path -> source (a named volume, or a ./ path here)."""
    found: dict[str, str] = {}
    for entry in spec.get("volumes", []):
        source, target = str(entry).split(":")[:2]
        found[target] = source
    return found


def test_every_syncer_service_runs_a_valid_syncer_command() -> None:
    services = syncer_services(load())
    assert set(services) == {*EMULATORS, "scheduler"}
    for name, spec in services.items():
        invocation = parse(spec["command"])
        expected = "schedule" if name == "scheduler" else "emulate"
        assert invocation.name == expected, name
    for vendor in EMULATORS:
        params = parse(services[vendor]["command"]).params
        assert params["vendor"] == vendor
        assert params["host"] == "0.0.0.0", f"{vendor} must bind 0.0.0.0 inside its container"
        assert str(params["data_dir"]) == "/data", f"{vendor} persists nothing"
        assert mounts(services[vendor])["/data"] == f"{vendor}-data"


def test_the_scheduler_runs_jobs_on_the_shared_postgresql() -> None:
    for env in ENVIRONMENTS:
        spec = load(env)["services"]["scheduler"]
        params = parse(spec["command"]).params
        password = env.get("POSTGRES_PASSWORD", "syncer")
        url = f"postgresql+asyncpg://postgres:{password}@postgres:5432/syncer"
        assert params["state_url"] == url
        assert spec["environment"]["SYNCER_STATE_URL"] == url, "the jobs share the state"
        assert params["metrics_address"] == "0.0.0.0:9464"
        assert params["log_format"] == "json"
        assert "hostname" not in spec, "each scheduler's host name is its executor id"


def test_every_file_a_command_or_volume_names_exists_here() -> None:
    document = load()
    workdir = working_dir()
    for name, spec in syncer_services(document).items():
        assert (ROOT / spec["build"] / "Dockerfile").is_file(), name
        for target, source in mounts(spec).items():
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which is not here"
                assert target.startswith(workdir + "/"), f"{target} is outside {workdir}"
            else:
                assert source in document["volumes"], f"{name}: volume {source} is not declared"
    spec = document["services"]["scheduler"]
    directory = str(parse(spec["command"]).params["directory"])
    assert mounts(spec)[f"{workdir}/{directory}"] == "./jobs"
    assert sorted(JOBS.glob("*.toml")), "jobs/ holds no job file"
    assert mounts(spec)[f"{workdir}/.syncer"] == "syncer-data", "the .syncer directory is lost"


def test_the_dockerfile_builds_what_compose_runs() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r'^ENTRYPOINT \["syncer"\]$', text, re.M)
    assert 'pip install ".[postgres]"' in text, "asyncpg is needed for a PostgreSQL state"
    for source in re.findall(r"^COPY (?:--\S+ )*(.+) \S+$", text, re.M):
        for path in source.split():
            assert (ROOT / path).exists(), f"the Dockerfile copies {path}, which is not here"


def test_ports_are_published_on_loopback_only() -> None:
    for env in ENVIRONMENTS:
        services = load(env)["services"]
        for name, spec in services.items():
            for entry in spec.get("ports", []):
                ip, _, _ = published(entry)
                assert ip == "127.0.0.1", f"{name} publishes {entry} beyond loopback"
        for vendor in EMULATORS:
            port = parse(services[vendor]["command"]).params["port"]
            assert [published(p)[2] for p in services[vendor]["ports"]] == [str(port)]
    scheduler = load()["services"]["scheduler"]
    assert published(scheduler["ports"][0]) == ("127.0.0.1", "9464", "9464")
    scaled = load({"SYNCER_METRICS_PORT": ""})["services"]["scheduler"]
    assert published(scaled["ports"][0]) == ("127.0.0.1", "", "9464")


def test_init_health_checks_and_start_order() -> None:
    services = load()["services"]
    for name, spec in syncer_services(load()).items():
        assert spec.get("init") is True, f"{name}: signals must reach syncer through an init"
    for name, spec in services.items():
        assert spec.get("healthcheck", {}).get("test"), f"{name} has no health check"
    for vendor in EMULATORS:
        port = parse(services[vendor]["command"]).params["port"]
        assert f"http://127.0.0.1:{port}/_emulator" in " ".join(
            services[vendor]["healthcheck"]["test"]
        )
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    depends = services["scheduler"]["depends_on"]
    assert set(depends) == {"postgres", *EMULATORS}
    assert all(d == {"condition": "service_healthy"} for d in depends.values())


def test_the_stop_grace_period_outlasts_the_schedulers_drain() -> None:
    spec = load()["services"]["scheduler"]
    params = parse(spec["command"]).params
    bound = params["drain_timeout"] + params["stop_grace"] + 15
    assert seconds(spec["stop_grace_period"]) > bound


def test_the_scheduler_health_check_asks_its_own_metrics_address() -> None:
    spec = load()["services"]["scheduler"]
    test = spec["healthcheck"]["test"]
    assert test[:3] == ["CMD", "syncer", "healthcheck"]
    assert test[test.index("--url") + 1] == "http://127.0.0.1:9464/readyz"
    assert parse(test[2:]).name == "healthcheck"


def test_the_job_files_reach_the_emulator_services() -> None:
    services = load()["services"]
    environment = services["scheduler"]["environment"]
    read = job_variables()
    for vendor in EMULATORS:
        variable = f"{vendor.upper()}_URL"
        assert variable in read, f"no job file reads {variable}"
        url = urlsplit(environment[variable])
        port = parse(services[vendor]["command"]).params["port"]
        assert (url.hostname, url.port) == (vendor, port), variable
    assert "SYNCER_STATE_URL" in read
    crons = {name for name in read if name.endswith("_CRON")}
    assert len(crons) == 4, crons
    for name in crons:
        assert name in environment, f"{name} is not passed to the scheduler"
        assert environment[name] is None, f"{name}: pass it through, the job file has the default"
