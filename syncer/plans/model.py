"""The report model: one set of plain values that every renderer reads (Terraform keeps its
differ apart from its renderers; so does syncer).

Three kinds of document share it: a **plan** (what a sync would do: computed once by the
planner, saved, rendered, applied), a **run** report (what a run did) and a **check** (how each
target's catalog compares with what syncer last pushed there). A :class:`Document` is a
:class:`Header`, a :class:`Summary` (counted while the entries were made, so it comes first in
every format), the thumbnails, and its :class:`Entry` values, read again each time a renderer
asks (:meth:`Document.entries`): from a list, or streamed from a saved file.

No I/O here and nothing of the engine: renderers and readers depend on this module only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: The schema's version: a reader refuses another major version; a minor version only adds.
SCHEMA_MAJOR = 1
SCHEMA_MINOR = 0
SCHEMA_VERSION = f"{SCHEMA_MAJOR}.{SCHEMA_MINOR}"


class Kind(StrEnum):
    PLAN = "plan"
    RUN = "run"
    CHECK = "check"


#: A plan's and a run report's actions, destructive ones first (the order of every summary).
ACTIONS = ("delete", "replace", "create", "update", "skip")
#: A check's findings, drifted ones first.
FINDINGS = ("missing", "changed", "foreign", "in_step")
#: A run report's outcomes.
OUTCOMES = ("failed", "done", "skipped", "open")


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What a file is: its sha256, bytes, type and pixel size (each None when not known)."""

    sha256: str | None = None
    size: int | None = None
    mime: str | None = None
    width: int | None = None
    height: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in _fields(self).items() if v is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> FileFacts | None:
        if not isinstance(data, Mapping):
            return None
        return cls(**{k: data.get(k) for k in ("sha256", "size", "mime", "width", "height")})


@dataclass(frozen=True, slots=True)
class Change:
    """One metadata field, old → new; ``applies`` False: the target cannot change it."""

    field: str
    old: Any
    new: Any
    applies: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new, "applies": self.applies}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        return cls(str(data["field"]), data.get("old"), data.get("new"), bool(data["applies"]))


@dataclass(frozen=True, slots=True)
class Note:
    """A warning or a note: a stable ``code`` for machines, ``text`` for people."""

    code: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Note:
        return cls(str(data["code"]), str(data["text"]))


@dataclass(frozen=True, slots=True)
class Entry:
    """One item on one target: what is planned (or was done, or was found) and why.

    ``action`` is a plan's action (:data:`ACTIONS`), a run report's action, or a check's
    finding (:data:`FINDINGS`); ``code`` is the stable reason code and ``reason`` its text.
    ``old``/``new`` are the files before and after (a create has only ``new``, a delete only
    ``old``). ``apply`` is what ``syncer apply`` needs (a plan's op and the state it expects);
    renderers never read it.
    """

    target: str
    key: str
    action: str
    code: str
    reason: str
    filename: str | None = None
    owner: str | None = None
    target_id: str | None = None
    changes: tuple[Change, ...] = ()
    old: FileFacts | None = None
    new: FileFacts | None = None
    #: A conversion the target needs, as ``image/webp → image/png``.
    convert: str | None = None
    #: The byte limit the file is shrunk to.
    shrink_to: int | None = None
    moves_owner: bool = False
    warnings: tuple[Note, ...] = ()
    #: A run report: ``done``, ``failed``, ``skipped`` or ``open``; the vendor's message.
    outcome: str | None = None
    error: str | None = None
    attempts: int | None = None
    apply: Mapping[str, Any] | None = None

    @property
    def destructive(self) -> bool:
        """A delete, a replace (the old bytes go) or an owner move."""
        return self.action in ("delete", "replace") or self.moves_owner

    @property
    def uploads(self) -> int:
        """Bytes this entry sends to its target (creates and replaces)."""
        if self.action in ("create", "replace") and self.new is not None:
            return self.new.size or 0
        return 0

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "target": self.target,
            "key": self.key,
            "action": self.action,
            "code": self.code,
            "reason": self.reason,
        }
        for name in ("filename", "owner", "target_id", "convert", "shrink_to", "outcome"):
            if (value := getattr(self, name)) is not None:
                data[name] = value
        for name in ("error", "attempts"):
            if (value := getattr(self, name)) is not None:
                data[name] = value
        if self.changes:
            data["changes"] = [c.to_json() for c in self.changes]
        if self.old is not None:
            data["old"] = self.old.to_json()
        if self.new is not None:
            data["new"] = self.new.to_json()
        if self.moves_owner:
            data["moves_owner"] = True
        if self.warnings:
            data["warnings"] = [w.to_json() for w in self.warnings]
        if self.apply is not None:
            data["apply"] = dict(self.apply)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Entry:
        def text(name: str) -> str | None:
            value = data.get(name)
            return None if value is None else str(value)

        return cls(
            target=str(data["target"]),
            key=str(data["key"]),
            action=str(data["action"]),
            code=str(data["code"]),
            reason=str(data.get("reason") or ""),
            filename=text("filename"),
            owner=text("owner"),
            target_id=text("target_id"),
            changes=tuple(Change.from_json(c) for c in data.get("changes") or ()),
            old=FileFacts.from_json(data.get("old")),
            new=FileFacts.from_json(data.get("new")),
            convert=text("convert"),
            shrink_to=data.get("shrink_to"),
            moves_owner=bool(data.get("moves_owner")),
            warnings=tuple(Note.from_json(w) for w in data.get("warnings") or ()),
            outcome=text("outcome"),
            error=text("error"),
            attempts=data.get("attempts"),
            apply=_object(data.get("apply"), "apply"),
        )


@dataclass
class TargetTally:
    """One target's counts: entries by action, skips by code (with their text), unchanged."""

    vendor: str = ""
    actions: Counter[str] = field(default_factory=Counter)
    #: Skips (or, in a run report, outcomes other than done) by reason code.
    reasons: Counter[str] = field(default_factory=Counter)
    #: The text of each reason code (the first seen).
    texts: dict[str, str] = field(default_factory=dict)
    unchanged: int = 0
    upload_bytes: int = 0
    destructive: int = 0
    warnings: int = 0
    #: A run report: entries by outcome (``done``, ``failed``, ...).
    outcomes: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "vendor": self.vendor,
            "actions": dict(self.actions),
            "reasons": {
                code: {"count": n, "text": self.texts.get(code, code)}
                for code, n in self.reasons.items()
            },
            "unchanged": self.unchanged,
            "upload_bytes": self.upload_bytes,
            "destructive": self.destructive,
            "warnings": self.warnings,
            "outcomes": dict(self.outcomes),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TargetTally:
        reasons = data.get("reasons") or {}
        return cls(
            vendor=str(data.get("vendor") or ""),
            actions=Counter({str(k): int(v) for k, v in (data.get("actions") or {}).items()}),
            reasons=Counter({str(k): int(v["count"]) for k, v in reasons.items()}),
            texts={str(k): str(v.get("text") or k) for k, v in reasons.items()},
            unchanged=int(data.get("unchanged") or 0),
            upload_bytes=int(data.get("upload_bytes") or 0),
            destructive=int(data.get("destructive") or 0),
            warnings=int(data.get("warnings") or 0),
            outcomes=Counter({str(k): int(v) for k, v in (data.get("outcomes") or {}).items()}),
        )


@dataclass
class Summary:
    """Counts per target, made while entries are added (:meth:`add`), so every format can print
    them first without a second pass."""

    targets: dict[str, TargetTally] = field(default_factory=dict)
    #: Notes on the whole document (a source that serves renditions only, a guard stop, ...).
    notes: list[Note] = field(default_factory=list)
    #: Numbers of the run or listing (``listed``, ``downloaded``, ``duration_s``, ...).
    facts: dict[str, Any] = field(default_factory=dict)

    def tally(self, target: str, vendor: str = "") -> TargetTally:
        tally = self.targets.get(target)
        if tally is None:
            tally = self.targets[target] = TargetTally(vendor=vendor)
        elif vendor and not tally.vendor:
            tally.vendor = vendor
        return tally

    def add(self, entry: Entry) -> None:
        tally = self.tally(entry.target)
        tally.actions[entry.action] += 1
        if entry.outcome is not None:
            tally.outcomes[entry.outcome] += 1
        if entry.action == "skip" or entry.outcome in ("failed", "skipped"):
            tally.reasons[entry.code] += 1
            tally.texts.setdefault(entry.code, entry.reason)
        tally.upload_bytes += entry.uploads
        tally.destructive += entry.destructive
        tally.warnings += len(entry.warnings)

    def count_unchanged(self, target: str, count: int) -> None:
        self.tally(target).unchanged += count

    @property
    def changes(self) -> int:
        """Entries that change a target (every action but a skip)."""
        return sum(n for t in self.targets.values() for a, n in t.actions.items() if a != "skip")

    def to_json(self) -> dict[str, Any]:
        return {
            "targets": {name: t.to_json() for name, t in self.targets.items()},
            "notes": [n.to_json() for n in self.notes],
            "facts": dict(self.facts),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Summary:
        return cls(
            targets={
                str(k): TargetTally.from_json(v) for k, v in (data.get("targets") or {}).items()
            },
            notes=[Note.from_json(n) for n in data.get("notes") or ()],
            facts=dict(data.get("facts") or {}),
        )


@dataclass
class Header:
    """What the document is about. ``settings`` holds a fingerprint per part of the job's
    settings (never a secret: digests only), so ``apply`` can say which part changed."""

    kind: Kind
    job: str
    created_at: str
    #: A plan's id (``apply`` records it, so a plan applies once) or a run report's run id.
    id: str = ""
    mode: str = ""
    source: str = ""
    listing: str = ""
    expires_at: str | None = None
    job_file: str | None = None
    settings: dict[str, str] = field(default_factory=dict)
    #: Extra facts of the kind: a run's status and duration, a check's time, ...
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "job": self.job,
            "created_at": self.created_at,
            "id": self.id,
            "mode": self.mode,
            "source": self.source,
            "listing": self.listing,
            "expires_at": self.expires_at,
            "job_file": self.job_file,
            "settings": dict(self.settings),
            "extra": dict(self.extra),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Header:
        return cls(
            kind=Kind(str(data["kind"])),
            job=str(data["job"]),
            created_at=str(data["created_at"]),
            id=str(data.get("id") or ""),
            mode=str(data.get("mode") or ""),
            source=str(data.get("source") or ""),
            listing=str(data.get("listing") or ""),
            expires_at=data.get("expires_at"),
            job_file=data.get("job_file"),
            settings={str(k): str(v) for k, v in (data.get("settings") or {}).items()},
            extra=dict(data.get("extra") or {}),
        )


@dataclass
class Document:
    """A plan, a run report or a check: header, summary, thumbnails, and its entries.

    ``thumbnails`` maps a sha256 to a small embedded image (a ``data:`` URI) under a total
    budget; an entry whose file has none shows a placeholder. ``source`` yields the entries
    anew at every call (a list, or a file read again), so a renderer may pass over them twice
    (destructive changes first, then the rest)."""

    header: Header
    summary: Summary
    source: Callable[[], Iterable[Entry]]
    thumbnails: dict[str, str] = field(default_factory=dict)

    def entries(self) -> Iterator[Entry]:
        return iter(self.source())

    @classmethod
    def of(
        cls,
        header: Header,
        entries: Iterable[Entry],
        *,
        summary: Summary | None = None,
        thumbnails: dict[str, str] | None = None,
    ) -> Document:
        """A document of entries held in memory; ``summary`` made from them when not given."""
        kept = list(entries)
        if summary is None:
            summary = Summary()
            for entry in kept:
                summary.add(entry)
        return cls(header, summary, lambda: kept, thumbnails or {})


def _object(value: Any, name: str) -> Mapping[str, Any] | None:
    """``value`` when it is a JSON object (or absent); else the entry is not valid."""
    if value is None or isinstance(value, Mapping):
        return value
    raise ValueError(f"{name} is not an object")


def _fields(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__slots__}
