"""Database rows to the store's dataclasses and back."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa

from syncer.state.rows import (
    Action,
    BlobRow,
    CursorRow,
    ItemRow,
    LinkRow,
    NewOp,
    OpRow,
    OpState,
    RunRow,
)

Row = sa.Row[Any]


def iso(moment: datetime) -> str:
    """An aware timestamp as ISO 8601 (UTC, as stored)."""
    return moment.isoformat()


def run_row(row: Row) -> RunRow:
    return RunRow(
        id=row.id,
        job=row.job,
        mode=row.mode,
        status=row.status,
        started_at=iso(row.started_at),
        finished_at=iso(row.finished_at) if row.finished_at else None,
        counts=dict(row.counts),
        heartbeat_at=iso(row.heartbeat_at),
    )


def cursor_row(row: Row) -> CursorRow:
    return CursorRow(
        job=row.job,
        source=row.source,
        cursor=dict(row.cursor),
        complete=bool(row.complete),
        run_id=row.run_id,
        updated_at=iso(row.updated_at),
        incremental=bool(row.incremental),
        swept_at=iso(row.swept_at) if row.swept_at else None,
    )


def item_values(item: ItemRow, run_id: int) -> dict[str, Any]:
    """Columns for an item seen by ``run_id``: seen again means live again (and no tombstone)."""
    return {
        "job": item.job,
        "key": item.key,
        "owner": item.owner,
        "version": item.version,
        "sha256": item.sha256,
        "size": item.size,
        "mime": item.mime,
        "meta_hash": item.meta_hash,
        "record": item.record,
        "last_seen_run": run_id,
        "gone": False,
        "tombstone": False,
    }


def link_values(link: LinkRow, now: datetime) -> dict[str, Any]:
    return {
        "job": link.job,
        "target": link.target,
        "key": link.key,
        "target_id": link.target_id,
        "sha256": link.sha256,
        "meta_hash": link.meta_hash,
        "target_version": link.target_version,
        "origin": link.origin,
        "basis": link.basis,
        "pushed_json": link.pushed_json,
        "updated_at": now,
    }


def op_values(op: NewOp, job: str, run_id: int, now: datetime) -> dict[str, Any]:
    """Columns for a newly planned op."""
    return {
        "job": job,
        "run_id": run_id,
        "target": op.target,
        "key": op.key,
        "action": op.action,
        "state": "planned",
        "target_id": op.target_id,
        "payload": op.payload,
        "attempts": 0,
        "error": None,
        "updated_at": now,
    }


def op_row(row: Row) -> OpRow:
    return OpRow(
        id=row.id,
        job=row.job,
        run_id=row.run_id,
        target=row.target,
        key=row.key,
        action=cast(Action, row.action),
        state=cast(OpState, row.state),
        target_id=row.target_id,
        payload=dict(row.payload),
        attempts=row.attempts,
        error=row.error,
        updated_at=iso(row.updated_at),
    )


def blob_row(row: Row) -> BlobRow:
    return BlobRow(sha256=row.sha256, size=row.size, mime=row.mime, path=row.path)
