"""The scheduler's tick ledger (``syncer schedule``): what became of every cron tick of a job.

- ``ticks``: a job, the tick's scheduled time, its outcome (``ran``, ``overlap``, ``late``,
  ``missed``, ...), why, the run it started, which scheduler recorded it and when.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``ticks``."""
    op.create_table(
        "ticks",
        sa.Column("job", sa.Text, nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=True),
        sa.Column("executor", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job", "scheduled_at", name="pk_ticks"),
    )


def downgrade() -> None:
    op.drop_table("ticks")
