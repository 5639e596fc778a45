"""A flat list: one line an entry, tab-separated, for ``grep``, ``awk`` and ``cut`` (what rclone's
users ask of ``check``, rclone #3264). No summary and no header line; the columns:

``action  target  key  target_id  bytes  filename  code``

``bytes`` is the size of the new file (a create or replace), else of the old one, else ``-``; an
empty value is ``-``. Vendor strings are made printable (:func:`syncer.display.printable`), so a
tab or a newline in a file name shows as ``\\t`` or ``\\n`` and never splits a line or a column.
Unchanged entries are listed only with ``unchanged``.
"""

from __future__ import annotations

from typing import IO

from syncer.display import printable
from syncer.plans.model import Document, Entry


def render_list(document: Document, out: IO[str], *, unchanged: bool = False) -> None:
    """Write ``document``'s entries to ``out``, a line each (destructive ones first)."""
    for destructive in (True, False):
        for entry in document.entries():
            if entry.destructive is not destructive:
                continue
            if not unchanged and entry.code == "unchanged":
                continue
            out.write("\t".join(_columns(entry)) + "\n")


def _columns(entry: Entry) -> list[str]:
    facts = entry.new or entry.old
    size = facts.size if facts is not None else None
    values = [
        entry.action,
        entry.target,
        entry.key,
        entry.target_id,
        None if size is None else str(size),
        entry.filename,
        entry.code,
    ]
    return [_cell(value) for value in values]


def _cell(value: str | None) -> str:
    if not value:
        return "-"
    return printable(value)
