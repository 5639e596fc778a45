"""What each target item was last brought in step with, so a listing that finds an item as it
was skips planning it.

- ``links.basis``: a digest of the source record and of the job's settings for the target
  (``syncer.engine.plan.plan_basis``); empty for links written before, which are planned in
  full once and then get it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``links.basis``."""
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("basis", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.drop_column("basis")
