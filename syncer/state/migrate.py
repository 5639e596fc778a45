"""Alembic, configured in code, and imported only when a schema must change.

Opening a store at head reads its revision with plain SQL and the head from the migration
files; a new database is created from the models and stamped (:func:`create_at_head`); only
a database at an older revision is upgraded by Alembic.

The migration scripts live inside the package (``syncer/state/migrations``), found next to
this module, so they ship with every kind of install (editable, wheel, the Docker image)
and no ``alembic.ini`` is needed. To write a new revision from a checkout::

    SYNCER_STATE_URL=sqlite+aiosqlite:///dev.db \\
        .venv/bin/python -m syncer.state revision -m "what changes" --autogenerate

which runs Alembic's own command line (any command: ``upgrade head``, ``check``, ``history``)
with this configuration.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncer.errors import StateError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: Alembic's table of the revision a database is at.
VERSION_TABLE = "alembic_version"
_REVISION = re.compile(r"^(down_revision|revision)\b[^=]*=\s*(None|['\"]([^'\"]+)['\"])", re.M)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration pointing at syncer's migrations, optionally bound to a connection.

    With a connection, ``env.py`` migrates through it (inside the caller's transaction)
    instead of opening its own engine.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None for an empty database: read with plain SQL
    (Alembic, about 125 ms to import, is needed only to change the schema)."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    found = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
    versions = list(found)
    if len(versions) > 1:
        raise StateError(f"the state store is at several schema revisions at once: {versions}")
    return versions[0] if versions else None


@cache
def head_revision() -> str | None:
    """The newest revision of the package's migrations, read from their files' ``revision``
    and ``down_revision`` lines without Alembic; None when that reading is not sure of it
    (then Alembic decides). A test holds it equal to Alembic's own answer."""
    parents: dict[str, str | None] = {}
    for script in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        found = {name: value for name, _, value in _REVISION.findall(script.read_text())}
        if "revision" not in found or "down_revision" not in found:
            return None
        parents[found["revision"]] = found["down_revision"] or None
    heads = set(parents) - set(parents.values())
    return heads.pop() if len(heads) == 1 else None


def upgrade(connection: Connection, where: str, *, create_all: bool = True) -> None:
    """Bring the database behind ``connection`` to the newest revision; a no-op when it is there
    (found without importing Alembic). A database holding none of syncer's tables is created
    at head from the models (:func:`create_at_head`) unless ``create_all`` is False.

    Refuses a database written by a newer syncer (a revision this code does not know) rather
    than guessing at its schema. ``where`` names the database (password redacted) in errors.
    """
    current = current_revision(connection)
    head = head_revision()
    if current is not None and current == head:
        return
    if current is None and head is not None and create_all and _holds_none(connection):
        create_at_head(connection, head)
        return
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

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


def _holds_none(connection: Connection) -> bool:
    """Whether none of syncer's tables is in the database (other tables may be)."""
    from syncer.state.models import metadata

    return set(metadata.tables).isdisjoint(sa.inspect(connection).get_table_names())


def create_at_head(connection: Connection, head: str) -> None:
    """A new database, created from the models and stamped at ``head``: Alembic's documented
    recipe (``create_all``, then ``stamp head``), with the stamp written as Alembic writes it.
    About 50 ms on a new SQLite file against 200 for importing Alembic and replaying every
    migration; the schema is the same, as ``tests/state/test_migrations.py`` holds (the models
    against the migrations, and a database made here against one migrated)."""
    from syncer.state.models import metadata

    metadata.create_all(connection)
    version = sa.Table(
        VERSION_TABLE,
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )
    version.create(connection)
    connection.execute(version.insert().values(version_num=head))


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
