"""Record which process holds a run's lease, so that a rerun on the same host can take over at
once from a process that was killed (instead of waiting for its heartbeat to go stale).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``runs.holder`` (``host:pid``)."""
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("holder", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("holder")
