"""A plan, run report or check as one self-contained HTML page (``syncer plan --format html``).

The page opens anywhere (a mail attachment, a CI artifact) and loads nothing: the thumbnails are
``data:`` URIs, the style sheet and the filter script are inline and allowed by their hashes in a
strict Content-Security-Policy (:mod:`~syncer.plans.html_assets`), and every vendor string is
escaped (:mod:`~syncer.plans.html_rows`). Every row is in the page itself, so it reads in full
with scripts blocked; the script only hides rows by target, action, reason code and outcome.

Reading order: the summary (counts per target and action, bytes to upload, destructive count,
notes), then the destructive changes (deletes, replaces, owner moves) ahead of everything else,
then one section per target with its other rows grouped by action. Each entry is listed once.

Memory stays bounded for any size: the entries are read in two passes (destructive ones first,
so they get the thumbnail budget first), each row written as it is made into a spooled temporary
file per (section, target, action); the page is then written from those files in order. Nothing
here imports rich or the engine.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO

from syncer.display import human_bytes
from syncer.plans.html_assets import SCRIPT, STYLE, csp
from syncer.plans.html_rows import COLUMNS, Thumbs, esc, label, row
from syncer.plans.model import ACTIONS, FINDINGS, OUTCOMES, Document, Entry, Kind, Summary

#: A bucket's rows stay in memory up to this many characters (64k: a page of many targets and
#: actions holds a few MB at most), then go to a temporary file.
_SPOOL_CHARS = 1 << 16
_TITLES = {Kind.PLAN: "Plan", Kind.RUN: "Run report", Kind.CHECK: "Check"}
#: The filters: the row attribute each one reads, and its label.
_FILTERS = (("target", "Target"), ("action", "Action"), ("code", "Reason"), ("outcome", "Outcome"))
_Key = tuple[bool, str, str]


#: Rows the page lists at most per target and action.
ROWS_PER_GROUP = 1000


@dataclass
class _Listing:
    """What the passes listed: a spooled file of rows per (destructive, target, action), and
    counts per filter value (for the filters' options)."""

    stack: ExitStack
    buckets: dict[_Key, IO[str]] = field(default_factory=dict)
    sizes: Counter[_Key] = field(default_factory=Counter)
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)
    omitted: int = 0
    #: Rows listed at most per group; the rest of a group are counted (``cut``), not listed.
    rows_per_group: int = 2000
    cut: Counter[_Key] = field(default_factory=Counter)

    def wants(self, entry: Entry) -> bool:
        """Whether ``entry``'s group has room for its row (else it is counted as cut)."""
        key = (entry.destructive, entry.target, entry.action)
        if self.sizes[key] < self.rows_per_group:
            return True
        self.cut[key] += 1
        return False

    def add(self, entry: Entry, html: str) -> None:
        key = (entry.destructive, entry.target, entry.action)
        bucket = self.buckets.get(key)
        if bucket is None:
            spooled = tempfile.SpooledTemporaryFile(_SPOOL_CHARS, "w+", encoding="utf-8")  # noqa: SIM115
            bucket = self.buckets[key] = self.stack.enter_context(spooled)
        bucket.write(html)
        self.sizes[key] += 1
        if entry.target not in self.targets:
            self.targets.append(entry.target)
        for name, value in (("target", entry.target), ("action", entry.action)):
            self.counts.setdefault(name, Counter())[value] += 1
        self.counts.setdefault("code", Counter())[entry.code] += 1
        if entry.outcome is not None:
            self.counts.setdefault("outcome", Counter())[entry.outcome] += 1


def render_html(
    document: Document,
    out: IO[str],
    *,
    unchanged: bool = False,
    thumb_budget: int = 8_000_000,
    rows_per_group: int = ROWS_PER_GROUP,
) -> None:
    """Write ``document`` to ``out`` as one self-contained HTML page.

    ``unchanged``: list the unchanged entries the document holds too (always counted).
    ``thumb_budget``: at most this many bytes of thumbnails are embedded; past it, rows show a
    placeholder and the summary says the budget was reached. ``rows_per_group``: rows listed at
    most per target and action (the rest are counted, and the group says how to see them all), so
    a 100k-item plan stays a page a browser opens in seconds.
    """
    thumbs = Thumbs(document.thumbnails, thumb_budget)
    with ExitStack() as stack:
        listing = _Listing(stack, rows_per_group=rows_per_group)
        for destructive in (True, False):
            for entry in document.entries():
                if entry.destructive is not destructive:
                    continue
                if not unchanged and _is_unchanged(entry):
                    listing.omitted += 1
                    continue
                if listing.wants(entry):
                    listing.add(entry, row(entry, thumbs))
        _write_head(document, out)
        _write_summary(document, listing, thumbs, out)
        _write_filters(listing, out)
        _write_parts(document, listing, out)
        out.write(f"</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n")


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _is_unchanged(entry: Entry) -> bool:
    return entry.action == "unchanged" or (entry.action == "skip" and entry.code == "unchanged")


def _columns(document: Document) -> list[str]:
    """The actions (a check's findings) in summary order, then any other the document has."""
    known = list(FINDINGS if document.header.kind is Kind.CHECK else ACTIONS)
    for tally in document.summary.targets.values():
        known.extend(a for a in tally.actions if a not in known)
    return known


def _write_head(document: Document, out: IO[str]) -> None:
    header = document.header
    title = f"{_TITLES.get(header.kind, 'Report')}: {header.job}"
    out.write(
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp(STYLE, SCRIPT)}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{esc(title)} · syncer</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"<header><h1>{esc(title)}</h1>{_meta(document)}</header>\n"
    )


def _meta(document: Document) -> str:
    header = document.header
    pairs = [
        ("job", header.job),
        ("id", header.id),
        ("created", header.created_at),
        ("expires", header.expires_at),
        ("mode", header.mode),
        ("source", header.source),
        ("listing", header.listing),
        ("job file", header.job_file),
        *sorted(header.extra.items()),
    ]
    return _dl(pairs, "meta")


def _dl(pairs: list[tuple[str, object]], css: str) -> str:
    shown = "".join(
        f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in pairs if v not in (None, "")
    )
    return f'<dl class="{css}">{shown}</dl>' if shown else ""


def _cards(document: Document) -> list[tuple[str, str, str]]:
    """The summary's headline figures: (name, value, extra CSS class)."""
    tallies = document.summary.targets.values()
    if document.header.kind is Kind.CHECK:
        found = Counter[str]()
        for tally in tallies:
            found.update(tally.actions)
        return [
            (label(f), str(found[f]), " alert" if found[f] and f != "in_step" else "")
            for f in FINDINGS
        ]
    destructive = sum(t.destructive for t in tallies)
    cards = [
        ("changes", str(document.summary.changes), ""),
        ("to upload", human_bytes(sum(t.upload_bytes for t in tallies)), ""),
        ("destructive", str(destructive), " alert" if destructive else ""),
        ("warnings", str(sum(t.warnings for t in tallies)), ""),
        ("unchanged", str(sum(t.unchanged for t in tallies)), ""),
    ]
    if document.header.kind is Kind.RUN:
        failed = sum(t.outcomes.get("failed", 0) for t in tallies)
        cards.insert(0, ("failed", str(failed), " alert" if failed else ""))
    return cards


def _write_summary(document: Document, listing: _Listing, thumbs: Thumbs, out: IO[str]) -> None:
    summary = document.summary
    cards = _cards(document)
    out.write('<section id="summary"><h2>Summary</h2><div class="cards">')
    out.write(
        "".join(f'<div class="card{c}" data-card="{n}"><b>{v}</b>{n}</div>' for n, v, c in cards)
    )
    out.write("</div>\n")
    out.write(_counts_table(document, _columns(document)))
    if document.header.kind is Kind.RUN:
        out.write(_outcomes_table(summary))
    out.write(_reasons_table(summary, document.header.kind))
    if summary.notes:
        notes = "".join(f"<li><code>{esc(n.code)}</code> {esc(n.text)}</li>" for n in summary.notes)
        out.write(f'<h3>Notes</h3><ul class="notes">{notes}</ul>\n')
    if summary.facts:
        out.write(_dl(sorted(summary.facts.items()), "meta"))
    out.write(_listing_notes(listing, thumbs))
    out.write("</section>\n")


def _counts_table(document: Document, columns: list[str]) -> str:
    """Per target: entries by action, unchanged, bytes to upload, destructive, warnings."""
    names = [label(c) for c in columns] + ["unchanged", "upload", "destructive", "warnings"]
    heads = "".join(f'<th class="n">{esc(n)}</th>' for n in names)
    head = f"<tr><th>target</th><th>vendor</th>{heads}</tr>"
    body = []
    for name, tally in document.summary.targets.items():
        cells = [(f"{name}/{c}", tally.actions.get(c, 0)) for c in columns]
        cells.append((f"{name}/unchanged", tally.unchanged))
        tds = "".join(_count(key, n) for key, n in cells)
        hot = ' class="n hot"' if tally.destructive else ' class="n"'
        body.append(
            f"<tr><td>{esc(name)}</td><td>{esc(tally.vendor)}</td>{tds}"
            f'<td class="n">{human_bytes(tally.upload_bytes)}</td>'
            f'<td{hot} data-tally="{esc(name)}/destructive">{tally.destructive}</td>'
            f'<td class="n">{tally.warnings}</td></tr>'
        )
    return f'<table class="counts"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>\n'


def _count(key: str, count: int) -> str:
    css = "n" if count else "n zero"
    return f'<td class="{css}" data-tally="{esc(key)}">{count}</td>'


def _outcomes_table(summary: Summary) -> str:
    names = list(OUTCOMES)
    for tally in summary.targets.values():
        names.extend(o for o in tally.outcomes if o not in names)
    head = "".join(f'<th class="n">{esc(o)}</th>' for o in names)
    body = "".join(
        f"<tr><td>{esc(target)}</td>"
        + "".join(_count(f"{target}/outcome/{o}", tally.outcomes.get(o, 0)) for o in names)
        + "</tr>"
        for target, tally in summary.targets.items()
    )
    return (
        f'<h3>Outcomes</h3><table class="counts"><thead><tr><th>target</th>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>\n"
    )


def _reasons_table(summary: Summary, kind: Kind) -> str:
    rows = "".join(
        f'<tr><td>{esc(target)}</td><td><code>{esc(code)}</code></td><td class="n">{n}</td>'
        f"<td>{esc(tally.texts.get(code, code))}</td></tr>"
        for target, tally in summary.targets.items()
        for code, n in tally.reasons.most_common()
    )
    if not rows:
        return ""
    head = '<tr><th>target</th><th>reason</th><th class="n">items</th><th>text</th></tr>'
    return (
        f"<h3>{'Skipped or failed' if kind is Kind.RUN else 'Skipped'}, by reason</h3>"
        f'<table class="counts"><thead>{head}</thead>'
        f"<tbody>{rows}</tbody></table>\n"
    )


def _listing_notes(listing: _Listing, thumbs: Thumbs) -> str:
    notes = []
    if listing.omitted:
        notes.append(
            f'<p class="dim">{_n(listing.omitted, "unchanged entry", "unchanged entries")}: '
            "counted, not listed.</p>"
        )
    if thumbs.reached:
        notes.append(
            f'<p class="budget" id="budget">The thumbnail budget was reached: '
            f"{thumbs.embedded} thumbnails ({human_bytes(thumbs.embedded_bytes)}) are embedded; "
            "later rows show a placeholder.</p>"
        )
    return "".join(notes)


def _write_filters(listing: _Listing, out: IO[str]) -> None:
    """The filter bar: hidden until the script shows it (it does nothing without one)."""
    out.write('<nav id="filters" hidden aria-label="Filters">')
    for name, text in _FILTERS:
        counts = listing.counts.get(name)
        if not counts:
            continue
        options = "".join(
            f'<option value="{esc(v)}">{esc(label(v) if name == "action" else v)} ({n})</option>'
            for v, n in sorted(counts.items())
        )
        out.write(
            f'<label>{text}<select name="{name}"><option value="">all</option>'
            f"{options}</select></label>"
        )
    out.write('<button type="button" id="reset">Show all</button><span id="shown"></span></nav>\n')


def _write_parts(document: Document, listing: _Listing, out: IO[str]) -> None:
    """The destructive changes, then a section per target; each a group per action."""
    targets = list(document.summary.targets)
    targets.extend(t for t in listing.targets if t not in targets)
    columns = _columns(document)
    columns.extend(
        a
        for (_, _, a) in listing.buckets
        if a not in columns  # e.g. listed unchanged entries
    )
    destructive = [
        (True, t, a) for t in targets for a in columns if (True, t, a) in listing.buckets
    ]
    count = sum(document.summary.targets[t].destructive for t in document.summary.targets)
    out.write(f'<section class="part" id="destructive"><h2>Destructive changes ({count})</h2>\n')
    if destructive:
        out.write(
            '<p class="dim">Deletes, replaces (the old bytes go) and owner moves, listed here '
            "ahead of everything else and not again under their target.</p>\n"
        )
    else:
        out.write('<p class="dim">None: nothing is deleted, replaced or moved.</p>\n')
    for key in destructive:
        _write_group(key, listing, out, with_target=True)
    out.write("</section>\n")
    for number, target in enumerate(targets, 1):
        _write_target(document, number, target, columns, listing, out)


def _write_target(
    document: Document,
    number: int,
    target: str,
    columns: list[str],
    listing: _Listing,
    out: IO[str],
) -> None:
    tally = document.summary.targets.get(target)
    vendor = f' <span class="dim">{esc(tally.vendor)}</span>' if tally and tally.vendor else ""
    out.write(f'<section class="part target" id="target-{number}"><h2>{esc(target)}{vendor}</h2>\n')
    keys = [(False, target, a) for a in columns if (False, target, a) in listing.buckets]
    if tally is not None and tally.destructive:
        out.write(
            f'<p class="dim">{_n(tally.destructive, "destructive change")} of {esc(target)}: '
            'listed under <a href="#destructive">Destructive changes</a>.</p>\n'
        )
    if not keys:
        out.write('<p class="dim">No other entries.</p>\n')
    for key in keys:
        _write_group(key, listing, out, with_target=False)
    out.write("</section>\n")


def _write_group(key: _Key, listing: _Listing, out: IO[str], *, with_target: bool) -> None:
    _, target, action = key
    bucket = listing.buckets[key]
    where = f"{esc(target)} · " if with_target else ""
    heads = "".join(f'<div role="columnheader">{h}</div>' for h in COLUMNS)
    total = listing.sizes[key] + listing.cut[key]
    out.write(
        f'<section class="group"><h3>{where}<span class="badge a-{esc(action)}">'
        f'{esc(label(action))}</span><span class="dim">{total}</span></h3>\n'
        f'<div class="rows" role="table"><div class="head" role="row">{heads}</div>\n'
    )
    bucket.seek(0)
    shutil.copyfileobj(bucket, out)
    out.write("</div>")
    if listing.cut[key]:
        out.write(
            f'<p class="dim cut">and {listing.cut[key]} more, not listed here (the page lists the '
            f"first {listing.rows_per_group} of each group): all of them with "
            "<code>syncer show PLAN --format text</code> or <code>--format json</code></p>"
        )
    out.write("</section>\n")
