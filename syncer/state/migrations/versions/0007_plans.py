"""Saved plans applied (``syncer apply``): each plan applies once, and a killed apply resumes.

- ``plans``: a plan's id, its job, the run that journalled its ops, ``applying`` or
  ``applied``, how many ops, when.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``plans``."""
    op.create_table(
        "plans",
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("job", sa.Text, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("ops", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_plans_run_id_runs"),
        sa.PrimaryKeyConstraint("plan_id", name="pk_plans"),
    )


def downgrade() -> None:
    op.drop_table("plans")
