"""The initial state schema: runs, cursors, items, links, ops, blobs.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Self-contained on purpose (no import of ``syncer.state.models``): a migration describes the
schema as it was at this revision, whatever the models say later.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)
RUNNING = sa.text("status = 'running'")


def upgrade() -> None:
    """Create every table and the hot-path indexes."""
    create_runs()
    create_cursors()
    create_items()
    create_links()
    create_ops()
    create_blobs()


def create_runs() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job", sa.Text, nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("heartbeat_at", TIME, nullable=False),
        sa.Column("finished_at", TIME, nullable=True),
        sa.Column("counts", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_job_id", "runs", ["job", "id"])
    op.create_index(
        "uq_runs_job_running",
        "runs",
        ["job"],
        unique=True,
        sqlite_where=RUNNING,
        postgresql_where=RUNNING,
    )


def create_cursors() -> None:
    op.create_table(
        "cursors",
        sa.Column("job", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("cursor", JSON, nullable=False),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("job", "source", name="pk_cursors"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_cursors_run_id_runs"),
    )


def create_items() -> None:
    op.create_table(
        "items",
        sa.Column("job", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("owner", sa.Text, nullable=True),
        sa.Column("version", sa.Text, nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("size", sa.BigInteger, nullable=True),
        sa.Column("mime", sa.Text, nullable=True),
        sa.Column("meta_hash", sa.Text, nullable=True),
        sa.Column("record", JSON, nullable=False),
        sa.Column("last_seen_run", sa.Integer, nullable=True),
        sa.Column("gone", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("job", "key", name="pk_items"),
    )
    op.create_index("ix_items_job_gone_last_seen_run", "items", ["job", "gone", "last_seen_run"])


def create_links() -> None:
    op.create_table(
        "links",
        sa.Column("job", sa.Text, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("target_id", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("meta_hash", sa.Text, nullable=True),
        sa.Column("target_version", sa.Text, nullable=True),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("job", "target", "key", name="pk_links"),
    )


def create_ops() -> None:
    op.create_table(
        "ops",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job", sa.Text, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("target_id", sa.Text, nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ops"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_ops_run_id_runs"),
    )
    op.create_index("ix_ops_job_state_id", "ops", ["job", "state", "id"])
    op.create_index("ix_ops_run_id_state", "ops", ["run_id", "state"])


def create_blobs() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("mime", sa.Text, nullable=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_blobs"),
    )


def downgrade() -> None:
    """Drop everything (loses all state: only for development)."""
    for table in ("ops", "links", "items", "cursors", "blobs", "runs"):
        op.drop_table(table)
