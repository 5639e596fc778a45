"""Planner entries made into report entries (:mod:`syncer.plans.model`): pure functions of the
planner's values, the state's rows and the job, for :mod:`~syncer.engine.drafting`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from syncer.digest import stable_digest
from syncer.engine.fetch import Unreadable
from syncer.engine.plan import METADATA_FIELDS, Action, Planned, metadata_of
from syncer.engine.planner import UNREADABLE
from syncer.engine.targets import Target
from syncer.http.redact import Redactor
from syncer.jobs import Job
from syncer.plans.model import Change, Entry, FileFacts, Note
from syncer.records import ImageRecord
from syncer.state import LinkRow, NewOp


def link_digest(link: LinkRow | None) -> str | None:
    """What a plan remembers of a link: a digest of everything that says what the target item
    is (its id, bytes, metadata and basis); None for no link."""
    if link is None:
        return None
    return stable_digest(
        [link.target_id, link.sha256, link.meta_hash, link.basis, link.pushed_json]
    )


def job_settings(job: Job, targets: Sequence[Target]) -> dict[str, str]:
    """A digest of each part of the job's settings a plan depends on, so ``apply`` can name the
    part that changed: the source's and each target's connection (where it points: the values
    as resolved, so an environment pointing a target elsewhere is a change; secrets left out,
    by name), each target's salt (mapping, options, capabilities) and its delete guard. Only
    digests are kept: never a value."""
    data = _without_secrets(job.model_dump(mode="json"))
    settings = {"source": stable_digest(_without(data["source"], TUNING))}
    connections = {t["name"]: _without(t, TUNING | IN_SALT) for t in data["targets"]}
    for target in targets:
        settings[f"target {target.name}"] = target.salt
        settings[f"connection of {target.name}"] = stable_digest(connections.get(target.name))
        settings[f"deletes of {target.name}"] = stable_digest(target.config.delete.model_dump())
    return settings


#: Settings that tune how fast a vendor is read or written, not what: a plan stays appliable
#: when they change.
TUNING = frozenset({"concurrency", "rate", "timeout", "page_limit", "page_size", "poll_interval"})
#: A target's settings its salt digests already (and its delete guard, digested apart).
IN_SALT = frozenset({"mapping", "convert", "on_oversize", "delete"})


def _without(table: Any, keys: frozenset[str]) -> Any:
    return {k: v for k, v in table.items() if k not in keys} if isinstance(table, dict) else table


def _without_secrets(node: Any) -> Any:
    """``node`` with every value of a secret-named key left out (``SECRET_KEYS``)."""
    from syncer.jobs.vendors import SECRET_KEYS

    if isinstance(node, dict):
        return {k: _without_secrets(v) for k, v in node.items() if k not in SECRET_KEYS}
    if isinstance(node, list):
        return [_without_secrets(v) for v in node]
    return node


def limit_notes(planned: Planned, target: Target) -> list[Note]:
    if planned.shrink_to is None or planned.record is None:
        return []
    return [
        Note(
            "over_byte_limit",
            f"{planned.record.size} bytes is over {target.name}'s limit of "
            f"{planned.shrink_to}: it is shrunk to fit",
        )
    ]


def apply(
    op: NewOp, link: LinkRow | None, item_digest: str | None, new: FileFacts | None
) -> dict[str, Any]:
    """What ``syncer apply`` needs of an entry: the journal op, and what the plan saw."""
    return {
        "op": {"action": op.action, "target_id": op.target_id, "payload": op.payload},
        "expect": {"link": link_digest(link), "item": item_digest},
        "bytes": new.sha256 if new is not None else None,
    }


def changes(planned: Planned, target: Target) -> tuple[Change, ...]:
    """Every metadata field that differs from what was last pushed, old → new; ``applies``
    False for those the op leaves as they are (the target cannot update them)."""
    if planned.previous is None or planned.record is None:
        return ()
    now = metadata_of(planned.record)
    updatable = target.capabilities.updatable_fields
    changes = []
    for name in METADATA_FIELDS:
        old, new = planned.previous.get(name), now.get(name)
        if old == new:
            continue
        if planned.action is Action.UPDATE:
            applies = name in planned.changed
        else:
            applies = planned.action is Action.REPLACE or name in updatable
        changes.append(Change(name, old, new, applies))
    return tuple(changes)


def conversion(planned: Planned, record: ImageRecord | None) -> str | None:
    if planned.convert_to is None or record is None:
        return None
    return f"{record.mime} → {planned.convert_to}"


def unreadable(target: str, item: Unreadable) -> Entry:
    record = item.record
    return Entry(
        target,
        record.key,
        "skip",
        "unreadable",
        f"{UNREADABLE}: {item.error}",
        filename=record.filename,
        owner=record.owner,
    )


def masked(entry: Entry, redact: Redactor) -> Entry:
    """``entry`` with every secret ``redact`` knows masked, wherever it is (a URL, a name)."""
    return Entry.from_json(_masked(entry.to_json(), redact))


def _masked(value: Any, redact: Redactor) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: _masked(v, redact) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v, redact) for v in value]
    return value
