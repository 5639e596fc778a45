"""The target-facing metadata last pushed to each target item, so an owner change is seen.

- ``links.pushed_meta``: JSON of the metadata an op last pushed (``syncer.engine.plan.metadata_of``:
  owner, file name, alt, title, position, roles), written when the op is done.
- Existing links get it from the journal: the newest done create, update or replace of the same
  item whose ``meta_hash`` is the link's pushed exactly that metadata. A link with no such op
  keeps it empty; the planner then knows only that the hash differs, as before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
#: ``plan.METADATA_FIELDS`` as of this revision (a migration never imports the engine).
FIELDS = ("owner", "filename", "alt", "title", "position", "roles")
#: Journal entries read per query while filling existing links.
PAGE = 1000

_links = sa.table(
    "links",
    sa.column("job"),
    sa.column("target"),
    sa.column("key"),
    sa.column("meta_hash"),
    sa.column("pushed_meta", JSON),
)
_ops = sa.table(
    "ops",
    sa.column("id"),
    sa.column("job"),
    sa.column("target"),
    sa.column("key"),
    sa.column("action"),
    sa.column("state"),
    sa.column("payload", JSON),
)


def upgrade() -> None:
    """Add ``links.pushed_meta`` and fill it for existing links from the journal."""
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("pushed_meta", JSON, nullable=True))
    _fill_from_journal(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.drop_column("pushed_meta")


def _fill_from_journal(conn: sa.Connection) -> None:
    """Newest ops first, a page at a time: each link still empty takes the metadata of the
    first done write whose ``meta_hash`` is its own (the one that wrote the link, or one that
    pushed the same metadata)."""
    same_item = sa.and_(
        _links.c.job == _ops.c.job,
        _links.c.target == _ops.c.target,
        _links.c.key == _ops.c.key,
    )
    query = (
        sa.select(_ops.c.id, _ops.c.job, _ops.c.target, _ops.c.key, _links.c.meta_hash)
        .add_columns(_ops.c.payload)
        .select_from(_ops.join(_links, same_item))
        .where(
            _ops.c.state == "done",
            _ops.c.action.in_(("create", "update", "replace")),
            _links.c.pushed_meta.is_(None),
        )
        .order_by(_ops.c.id.desc())
        .limit(PAGE)
    )
    before: int | None = None
    while True:
        page = query if before is None else query.where(_ops.c.id < before)
        rows = conn.execute(page).all()
        if not rows:
            return
        before = rows[-1].id
        filled: dict[tuple[str, str, str], dict[str, Any]] = {}
        for row in rows:
            meta = _metadata(row.payload, row.meta_hash)
            if meta is not None:
                filled.setdefault((row.job, row.target, row.key), meta)
        _store(conn, filled)


def _metadata(payload: Any, link_hash: str | None) -> dict[str, Any] | None:
    """The metadata the op pushed, when its hash is the link's (else None)."""
    if not isinstance(payload, dict) or link_hash is None:
        return None
    record = payload.get("record")
    if payload.get("meta_hash") != link_hash or not isinstance(record, dict):
        return None
    values = {name: record.get(name) for name in FIELDS}
    values["owner"] = str(record.get("owner") or "")
    values["filename"] = str(record.get("filename") or "")
    values["roles"] = sorted(record.get("roles") or [])
    return values


def _store(conn: sa.Connection, filled: dict[tuple[str, str, str], dict[str, Any]]) -> None:
    if not filled:
        return
    match = sa.and_(
        _links.c.job == sa.bindparam("b_job"),
        _links.c.target == sa.bindparam("b_target"),
        _links.c.key == sa.bindparam("b_key"),
        _links.c.pushed_meta.is_(None),
    )
    update = _links.update().where(match).values(pushed_meta=sa.bindparam("b_meta", type_=JSON))
    values = [
        {"b_job": job, "b_target": target, "b_key": key, "b_meta": meta}
        for (job, target, key), meta in filled.items()
    ]
    conn.execute(update, values)
