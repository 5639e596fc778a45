"""Typed operations: one type per action, made from the planner's entries and the journal's rows.

The journal keeps an op's payload as JSON (``OpRow.payload``); this module is the only place that
writes or reads it, so its shape is decided once: :class:`Payload` (the record as the target
should hold it, and how its bytes are to be prepared). An op read back from the journal becomes
one of :class:`Create`, :class:`Update`, :class:`Replace`, :class:`Move` or :class:`Delete`, and
every action that addresses an existing target item has a ``target_id`` that is a ``str``, never
None: a row that lacks one is refused here (:class:`BadOpError`), not half-applied by a pusher.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from syncer.engine.plan import Action, Planned
from syncer.engine.records_json import record_from_json, record_to_json
from syncer.errors import StateError
from syncer.records import ImageRecord
from syncer.state import NewOp, OpRow


class BadOpError(StateError):
    """A journalled op that cannot be applied as it is (a row written by hand, or by a bug)."""


@dataclass(frozen=True, slots=True)
class Payload:
    """What a journalled op carries besides its target, key and action."""

    reason: str
    #: The record as the target should hold it (mapped); for a delete, the record last seen.
    record: ImageRecord
    #: What the target item is in step with once the op is done (``plan.plan_basis``).
    basis: str | None = None
    meta_hash: str | None = None
    convert_to: str | None = None
    shrink_to: int | None = None
    #: A move: the metadata last pushed (old owner included), to delete the old item with.
    move_from: Mapping[str, Any] | None = None
    #: ``syncer apply``: the sha256 of the bytes the plan made (converted or shrunk): what is
    #: pushed must be exactly those.
    pushed_sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"reason": self.reason, "record": record_to_json(self.record)}
        for name in ("basis", "meta_hash", "convert_to", "shrink_to", "pushed_sha256"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.move_from is not None:
            data["move_from"] = dict(self.move_from)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Payload:
        shrink = data.get("shrink_to")
        move_from = data.get("move_from")
        return cls(
            reason=str(data.get("reason") or ""),
            record=record_from_json(dict(data.get("record") or {})),
            basis=data.get("basis"),
            meta_hash=data.get("meta_hash"),
            convert_to=data.get("convert_to"),
            shrink_to=int(shrink) if shrink is not None else None,
            move_from=dict(move_from) if isinstance(move_from, Mapping) else None,
            pushed_sha256=data.get("pushed_sha256"),
        )


@dataclass(frozen=True, slots=True)
class _Op:
    id: int
    target: str
    key: str
    payload: Payload
    #: ``planned`` or ``sent`` (a sent op's outcome is unknown: looked up before it is sent again).
    state: str = "planned"
    attempts: int = 0

    #: The journal's name of the action.
    action: ClassVar[str] = ""
    #: Whether applying the op sends the item's bytes (a create, a replace, a move).
    needs_bytes: ClassVar[bool] = False

    @property
    def record(self) -> ImageRecord:
        return self.payload.record


@dataclass(frozen=True, slots=True)
class Create(_Op):
    action: ClassVar[str] = "create"
    needs_bytes: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class Update(_Op):
    target_id: str = ""
    action: ClassVar[str] = "update"


@dataclass(frozen=True, slots=True)
class Replace(_Op):
    target_id: str = ""
    action: ClassVar[str] = "replace"
    needs_bytes: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class Move(_Op):
    """A replace that re-creates the item under its new owner, then deletes the old item
    (``target_id``) under the old owner (``old_record``)."""

    target_id: str = ""
    old_record: ImageRecord = field(default_factory=lambda: ImageRecord("", "", ""))
    action: ClassVar[str] = "replace"
    needs_bytes: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class Delete(_Op):
    target_id: str = ""
    action: ClassVar[str] = "delete"


Op = Create | Update | Replace | Move | Delete


def new_op(planned: Planned, record: ImageRecord | None = None) -> NewOp:
    """The journal entry of a planned write (``record`` None: the planned record) or delete
    (``record``: the one last seen at the source, mapped)."""
    kept = record if record is not None else planned.record
    if kept is None:
        raise ValueError(f"planned {planned.action} of {planned.key} carries no record")
    payload = Payload(
        reason=planned.reason,
        record=kept,
        basis=planned.basis,
        meta_hash=planned.meta_hash,
        convert_to=planned.convert_to,
        shrink_to=planned.shrink_to,
        move_from=dict(planned.previous or {}) if planned.moves_owner else None,
    )
    action = planned.action
    if action is Action.SKIP:
        raise ValueError(f"a skip of {planned.key} is not journalled")
    return NewOp(
        target=planned.target,
        key=planned.key,
        action=action.value,  # type: ignore[arg-type]
        target_id=planned.target_id,
        payload=payload.to_json(),
    )


def op_from_row(row: OpRow) -> Op:
    """The typed op of a journal row; raises :class:`BadOpError` naming the op when the row
    cannot be one (an update, replace or delete without a target id)."""
    try:
        payload = Payload.from_json(row.payload)
    except (ValueError, TypeError) as exc:
        raise BadOpError(f"op {row.id} ({row.action} {row.key!r} on {row.target}): {exc}") from None
    common = (row.id, row.target, row.key, payload, row.state, row.attempts)
    if row.action == "create":
        return Create(*common)
    target_id = row.target_id
    if not target_id:
        raise BadOpError(
            f"op {row.id} ({row.action} {row.key!r} on {row.target}) has no target id; "
            "it cannot be applied, and was not written by this version of syncer"
        )
    if row.action == "update":
        return Update(*common, target_id=target_id)
    if row.action == "delete":
        return Delete(*common, target_id=target_id)
    if row.action != "replace":
        raise BadOpError(f"op {row.id} ({row.key!r} on {row.target}) has no action {row.action!r}")
    if payload.move_from is not None:
        old = _old_record(payload.record, payload.move_from)
        return Move(*common, target_id=target_id, old_record=old)
    return Replace(*common, target_id=target_id)


def bytes_of(row: OpRow) -> str | None:
    """The sha256 of the bytes a journalled op pushes (None when its record does not say),
    read without decoding the whole payload."""
    record = row.payload.get("record")
    sha256 = record.get("sha256") if isinstance(record, Mapping) else None
    return sha256 if isinstance(sha256, str) and sha256 else None


def _old_record(record: ImageRecord, previous: Mapping[str, Any]) -> ImageRecord:
    """``record`` as it was last pushed (``previous``: ``plan.metadata_of`` of it), to address
    the old item under its old owner."""
    return ImageRecord(
        key=record.key,
        owner=str(previous.get("owner") or ""),
        filename=str(previous.get("filename") or record.filename),
        mime=record.mime,
        size=record.size,
        sha256=record.sha256,
        alt=previous.get("alt"),
        position=previous.get("position"),
        roles=frozenset(previous.get("roles") or ()),
        title=previous.get("title"),
        version=record.version,
        url=record.url,
        extra=record.extra,
    )
