"""Placeholder: replaced by the health and metrics endpoint (in progress)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


@asynccontextmanager
async def serving(address: str, scheduler: Any, metrics: Any) -> AsyncIterator[str]:
    yield address
