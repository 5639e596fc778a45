"""The planner: pure functions from what the source shows and what the state remembers to the one
operation each target needs. No I/O, so every rule is tested with plain values.

Per target and item the outcome is one :class:`Planned`: ``create``, ``update`` (metadata),
``replace`` (bytes), ``delete``, or ``skip`` with a reason. Constraints become plan entries, not
surprises: a type the target refuses is converted (or skipped), a file over its byte limit is
shrunk (or skipped), an owner with no mapping is skipped, a field the target cannot change is
reported. An owner change where the target's update cannot move an item is a ``replace`` that
moves it (``Planned.moves_owner``): created under the new owner, then the old item deleted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from syncer.digest import canonical_json, digest_parts, stable_digest
from syncer.records import ImageRecord
from syncer.vendors.contract import Capabilities

#: The reason of a skip for an item already in step on its target.
UNCHANGED = "unchanged"
#: The version of the rules below: part of every link's basis (:func:`plan_basis`), so a
#: release that plans differently plans every item once more instead of trusting old links.
PLAN_RULES = 2
#: Longest JSON of the metadata kept on a link (:func:`pushed_json`); beyond it (a huge alt
#: text, say) the link keeps only the hash, and the planner plans as for a link from before.
MAX_PUSHED_META = 8192

#: The reason of a skip for an item with an op still planned or sent on its target (a killed
#: run's, which this run applies first): planning it again could push it twice.
PENDING = "an earlier operation on this item is still open"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    SKIP = "skip"


class OnOversize(StrEnum):
    SKIP = "skip"
    SHRINK = "shrink"


class PriorItem(Protocol):
    """What the state remembers of a source item (``ItemRow`` has these)."""

    @property
    def version(self) -> str | None: ...

    @property
    def sha256(self) -> str | None: ...


class PriorLink(Protocol):
    """What the state remembers of a target item syncer created or adopted (``LinkRow``)."""

    @property
    def target_id(self) -> str: ...

    @property
    def sha256(self) -> str | None: ...

    @property
    def meta_hash(self) -> str | None: ...

    @property
    def pushed_meta(self) -> Mapping[str, Any] | None:
        """:func:`metadata_of` the record last pushed; None when unknown (an older link)."""
        ...


@dataclass(frozen=True, slots=True)
class TargetPolicy:
    """How one target of a job takes records: its capabilities and the job's choices for it."""

    name: str
    capabilities: Capabilities
    on_oversize: OnOversize = OnOversize.SKIP
    #: Convert a type the target refuses into one it takes (None: skip such items).
    convert_to: str | None = "image/png"


@dataclass(frozen=True, slots=True)
class Planned:
    """One planned operation for one target and one source item."""

    target: str
    key: str
    action: Action
    reason: str
    target_id: str | None = None
    #: The record as the target should hold it (owner and fields already mapped).
    record: ImageRecord | None = None
    meta_hash: str | None = None
    convert_to: str | None = None
    shrink_to: int | None = None
    changed: tuple[str, ...] = field(default_factory=tuple)
    #: For a write: what the target item is in step with once it is done (:func:`plan_basis`).
    basis: str | None = None
    #: The metadata last pushed to the target item (:func:`metadata_of`), when the link has it.
    previous: Mapping[str, Any] | None = None
    #: A replace that moves the item to another owner: create it under ``record.owner``, then
    #: delete ``target_id`` under the old owner (``previous["owner"]``).
    moves_owner: bool = False
    #: The reason's stable code (``docs/report-schema.md``): ``new_item``, ``unchanged``, ...
    code: str = ""

    def changes(self) -> dict[str, tuple[Any, Any]]:
        """The ``changed`` fields, old → new (what the report shows); empty when the old
        metadata is unknown."""
        if self.previous is None or self.record is None:
            return {}
        now = metadata_of(self.record)
        return {name: (self.previous.get(name), now.get(name)) for name in self.changed}


#: Record fields whose change is a metadata update (bytes are compared by sha256).
METADATA_FIELDS = ("owner", "filename", "alt", "title", "position", "roles")


def metadata_of(record: ImageRecord) -> dict[str, Any]:
    """The target-facing metadata of a mapped record, in a stable JSON-able form."""
    values = {name: getattr(record, name) for name in METADATA_FIELDS}
    values["roles"] = sorted(record.roles)
    return values


def meta_hash(record: ImageRecord) -> str:
    """A short stable digest of :func:`metadata_of` (:func:`syncer.digest.stable_digest`),
    kept on links; the planner compares it only for a link that lacks ``pushed_meta``."""
    return stable_digest(metadata_of(record))


def legacy_meta_hash(record: ImageRecord) -> str:
    """:func:`meta_hash` as releases before the one digest computed it (sha256 of the JSON,
    cut to 32 hex characters). Read only, for links those releases wrote without their
    ``pushed_meta``: so they are not all taken for changed, and updated, after an upgrade."""
    text = json.dumps(metadata_of(record), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def pushed_json(record: ImageRecord) -> str | None:
    """What a link keeps of the record an op pushed: :func:`metadata_of` as JSON text (decoded
    only when the link is planned, so a no-change sync never pays for it), or None when it is
    over :data:`MAX_PUSHED_META` (never secrets: only the fields the target shows)."""
    text = canonical_json(metadata_of(record))
    return text if len(text) <= MAX_PUSHED_META else None


def plan_basis(digest: str, salt: str) -> str:
    """What a target item is brought in step with: ``digest`` (of the source record as listed
    and fingerprinted) under ``salt`` (of everything else the plan reads: the job's settings for
    the target, its vendor's capabilities, :data:`PLAN_RULES`). A link whose basis is the one a
    listing yields again is unchanged on its target, so the item needs no mapping or planning."""
    return digest_parts(salt, digest)


def metadata_unchanged(
    record: ImageRecord, link: PriorLink, previous: Mapping[str, Any] | None
) -> bool:
    """Whether ``record``'s metadata is what was last pushed to ``link``'s item: compared
    exactly with ``previous`` (the pushed metadata) when known; else by digest, of either
    algorithm (a link an older release wrote has that release's digest, not today's)."""
    if previous is not None:
        return metadata_of(record) == previous
    if link.meta_hash is None:
        return False
    return link.meta_hash in (meta_hash(record), legacy_meta_hash(record))


def needs_bytes(record: ImageRecord, prior: PriorItem | None) -> bool:
    """Whether the bytes must be read to know the item's sha256.

    The vendor's version token decides first: unchanged token and a known hash mean unchanged
    bytes. A changed token, no token at all (Partium) or no hash yet means: read and hash.
    """
    if record.sha256:
        return False
    if prior is None or prior.sha256 is None:
        return True
    return record.version is None or record.version != prior.version


def plan_item(
    record: ImageRecord,
    link: PriorLink | None,
    policy: TargetPolicy,
    previous_meta: Mapping[str, Any] | None = None,
    *,
    pending: bool = False,
) -> Planned:
    """The operation that brings ``policy``'s target in line with ``record``.

    ``record`` is already mapped for this target (owner and field templates applied; an empty
    owner means the mapping had none) and fingerprinted (``sha256``, ``size``, ``mime`` known).
    ``previous_meta`` is the metadata last pushed (to name what changed); by default the
    link's ``pushed_meta``. ``pending``: the item has an op still open on the target, so
    nothing is planned now.

    An owner change is an update only where the target's update can move an item
    (``Capabilities.update_moves_owner``); elsewhere it is a move, bytes changed or not. A
    link that does not know its old metadata (written before syncer kept it) plans as before:
    an update of what can be updated. A move needs the old owner to delete the old item, and
    creating under the new one without it could leave the item twice, so it is never guessed.
    """
    skipped = _not_now(record, link, policy, pending=pending)
    if skipped is not None:
        return skipped
    if link is None:
        return _write(policy, record, Action.CREATE, "new item", None, code="new_item")
    previous = previous_meta if previous_meta is not None else link.pushed_meta
    return _against_link(record, link, policy, previous)


def _not_now(
    record: ImageRecord, link: PriorLink | None, policy: TargetPolicy, *, pending: bool
) -> Planned | None:
    """The skip of a record that cannot be planned now (an op still open, no owner mapped,
    a type or size the target refuses), or None."""
    if pending:
        return _skip(
            policy, record.key, PENDING, link.target_id if link else None, code="pending_op"
        )
    if not record.owner:
        return _skip(policy, record.key, "no target owner mapped for this item", code="no_owner")
    refusal = _refusal(record, policy)
    if refusal is not None:
        return _skip(policy, record.key, refusal[1], code=refusal[0])
    return None


def _against_link(
    record: ImageRecord,
    link: PriorLink,
    policy: TargetPolicy,
    previous: Mapping[str, Any] | None,
) -> Planned:
    """A linked item: moved, replaced, unchanged, or its metadata changed."""
    if previous is not None and _must_move(record, previous, policy):
        return _move(policy, record, link, previous)
    if record.sha256 is not None and record.sha256 != link.sha256:
        entry = _write(
            policy, record, Action.REPLACE, "bytes changed", link.target_id, code="bytes_changed"
        )
        return replace(entry, previous=previous)
    if metadata_unchanged(record, link, previous):
        return _skip(policy, record.key, UNCHANGED, link.target_id, code=UNCHANGED)
    return _metadata_change(record, link, policy, previous)


#: What a delete on a target with ``Capabilities.soft_delete`` does, said in its plan entry.
SOFT_DELETE = "the target only disables it: it stays there, and may still count as a duplicate"


def plan_delete(key: str, link: PriorLink | None, policy: TargetPolicy) -> Planned:
    """A source item gone for good (seen missing by a complete listing); where the target's
    delete only disables the item (``soft_delete``), the entry's reason says so."""
    if link is None:
        return _skip(policy, key, "gone at the source, never on this target", code="never_linked")
    soft = f" ({SOFT_DELETE})" if policy.capabilities.soft_delete else ""
    reason = f"gone at the source{soft}"
    code = "gone_soft_delete" if soft else "gone_at_source"
    return Planned(policy.name, key, Action.DELETE, reason, target_id=link.target_id, code=code)


def delete_guard(
    deletes: int, linked: int, *, max_count: int | None, max_percent: float | None
) -> str | None:
    """Why a run's deletes for one target must stop (None: within the guard), like rclone's
    ``--max-delete``: more than ``max_count`` items, or more than ``max_percent`` of what syncer
    holds on that target."""
    if max_count is not None and deletes > max_count:
        return f"{deletes} deletes exceed the limit of {max_count} per run"
    if max_percent is not None and linked and deletes * 100.0 / linked > max_percent:
        share = deletes * 100.0 / linked
        return (
            f"{deletes} deletes are {share:.1f}% of {linked} items, over the {max_percent}% limit"
        )
    return None


def _skip(
    policy: TargetPolicy,
    key: str,
    reason: str,
    target_id: str | None = None,
    changed: tuple[str, ...] = (),
    *,
    code: str,
) -> Planned:
    return Planned(
        policy.name, key, Action.SKIP, reason, target_id=target_id, changed=changed, code=code
    )


def _write(
    policy: TargetPolicy,
    record: ImageRecord,
    action: Action,
    reason: str,
    target_id: str | None,
    changed: tuple[str, ...] = (),
    *,
    code: str,
) -> Planned:
    """A write, with the conversion and shrinking the target's limits call for."""
    caps = policy.capabilities
    convert_to = None
    if caps.accepted_mimes is not None and record.mime not in caps.accepted_mimes:
        convert_to = policy.convert_to
    shrink_to = None
    if caps.max_bytes is not None and record.size is not None and record.size > caps.max_bytes:
        shrink_to = caps.max_bytes
    return Planned(
        policy.name,
        record.key,
        action,
        reason,
        target_id=target_id,
        record=record,
        meta_hash=meta_hash(record),
        convert_to=convert_to,
        shrink_to=shrink_to,
        changed=changed,
        code=code,
    )


def _refusal(record: ImageRecord, policy: TargetPolicy) -> tuple[str, str] | None:
    """Why the target cannot take the record under the job's policy (its code and text),
    or None."""
    caps = policy.capabilities
    accepted = caps.accepted_mimes
    if accepted is not None and record.mime not in accepted and policy.convert_to not in accepted:
        return "unsupported_type", f"{policy.name} does not take {record.mime}"
    too_big = (
        caps.max_bytes is not None and record.size is not None and (record.size > caps.max_bytes)
    )
    if too_big and policy.on_oversize is OnOversize.SKIP:
        return (
            "over_byte_limit",
            f"{record.size} bytes is over {policy.name}'s limit of {caps.max_bytes}",
        )
    return None


def _must_move(record: ImageRecord, previous: Mapping[str, Any], policy: TargetPolicy) -> bool:
    """The owner changed and the target's update cannot move the item there."""
    moved = bool(previous.get("owner")) and previous.get("owner") != record.owner
    return moved and not policy.capabilities.update_moves_owner


def _move(
    policy: TargetPolicy, record: ImageRecord, link: PriorLink, previous: Mapping[str, Any]
) -> Planned:
    """A replace that re-creates the item under its new owner, then deletes the old one."""
    changed = tuple(_changed_fields(record, previous))
    reason = f"owner changed ({previous.get('owner')} → {record.owner}): moved by re-creating it"
    entry = _write(
        policy, record, Action.REPLACE, reason, link.target_id, changed, code="owner_moved"
    )
    return replace(entry, previous=previous, moves_owner=True)


def _metadata_change(
    record: ImageRecord,
    link: PriorLink,
    policy: TargetPolicy,
    previous: Mapping[str, Any] | None,
) -> Planned:
    """Metadata differs from what was pushed (an owner change is planned before: it is a move
    or an update): update what the target can change in place, report what cannot change."""

    def update(reason: str, changed: tuple[str, ...] = ()) -> Planned:
        code = "metadata_changed"
        return _write(policy, record, Action.UPDATE, reason, link.target_id, changed, code=code)

    if previous is None:  # what changed is unknown: update what can be updated
        return update("metadata changed")
    changed = _changed_fields(record, previous)
    updatable = policy.capabilities.updatable_fields
    movable = tuple(name for name in changed if name in updatable)
    fixed = [name for name in changed if name not in updatable]
    if movable:
        note = f" ({', '.join(fixed)} cannot change there)" if fixed else ""
        entry = update(f"{', '.join(movable)} changed{note}", movable)
    else:
        reason = f"{', '.join(fixed) or 'metadata'} changed, which {policy.name} cannot update"
        entry = _skip(
            policy, record.key, reason, link.target_id, tuple(fixed), code="cannot_update"
        )
    return replace(entry, previous=previous)


def _changed_fields(record: ImageRecord, previous: Mapping[str, Any]) -> list[str]:
    now = metadata_of(record)
    return [name for name in METADATA_FIELDS if now.get(name) != previous.get(name)]
