"""Incremental syncs: which listing a cursor belongs to, when the source was last swept in full,
and which items the source itself reported deleted (tombstones).

- ``cursors.incremental``: the listing this cursor belongs to started from a watermark rather
  than from the beginning, so it cannot see deletions by absence.
- ``cursors.swept_at``: when a complete full listing of the source was last swept for deletes;
  ``schedule.full_every`` counts from here.
- ``items.tombstone``: the source listed the item as deleted (BeProduct ``showDeleted``), a
  direct delete signal that an incremental sync acts on without a full sweep.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``cursors.incremental``, ``cursors.swept_at`` and ``items.tombstone``."""
    with op.batch_alter_table("cursors") as batch:
        batch.add_column(
            sa.Column("incremental", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("swept_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("items") as batch:
        batch.add_column(
            sa.Column("tombstone", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_column("tombstone")
    with op.batch_alter_table("cursors") as batch:
        batch.drop_column("swept_at")
        batch.drop_column("incremental")
