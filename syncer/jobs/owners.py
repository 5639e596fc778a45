"""Owner maps from CSV files: one ``source,target`` pair a row.

A first row ``source,target`` is taken as a header and skipped; blank rows are skipped; a UTF-8
byte-order mark (as Excel writes) is allowed. Every bad row is reported, not just the first.
"""

from __future__ import annotations

import csv
from pathlib import Path

#: Bad rows named in one error before the rest are only counted.
MAX_ROWS_REPORTED = 10
_HEADER = ["source", "target"]


def read_owners_csv(path: Path) -> dict[str, str]:
    """The ``source -> target`` owner map in ``path``, or ValueError listing the bad rows."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    owners: dict[str, str] = {}
    problems: list[str] = []
    for number, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or (number == 1 and [c.lower() for c in cells] == _HEADER):
            continue
        problem = _row_problem(cells, owners)
        if problem:
            problems.append(f"line {number}: {problem}")
        else:
            owners[cells[0]] = cells[1]
    if problems:
        raise ValueError(_summary(path, problems))
    return owners


def _row_problem(cells: list[str], owners: dict[str, str]) -> str | None:
    if len(cells) != 2:
        return f"has {len(cells)} columns; write source,target"
    source, target = cells
    if not source or not target:
        return "has an empty source or target; write source,target"
    if source in owners and owners[source] != target:
        return f"maps {source!r} again (to {target!r}; earlier to {owners[source]!r})"
    return None


def _summary(path: Path, problems: list[str]) -> str:
    shown = problems[:MAX_ROWS_REPORTED]
    more = len(problems) - len(shown)
    tail = f"; and {more} more bad rows" if more else ""
    return f"{path}: " + "; ".join(shown) + tail
