"""The state store's tables, as SQLAlchemy Core metadata.

These definitions describe the schema for queries and for the migration check. A new
database is created from them and stamped at the newest revision (Alembic's recipe); every
change to an existing one is an Alembic migration in ``migrations/versions`` (a test asserts
the two agree). Everything is keyed by ``job`` so one database holds many jobs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect

#: Constraint and index names are fixed so migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)

#: JSON everywhere, stored as JSONB on PostgreSQL.
Json = sa.JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite keeps no zone, so values are normalised to UTC on the way in and marked UTC on
    the way out; the engine then compares lease times without caring about the backend.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the state store; use UTC-aware values")
        aware = value.astimezone(UTC)
        return aware.replace(tzinfo=None) if dialect.name == "sqlite" else aware

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job", sa.Text, nullable=False),
    sa.Column("mode", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("heartbeat_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    sa.Column("counts", Json, nullable=False),
    sa.Column("holder", sa.String(300), nullable=True),  # host:pid of the lease holder
    sa.Index("ix_runs_job_id", "job", "id"),
    # The lease: at most one running run per job, enforced by the database itself.
    sa.Index(
        "uq_runs_job_running",
        "job",
        unique=True,
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    ),
)

cursors = sa.Table(
    "cursors",
    metadata,
    sa.Column("job", sa.Text, primary_key=True),
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("cursor", Json, nullable=False),
    sa.Column("complete", sa.Boolean, nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    # The listing started from a watermark: it cannot see deletions by absence.
    sa.Column("incremental", sa.Boolean, nullable=False, server_default=sa.false()),
    # When a complete full listing of the source was last swept (``full_every`` counts from it).
    sa.Column("swept_at", UtcDateTime, nullable=True),
)

items = sa.Table(
    "items",
    metadata,
    sa.Column("job", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("owner", sa.Text, nullable=True),
    sa.Column("version", sa.Text, nullable=True),
    sa.Column("sha256", sa.String(64), nullable=True),
    sa.Column("size", sa.BigInteger, nullable=True),
    sa.Column("mime", sa.Text, nullable=True),
    sa.Column("meta_hash", sa.Text, nullable=True),
    sa.Column("record", Json, nullable=False),
    sa.Column("last_seen_run", sa.Integer, nullable=True),
    sa.Column("gone", sa.Boolean, nullable=False),
    # The source listed the item as deleted (a tombstone): a direct delete signal.
    sa.Column("tombstone", sa.Boolean, nullable=False, server_default=sa.false()),
    # The sweep: live items of a job not seen by the latest complete listing.
    sa.Index("ix_items_job_gone_last_seen_run", "job", "gone", "last_seen_run"),
)

links = sa.Table(
    "links",
    metadata,
    sa.Column("job", sa.Text, primary_key=True),
    sa.Column("target", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("target_id", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=True),
    sa.Column("meta_hash", sa.Text, nullable=True),
    sa.Column("target_version", sa.Text, nullable=True),
    sa.Column("origin", sa.String(20), nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    # What the target item was last brought in step with (``LinkRow.basis``).
    sa.Column("basis", sa.Text, nullable=True),
    # The target-facing metadata last pushed, as JSON text (``LinkRow.pushed_json``).
    sa.Column("pushed_json", sa.Text, nullable=True),
)

ops = sa.Table(
    "ops",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job", sa.Text, nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("target_id", sa.Text, nullable=True),
    sa.Column("payload", Json, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index("ix_ops_job_state_id", "job", "state", "id"),
    sa.Index("ix_ops_run_id_state", "run_id", "state"),
    # Which of a page's items have an op open, or failed, on a target.
    sa.Index("ix_ops_job_key_state", "job", "key", "state"),
)

blobs = sa.Table(
    "blobs",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("mime", sa.Text, nullable=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

plans = sa.Table(
    "plans",
    metadata,
    # A saved plan's id (``syncer plan --out``): applied at most once, whoever applies it.
    sa.Column("plan_id", sa.String(64), primary_key=True),
    sa.Column("job", sa.Text, nullable=False),
    # The run that journalled the plan's ops (all of them, in one transaction).
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
    # ``applying`` while some of its ops are open; ``applied`` once none is.
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("ops", sa.Integer, nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime, nullable=True),
)

ticks = sa.Table(
    "ticks",
    metadata,
    # One row per cron tick of a scheduled job (``syncer schedule``): what became of it.
    sa.Column("job", sa.Text, primary_key=True),
    sa.Column("scheduled_at", UtcDateTime, primary_key=True),
    # ran, failed, overlap, late, missed, dst_repeat, stopping, unknown_job
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("run_id", sa.Integer, nullable=True),
    # The scheduler process (DBOS executor id) that recorded it.
    sa.Column("executor", sa.Text, nullable=False),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
)
