"""Ops found by item: the planner asks, for every listed page, which of its items still have an
op open on a target (planned or sent, so not to plan them twice), and a new plan of an item
supersedes the failed ops of that item (so ``syncer retry`` cannot push it twice).

- ``ix_ops_job_key_state``: ops by job, source key and state.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the index ``ix_ops_job_key_state``."""
    op.create_index("ix_ops_job_key_state", "ops", ["job", "key", "state"])


def downgrade() -> None:
    op.drop_index("ix_ops_job_key_state", table_name="ops")
