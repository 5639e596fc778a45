"""The target-facing metadata last pushed to each target item, so an owner change is seen.

- ``links.pushed_meta``: JSON of the metadata an op last pushed (``syncer.engine.plan.metadata_of``:
  owner, file name, alt, title, position, roles), written when the op is done. Empty for links
  written before: the planner then knows only that ``meta_hash`` differs, and fills it in as
  soon as the item is seen in step (its metadata hashes to the link's) or pushed again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``links.pushed_meta``."""
    json = sa.JSON().with_variant(JSONB(), "postgresql")
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("pushed_meta", json, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.drop_column("pushed_meta")
