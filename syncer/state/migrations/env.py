"""Alembic environment for the state store (async template).

``StateStore.open`` passes a live connection in ``config.attributes["connection"]`` and the
migrations run inside its transaction. Run standalone (``python -m syncer.state``),
it opens its own async engine from ``sqlalchemy.url`` or ``SYNCER_STATE_URL``.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

from syncer.state.models import metadata

config = context.config


def configure(connection: Connection | None = None, url: str | None = None) -> None:
    """Common settings: batch mode so SQLite can alter tables, types compared."""
    context.configure(
        connection=connection,
        url=url,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        literal_binds=connection is None,
    )


def run_migrations_offline() -> None:
    """Emit SQL for ``--sql`` runs."""
    configure(url=config.get_main_option("sqlalchemy.url") or os.environ.get("SYNCER_STATE_URL"))
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    """Migrate through a synchronous connection (the given one, or ours)."""
    configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    """Open an async engine from the configuration and migrate through it."""
    section = config.get_section(config.config_ini_section, {})
    section.setdefault("sqlalchemy.url", os.environ.get("SYNCER_STATE_URL", ""))
    engine = async_engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


def run_migrations_online() -> None:
    """Use the caller's connection when there is one; otherwise an engine of our own."""
    connection = config.attributes.get("connection")
    if connection is None:
        asyncio.run(run_async_migrations())
    else:
        do_run_migrations(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
