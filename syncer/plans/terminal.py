"""A document for a terminal or a pipe (``syncer show``, ``syncer plan``), with rich.

The summary comes first (a row per target: its entries by action, bytes to upload, destructive
changes, warnings), then the document's notes, then the destructive changes (deletes, replaces,
owner moves) ahead of everything else, then each target's entries by action, at most ``limit``
per group. Every vendor string is a :class:`rich.text.Text` made :func:`~syncer.display.printable`
(the console parses no markup and no emoji), so a file name such as ``[bold]x[/]`` or one with a
terminal escape shows literally. Colour only with ``color``; to a pipe, lines are not wrapped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from syncer.display import clipped, human_bytes, printable
from syncer.plans import groups as g
from syncer.plans.model import Document, Entry, Kind, Summary

#: The width of a table when the output is not a terminal.
PIPE_WIDTH = 120
#: Each action's mark and colour.
_MARKS = {
    "delete": ("-", "red"),
    "replace": ("-/+", "yellow"),
    "create": ("+", "green"),
    "update": ("~", "cyan"),
    "skip": ("·", "dim"),
    g.UNCHANGED: ("=", "dim"),
    "missing": ("?", "red"),
    "changed": ("~", "yellow"),
    "foreign": ("!", "magenta"),
    "in_step": ("=", "dim"),
}


def render_terminal(
    document: Document,
    out: IO[str],
    *,
    unchanged: bool = False,
    color: bool = False,
    limit: int = 50,
    width: int | None = None,
) -> None:
    """Write ``document`` to ``out`` for people. ``unchanged``: list unchanged items too (when
    the document holds them); ``width`` None: the terminal's (with ``color``), else
    :data:`PIPE_WIDTH`."""
    console = Console(
        file=out,
        force_terminal=color,
        no_color=not color,
        width=width or (None if color else PIPE_WIDTH),
        markup=False,
        emoji=False,
        highlight=False,
        soft_wrap=True,
    )
    kind = document.header.kind
    groups = g.collect(document, limit, unchanged=unchanged)
    console.print(Text(g.title(document), style="bold"))
    console.print(Text(g.about(document)))
    console.print(_summary(kind, document.summary))
    console.print(Text(_totals(document.summary)))
    for line in _notes(document.summary):
        console.print(line)
    destructive = [x for t in groups.targets for x in groups.of(kind, groups.destructive, t)]
    if destructive:
        console.print()
        console.print(Text("Destructive changes", style="bold red"))
        for group in destructive:
            _group(console, group, kind, named=True)
    for target in groups.targets:
        _target(console, document, groups, target, unchanged=unchanged)


def _summary(kind: Kind, summary: Summary) -> Table:
    names = g.columns(kind)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("target", "vendor", *names):
        table.add_column(column, justify="left" if column in ("target", "vendor") else "right")
    table.add_column("upload", justify="right")
    table.add_column("destructive", justify="right")
    table.add_column("warnings", justify="right")
    if kind is Kind.RUN:
        table.add_column("outcomes", no_wrap=True)
    for name, tally in summary.targets.items():
        row = g.counts(kind, tally)
        vendor = clipped(tally.vendor, 20) or "-"
        cells = [clipped(name, 40), vendor, *(str(row[n]) for n in names)]
        cells += [human_bytes(tally.upload_bytes), str(tally.destructive), str(tally.warnings)]
        if kind is Kind.RUN:
            cells.append(g.outcomes(tally))
        table.add_row(*(Text(c) for c in cells))
    return table


def _totals(summary: Summary) -> str:
    tallies = summary.targets.values()
    upload = human_bytes(sum(t.upload_bytes for t in tallies))
    destructive = sum(t.destructive for t in tallies)
    warnings = sum(t.warnings for t in tallies)
    return (
        f"{summary.changes} changes, {upload} to upload, {destructive} destructive, "
        f"{warnings} warnings"
    )


def _notes(summary: Summary) -> Iterator[Text]:
    for note in summary.notes:
        yield Text.assemble(("note ", "bold"), f"{clipped(note.code, 40)}: ", printable(note.text))


def _target(
    console: Console, document: Document, groups: g.Groups, target: str, *, unchanged: bool
) -> None:
    kind = document.header.kind
    rest, skips = groups.of(kind, groups.rest, target), groups.skips_of(target)
    tally = document.summary.targets.get(target)
    counted = g.counts(kind, tally).get(g.UNCHANGED, 0) if tally is not None else 0
    if not rest and not skips and not counted:
        return
    console.print()
    console.print(Text(clipped(target, 80), style="bold"))
    for group in rest:
        _group(console, group, kind)
    for skip in skips:
        keys = ", ".join(clipped(k, 60) for k in skip.keys)
        more = f", … {skip.count - len(skip.keys)} more" if skip.count > len(skip.keys) else ""
        console.print(
            Text.assemble(
                ("  skip ", "dim"),
                f"{clipped(skip.code, 40)} ×{skip.count}: {clipped(skip.text, 200)} ",
                (f"({keys}{more})", "dim"),
            )
        )
    if counted and not any(group.action == g.UNCHANGED for group in rest):
        hint = " (not listed in this document)" if unchanged else ""
        console.print(Text(f"  {counted} unchanged{hint}", style="dim"))


def _group(console: Console, group: g.Group, kind: Kind, *, named: bool = False) -> None:
    """``group``'s entries under a line of its action (and target, when ``named``)."""
    mark, style = _MARKS.get(group.action, ("*", ""))
    target = f"{clipped(group.target, 40)}: " if named else ""
    head = f"  {target}{clipped(group.action, 20)} ({group.count})"
    console.print(Text(head, style=style or "bold"))
    for entry in group.entries:
        for line in _entry(entry, mark, style, kind):
            console.print(line)
    if group.cut:
        console.print(Text(f"    … and {group.cut} more (all of them: --format json)"))


def _entry(entry: Entry, mark: str, style: str, kind: Kind) -> Iterator[Text]:
    head = Text.assemble(f"    {mark} ", (clipped(entry.key), style))
    if entry.filename is not None:
        head.append(f"  {clipped(entry.filename)}")
    for label, value in (("owner", entry.owner), ("id", entry.target_id)):
        if value is not None:
            head.append(f"  {label} {clipped(value, 60)}", style="dim")
    if entry.reason:
        head.append(f"  ({clipped(entry.reason, 200)})")
    yield head
    for line in _details(entry, kind):
        yield Text("        " + line)
    for note in entry.warnings:
        yield Text(f"        ! {clipped(note.code, 40)}: {printable(note.text)}", style="yellow")


def _details(entry: Entry, kind: Kind) -> Iterator[str]:
    for change in entry.changes:
        cannot = "" if change.applies else "  [the target cannot update it: not applied]"
        yield f"{clipped(change.field, 60)}: {g.value(change.old)} → {g.value(change.new)}{cannot}"
    if entry.action == "replace" or (entry.old is not None and entry.new is not None):
        yield (
            f"sha256 {g.digest(entry.old)} → {g.digest(entry.new)}, "
            f"{g.facts(entry.old)} → {g.facts(entry.new)}"
        )
    elif entry.new is not None or entry.old is not None:
        file = entry.new or entry.old
        yield f"sha256 {g.digest(file)}, {g.facts(file)}"
    if entry.convert:
        yield f"convert {clipped(entry.convert, 80)}"
    if entry.shrink_to is not None:
        yield f"shrink to {human_bytes(entry.shrink_to)}"
    if entry.moves_owner:
        yield f"moves owner to {clipped(entry.owner or '?', 60)}: made there, the old one deleted"
    if entry.outcome is not None or kind is Kind.RUN:
        attempts = f" after {entry.attempts} attempts" if entry.attempts else ""
        error = f": {clipped(entry.error, 500)}" if entry.error else ""
        yield f"outcome {clipped(entry.outcome or '?', 20)}{attempts}{error}"
