"""Fixtures of the scheduler tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.state.conftest import create_pg_database, drop_pg_database, skip_without_pg


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database of its own (async URL), dropped afterwards."""
    skip_without_pg()
    name, url = create_pg_database()
    yield url
    drop_pg_database(name)
