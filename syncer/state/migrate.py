"""Alembic, configured in code: the schema comes only from the migrations.

The migration scripts live inside the package (``syncer/state/migrations``), found next to
this module, so they ship with every kind of install (editable, wheel, the Docker image)
and no ``alembic.ini`` is needed. To write a new revision from a checkout::

    SYNCER_STATE_URL=sqlite+aiosqlite:///dev.db \\
        .venv/bin/python -m syncer.state revision -m "what changes" --autogenerate

which runs Alembic's own command line (any command: ``upgrade head``, ``check``, ``history``)
with this configuration.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection

from syncer.errors import StateError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration pointing at syncer's migrations, optionally bound to a connection.

    With a connection, ``env.py`` migrates through it (inside the caller's transaction)
    instead of opening its own engine.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None for an empty database."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection, where: str) -> None:
    """Bring the database behind ``connection`` to the newest revision; a no-op when it is there.

    Refuses a database written by a newer syncer (a revision this code does not know) rather
    than guessing at its schema. ``where`` names the database (password redacted) in errors.
    """
    current = current_revision(connection)
    scripts = ScriptDirectory.from_config(alembic_config())
    if current is not None:
        try:
            scripts.get_revision(current)
        except CommandError:
            raise StateError(
                f"state store {where} is at schema revision {current!r}, which this syncer does "
                f"not know (it knows up to {scripts.get_current_head()!r}): it was written by a "
                "newer syncer. Upgrade syncer, or point the job at another state URL."
            ) from None
    if current == scripts.get_current_head():
        return
    command.upgrade(alembic_config(connection), "head")


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - a developer tool
    """Run Alembic's command line against syncer's migrations (for authoring revisions)."""
    from alembic.config import CommandLine

    cli = CommandLine(prog="python -m syncer.state")
    options = cli.parser.parse_args(argv if argv is not None else sys.argv[1:])
    if not hasattr(options, "cmd"):
        cli.parser.error("too few arguments")
    config = alembic_config()
    config.cmd_opts = options
    cli.run_cmd(config, options)
