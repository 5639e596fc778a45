"""A document as a GitHub pull-request comment (``syncer show --format markdown``).

A comment holds at most 65,536 characters, so :func:`render_markdown` never returns more than
``max_chars``, whatever the document's size: a title line, the summary table, the notes, the
destructive changes first, then the first entries of each target's groups (by action), as many
as fit, and last a note of what was cut and the command that shows all of it.

Every vendor string is escaped for a table cell (:func:`cell`): ``|``, backticks, ``<``, ``>``,
``&``, ``@`` and ``#`` as entities, Markdown's emphasis and link marks with a backslash, control
characters and newlines escaped (:func:`~syncer.display.printable`), and clipped; keys and file
names are in ``<code>`` (no mentions, no autolinks), so a file name cannot leave its cell or
inject HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from syncer.display import clipped, human_bytes
from syncer.plans import groups as g
from syncer.plans.model import ACTIONS, Document, Entry, Kind, Summary

#: GitHub's limit on a comment's length.
GITHUB_LIMIT = 65_536
#: Room kept for the last lines (what was cut), whatever the body took.
_TAIL = 600
_ENTITIES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "|": "&#124;",
        "`": "&#96;",
        "@": "&#64;",
        "#": "&#35;",
        "$": "&#36;",
        "\\": "\\\\",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "~": "\\~",
        "!": "\\!",
    }
)
_NAMES = {Kind.PLAN: "plan", Kind.RUN: "run report", Kind.CHECK: "check"}
_FILES = {Kind.PLAN: "plan.json", Kind.RUN: "report.json", Kind.CHECK: "check.json"}


def cell(text: str, limit: int = 120) -> str:
    """``text`` safe in a Markdown table cell (and anywhere in a line): printable, clipped to
    ``limit`` characters, its Markdown and HTML marks escaped."""
    return clipped(text, limit).translate(_ENTITIES)


def code(text: str, limit: int = 120) -> str:
    """``text`` as an escaped ``<code>`` cell (keys, file names)."""
    return f"<code>{cell(text, limit)}</code>"


@dataclass
class _Writer:
    """Lines under a budget of characters: lines that do not fit are not written."""

    room: int
    lines: list[str] = field(default_factory=list)

    def add(self, *lines: str) -> bool:
        size = sum(len(line) + 1 for line in lines)
        if size > self.room:
            return False
        self.lines.extend(lines)
        self.room -= size
        return True

    def share(self, parts: int) -> _Writer:
        """A writer for one of ``parts`` parts still to come: an equal share of the room
        (what a part leaves goes to the next ones); :meth:`take` adds its lines."""
        return _Writer(self.room // max(1, parts))

    def take(self, part: _Writer) -> None:
        self.add(*part.lines)


def render_markdown(
    document: Document, *, unchanged: bool = False, max_chars: int = 60_000, limit: int = 50
) -> str:
    """``document`` as Markdown of at most ``max_chars`` characters (at most ``limit`` entries
    of a group, and each group an equal share of the room left, so every group shows its first
    entries). ``unchanged``: list unchanged items too, where the document holds them."""
    kind = document.header.kind
    groups = g.collect(document, limit, unchanged=unchanged)
    out = _Writer(max(0, max_chars - _TAIL))
    out.add(f"### {cell(g.title(document), 200)}", "", cell(g.about(document), 400), "")
    _summary(out, kind, document.summary)
    destructive = [x for t in groups.targets for x in groups.of(kind, groups.destructive, t)]
    sections: list[_Section] = [("Destructive changes", destructive, [], True)]
    for target in groups.targets:
        rest, skips = groups.of(kind, groups.rest, target), groups.skips_of(target)
        sections.append((target, rest, skips, False))
    shown = _sections(out, sections)
    everything = [*destructive, *groups.rest.values()]
    cut = [(grp, grp.count - shown.get(id(grp), 0)) for grp in everything]
    body = "\n".join(out.lines)
    tail = _tail(kind, [(grp, n) for grp, n in cut if n > 0], max_chars - len(body))
    return _bounded("\n".join([body, *tail]), max_chars)


#: A section's heading, its groups, its skips, and whether its groups name their target.
_Section = tuple[str, list[g.Group], list[g.Skips], bool]


def _sections(out: _Writer, sections: list[_Section]) -> dict[int, int]:
    """Each section that has entries under its heading, each group (and table of skips) in
    an equal share of the room left: how many entries of each group (by id) were written."""
    parts = sum(len(grps) + bool(skips) for _, grps, skips, _ in sections)
    shown: dict[int, int] = {}
    for heading, grps, skips, named in sections:
        if not (grps or skips) or not out.add("", f"#### {cell(heading, 80)}", ""):
            parts -= len(grps) + bool(skips)
            continue
        for group in grps:
            part = out.share(parts)
            shown[id(group)] = _group(part, group, named=named)
            out.take(part)
            parts -= 1
        if skips:
            part = out.share(parts)
            _skips(part, skips)
            out.take(part)
            parts -= 1
    return shown


def _summary(out: _Writer, kind: Kind, summary: Summary) -> None:
    names = g.columns(kind)
    heads = ["target", "vendor", *names, "upload", "destructive", "warnings"]
    heads += ["outcomes"] if kind is Kind.RUN else []
    out.add("| " + " | ".join(heads) + " |", "|" + "---|" * len(heads))
    for name, tally in summary.targets.items():
        row = g.counts(kind, tally)
        cells = [cell(name, 60), cell(tally.vendor, 30), *(str(row[n]) for n in names)]
        cells += [human_bytes(tally.upload_bytes), str(tally.destructive), str(tally.warnings)]
        cells += [cell(g.outcomes(tally), 200)] if kind is Kind.RUN else []
        out.add("| " + " | ".join(cells) + " |")
    if summary.notes:
        out.add("")
    for note in summary.notes:
        out.add(f"- **{cell(note.code, 40)}**: {cell(note.text, 500)}")


def _group(out: _Writer, group: g.Group, *, named: bool = False) -> int:
    """``group``'s heading and rows, as many as fit: the number of entries written."""
    target = f"{cell(group.target, 60)}: " if named else ""
    if not out.add(f"**{target}{cell(group.action, 20)}** ({group.count})", ""):
        return 0
    if not out.add("| key | file | owner | reason | details |", "|---|---|---|---|---|"):
        return 0
    written = 0
    for entry in group.entries:
        if not out.add(_row(entry)):
            break
        written += 1
    out.add("")
    return written


def _row(entry: Entry) -> str:
    owner = cell(entry.owner, 60) if entry.owner is not None else ""
    file = code(entry.filename) if entry.filename is not None else ""
    cells = [code(entry.key), file, owner, cell(entry.reason, 200), "<br>".join(_details(entry))]
    return "| " + " | ".join(cells) + " |"


def _details(entry: Entry) -> list[str]:
    lines = []
    for change in entry.changes:
        cannot = "" if change.applies else " (the target cannot update it: not applied)"
        lines.append(
            f"{cell(change.field, 60)}: {cell(g.value(change.old))} → "
            f"{cell(g.value(change.new))}{cannot}"
        )
    if entry.old is not None and entry.new is not None:
        lines.append(
            f"sha256 {cell(g.digest(entry.old))} → {cell(g.digest(entry.new))}, "
            f"{cell(g.facts(entry.old))} → {cell(g.facts(entry.new))}"
        )
    elif (file := entry.new or entry.old) is not None:
        lines.append(f"sha256 {cell(g.digest(file))}, {cell(g.facts(file))}")
    if entry.convert:
        lines.append(f"convert {cell(entry.convert, 80)}")
    if entry.shrink_to is not None:
        lines.append(f"shrink to {human_bytes(entry.shrink_to)}")
    if entry.moves_owner:
        lines.append(f"moves owner to {cell(entry.owner or '?', 60)}")
    if entry.outcome is not None:
        attempts = f" after {entry.attempts} attempts" if entry.attempts else ""
        error = f": {cell(entry.error, 300)}" if entry.error else ""
        lines.append(f"**{cell(entry.outcome, 20)}**{attempts}{error}")
    lines += [f"⚠ {cell(w.code, 40)}: {cell(w.text, 300)}" for w in entry.warnings]
    return lines


def _skips(out: _Writer, skips: list[g.Skips]) -> None:
    if not out.add("**skip**", "", "| reason | count | text | first keys |", "|---|---|---|---|"):
        return
    for skip in skips:
        keys = ", ".join(code(k, 60) for k in skip.keys)
        if not out.add(
            f"| {cell(skip.code, 40)} | {skip.count} | {cell(skip.text, 200)} | {keys} |"
        ):
            break
    out.add("")


def _tail(kind: Kind, cut: list[tuple[g.Group, int]], room: int) -> list[str]:
    """What was cut, a line a group; one line for all of them when they would not fit in
    ``room`` characters."""
    if not cut:
        return []
    full = f"the full {_NAMES[kind]}: `syncer show {_FILES[kind]}`"
    lines = [
        "",
        *(
            f"… {n} more {_plural(grp.action)} on {cell(grp.target, 60)} not shown"
            for grp, n in cut
        ),
    ]
    lines.append(f"_{full}_")
    if sum(len(line) + 1 for line in lines) <= room:
        return lines
    return ["", f"… {sum(n for _, n in cut)} more entries not shown; {full}"]


def _plural(action: str) -> str:
    return f"{action}s" if action in ACTIONS else f"{cell(action, 20)} entries"


def _bounded(text: str, max_chars: int) -> str:
    """``text`` cut at a line's end to ``max_chars`` (a last guard: the budget keeps to it)."""
    if len(text) <= max_chars:
        return text
    return text[: max(0, text.rfind("\n", 0, max_chars))]
