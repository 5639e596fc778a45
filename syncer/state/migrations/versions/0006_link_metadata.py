"""The target-facing metadata last pushed to each target item, so an owner change is seen.

- ``links.pushed_json``: the metadata an op last pushed (``syncer.engine.plan.metadata_of``:
  owner, file name, alt, title, position, roles) as JSON text, written when the op is done.
  Text, not a JSON column: it is decoded only for links being planned, so a no-change sync
  reads it without paying for decoding it.
- Existing links get it from the journal: the newest done create, update or replace of the same
  item whose ``meta_hash`` is the link's pushed exactly that metadata. A link with no such op
  keeps it empty; the planner then knows only that the hash differs, as before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: ``plan.METADATA_FIELDS`` as of this revision (a migration never imports the engine).
FIELDS = ("owner", "filename", "alt", "title", "position", "roles")
#: ``plan.MAX_PUSHED_META`` as of this revision.
MAX_TEXT = 8192
#: Journal entries read per query while filling existing links.
PAGE = 1000

_links = sa.table(
    "links",
    sa.column("job"),
    sa.column("target"),
    sa.column("key"),
    sa.column("meta_hash"),
    sa.column("pushed_json"),
)
_ops = sa.table(
    "ops",
    sa.column("id"),
    sa.column("job"),
    sa.column("target"),
    sa.column("key"),
    sa.column("action"),
    sa.column("state"),
    sa.column("payload", sa.JSON().with_variant(JSONB(), "postgresql")),
)


def upgrade() -> None:
    """Add ``links.pushed_json`` and fill it for existing links from the journal."""
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("pushed_json", sa.Text, nullable=True))
    _fill_from_journal(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.drop_column("pushed_json")


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
            _links.c.pushed_json.is_(None),
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
        filled: dict[tuple[str, str, str], str] = {}
        for row in rows:
            text = _metadata_text(row.payload, row.meta_hash)
            if text is not None:
                filled.setdefault((row.job, row.target, row.key), text)
        _store(conn, filled)


def _metadata_text(payload: Any, link_hash: str | None) -> str | None:
    """The metadata the op pushed, as the engine writes it, when its hash is the link's."""
    if not isinstance(payload, dict) or link_hash is None:
        return None
    record = payload.get("record")
    if payload.get("meta_hash") != link_hash or not isinstance(record, dict):
        return None
    values = {name: record.get(name) for name in FIELDS}
    values["owner"] = str(record.get("owner") or "")
    values["filename"] = str(record.get("filename") or "")
    values["roles"] = sorted(record.get("roles") or [])
    text = json.dumps(values, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= MAX_TEXT else None


def _store(conn: sa.Connection, filled: dict[tuple[str, str, str], str]) -> None:
    if not filled:
        return
    match = sa.and_(
        _links.c.job == sa.bindparam("b_job"),
        _links.c.target == sa.bindparam("b_target"),
        _links.c.key == sa.bindparam("b_key"),
        _links.c.pushed_json.is_(None),
    )
    update = _links.update().where(match).values(pushed_json=sa.bindparam("b_text"))
    values = [
        {"b_job": job, "b_target": target, "b_key": key, "b_text": text}
        for (job, target, key), text in filled.items()
    ]
    conn.execute(update, values)
