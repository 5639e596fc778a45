"""Documents made on the fly for the renderers' tests: many entries (streamed, never held),
hostile names, run reports and checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from syncer.plans.model import Document, Entry, FileFacts, Header, Kind, Summary

#: Names that try to leave their place: rich markup, HTML, a terminal escape, table pipes,
#: a code span, a heading, a mention, a newline.
HOSTILE_NAMES = (
    "[bold]x[/]",
    '"><script>alert(1)</script>',
    "\x1b[31mred\x1b[0m.jpg",
    "a|b|c.jpg",
    "`code`.jpg",
    "# heading.jpg",
    "@octocat.jpg",
    "two\nlines.jpg",
    "*bold* _it_ [link](http://x) <b>&amp;",
)


def header(kind: Kind = Kind.PLAN) -> Header:
    return Header(kind, "demo", "2026-12-04T10:00:00+00:00", id="doc-1")


def streamed(header: Header, make: Callable[[int], Entry], count: int) -> Document:
    """A document of ``count`` entries made anew at each pass (its summary from one pass)."""

    def entries() -> Iterator[Entry]:
        return (make(i) for i in range(count))

    summary = Summary()
    for entry in entries():
        summary.add(entry)
    return Document(header, summary, entries)


def hostile_create(i: int, *, target: str = "shop", long: int = 0) -> Entry:
    """A create whose key and file name are hostile (padded to ``long`` more characters)."""
    name = HOSTILE_NAMES[i % len(HOSTILE_NAMES)] + "|<&>`" * (long // 5)
    return Entry(
        target,
        f"k{i}{name}",
        "create",
        "new_item",
        f"new item {name}",
        filename=name,
        owner=f"o{i % 7}",
        new=FileFacts(f"{i:064x}", 1000 + i, "image/jpeg", 10, 10),
    )
