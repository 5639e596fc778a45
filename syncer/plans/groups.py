"""What the terminal and Markdown renderers share: the order of actions, each summary row's
counts, the words for files and values, and one pass over the entries that keeps only the first
few of each group (so a 100k-entry plan renders in the memory of a few hundred entries).

Entries are grouped per target and action; destructive ones (deletes, replaces, owner moves)
go to groups of their own, shown ahead of everything else and not again; skips are grouped by
reason code; an entry whose code is ``unchanged`` is counted, and kept only when asked for.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from syncer.display import clipped, human_bytes
from syncer.plans.model import ACTIONS, FINDINGS, Document, Entry, FileFacts, Kind, TargetTally

#: The reason code (and the summary column) of an item already in step.
UNCHANGED = "unchanged"
#: Keys shown for each reason a group of skips has.
SKIP_KEYS = 5
#: Longest value of a changed field shown, in characters.
VALUE_CHARS = 80

_TITLES = {Kind.PLAN: "Plan", Kind.RUN: "Run report", Kind.CHECK: "Check"}


def title(document: Document) -> str:
    """``Plan plan-1 for job demo`` (names made printable, clipped)."""
    header = document.header
    name = f" {clipped(header.id, 60)}" if header.id else ""
    return f"{_TITLES[header.kind]}{name} for job {clipped(header.job, 60)}"


def about(document: Document) -> str:
    """The header's facts and the summary's, on one line: ``made …, mode sync, listed 20``."""
    header = document.header
    parts = [f"made {header.created_at}"]
    if header.expires_at:
        parts.append(f"expires {header.expires_at}")
    for name in ("mode", "source", "listing"):
        if value := getattr(header, name):
            parts.append(f"{name} {value}")
    parts += [f"{k} {v}" for k, v in document.summary.facts.items()]
    return clipped(", ".join(str(p) for p in parts), 400)


def outcomes(tally: TargetTally) -> str:
    """A run report's outcomes of one target: ``done 5, failed 1``."""
    return ", ".join(f"{o} {n}" for o, n in sorted(tally.outcomes.items()))


def columns(kind: Kind) -> tuple[str, ...]:
    """A summary row's count columns: a check's findings, or the actions then ``unchanged``."""
    return FINDINGS if kind is Kind.CHECK else (*ACTIONS, UNCHANGED)


def ordered(kind: Kind, actions: Iterable[str]) -> list[str]:
    """``actions`` in the summary's order (destructive first), unknown ones last, sorted."""
    known = columns(kind)
    seen = set(actions)
    return [a for a in known if a in seen] + sorted(seen - set(known))


def counts(kind: Kind, tally: TargetTally) -> dict[str, int]:
    """One summary row: entries per column. Unchanged items are counted (``tally.unchanged``)
    or listed as skips with code ``unchanged``: those leave the skip column for this one."""
    row = {name: tally.actions.get(name, 0) for name in columns(kind)}
    listed = tally.reasons.get(UNCHANGED, 0)
    if kind is not Kind.CHECK:
        row["skip"] -= listed
        row[UNCHANGED] = tally.unchanged + listed
    return row


def facts(file: FileFacts | None) -> str:
    """A file in a few words: ``image/jpeg 640×480 2.0 kB`` (what is known of it)."""
    if file is None:
        return "-"
    parts = [clipped(file.mime, 40)] if file.mime else []
    if file.width is not None and file.height is not None:
        parts.append(f"{file.width}×{file.height}")
    if file.size is not None:
        parts.append(human_bytes(file.size))
    return " ".join(parts) or "-"


def digest(file: FileFacts | None) -> str:
    """A file's sha256, its first 12 hex digits (``-`` when not known)."""
    return clipped(file.sha256[:12], 12) if file is not None and file.sha256 else "-"


def value(data: Any) -> str:
    """A changed field's value as JSON (strings quoted), printable and clipped."""
    try:
        text = json.dumps(data, ensure_ascii=False)
    except (TypeError, ValueError):
        text = str(data)
    return clipped(text, VALUE_CHARS)


@dataclass
class Group:
    """The entries of one target and action: how many, and the first ``limit`` of them."""

    target: str
    action: str
    count: int = 0
    entries: list[Entry] = field(default_factory=list)

    @property
    def cut(self) -> int:
        return self.count - len(self.entries)


@dataclass
class Skips:
    """The skips of one target for one reason code: how many, its text, the first keys."""

    target: str
    code: str
    text: str
    count: int = 0
    keys: list[str] = field(default_factory=list)


@dataclass
class Groups:
    """Every group of a document, made in one pass (:func:`collect`)."""

    targets: list[str]
    destructive: dict[tuple[str, str], Group] = field(default_factory=dict)
    rest: dict[tuple[str, str], Group] = field(default_factory=dict)
    skips: dict[tuple[str, str], Skips] = field(default_factory=dict)
    #: Unchanged entries seen (listed in ``rest`` under ``unchanged`` only when asked for).
    unchanged: int = 0

    def of(self, kind: Kind, groups: dict[tuple[str, str], Group], target: str) -> list[Group]:
        """``target``'s groups among ``groups``, in the summary's order."""
        mine = {a: g for (t, a), g in groups.items() if t == target}
        return [mine[a] for a in ordered(kind, mine)]

    def skips_of(self, target: str) -> list[Skips]:
        """``target``'s skips, the most frequent reason first."""
        return sorted(
            (s for (t, _), s in self.skips.items() if t == target), key=lambda s: -s.count
        )


def collect(document: Document, limit: int, *, unchanged: bool = False) -> Groups:
    """The document's groups, keeping at most ``limit`` entries of each (one pass)."""
    seen = list(document.summary.targets)
    groups = Groups(seen)
    for entry in document.entries():
        if entry.target not in document.summary.targets and entry.target not in seen:
            seen.append(entry.target)
        if entry.code == UNCHANGED and not entry.destructive:
            groups.unchanged += 1
            if unchanged:
                _keep(groups.rest, entry, UNCHANGED, limit)
        elif entry.destructive:
            _keep(groups.destructive, entry, entry.action, limit)
        elif entry.action == "skip":
            _skip(groups.skips, entry)
        else:
            _keep(groups.rest, entry, entry.action, limit)
    return groups


def _keep(groups: dict[tuple[str, str], Group], entry: Entry, action: str, limit: int) -> None:
    group = groups.get((entry.target, action))
    if group is None:
        group = groups[entry.target, action] = Group(entry.target, action)
    group.count += 1
    if len(group.entries) < limit:
        group.entries.append(entry)


def _skip(skips: dict[tuple[str, str], Skips], entry: Entry) -> None:
    group = skips.get((entry.target, entry.code))
    if group is None:
        group = skips[entry.target, entry.code] = Skips(entry.target, entry.code, entry.reason)
    group.count += 1
    if len(group.keys) < SKIP_KEYS:
        group.keys.append(entry.key)
