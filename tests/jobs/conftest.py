"""Helpers for job-file tests: write a job into a temporary directory and load it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from syncer.jobs import Job, JobFileError, load_job

#: A small valid job (Partium -> Spiffy) that tests extend or break.
VALID = """
[source]
vendor = "partium"
base_url = "http://127.0.0.1:8103"
api_key = "demo"

[[targets]]
vendor = "spiffy"
base_url = "http://127.0.0.1:8104"
api_key = "demo"
password = "demo"

[targets.mapping]
default_owner = "products/100001"
"""

Loader = Callable[..., Job]
Failure = Callable[..., JobFileError]


@pytest.fixture
def load(tmp_path: Path) -> Loader:
    """Load TOML text written to ``tmp_path/<name>.toml`` with the given environment."""

    def _load(text: str, env: Mapping[str, str] | None = None, name: str = "job") -> Job:
        path = tmp_path / f"{name}.toml"
        path.write_text(text, encoding="utf-8")
        return load_job(path, env or {})

    return _load


@pytest.fixture
def fail(load: Loader) -> Failure:
    """The JobFileError that loading TOML text raises (the test fails if it loads)."""

    def _fail(text: str, env: Mapping[str, str] | None = None, name: str = "job") -> JobFileError:
        with pytest.raises(JobFileError) as caught:
            load(text, env, name)
        return caught.value

    return _fail
