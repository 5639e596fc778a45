"""How names and messages from vendors and sources are shown to people: one printable line.

Names may hold anything (control characters, quotes, terminal escapes, bidi controls): an error
message, a plan in a terminal and a report page must show them literally and harmlessly. The
engine's failure messages (:mod:`syncer.engine.failures`) and the renderers of
:mod:`syncer.plans` share these, so this module imports nothing of either.
"""

from __future__ import annotations

from typing import Final

#: Longest key or file name shown in a message, in characters (the rest is elided).
NAME_CHARS: Final = 120


def shown(name: str) -> str:
    """``name`` as a quoted literal (control characters escaped), at most ``NAME_CHARS`` long."""
    if len(name) <= NAME_CHARS:
        return repr(name)
    return f"{name[:NAME_CHARS]!r}… ({len(name)} characters)"


def printable(text: str) -> str:
    """``text`` with every non-printable character (newline, escape, bidi control) escaped,
    so that one error is one line and cannot rewrite the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def clipped(text: str, limit: int = NAME_CHARS) -> str:
    """``text`` made :func:`printable`, cut to ``limit`` characters with an ellipsis (and
    the full length) when longer: a name that cannot flood a line or a table cell."""
    line = printable(text)
    if len(line) <= limit:
        return line
    return f"{line[:limit]}… ({len(line)} characters)"


def human_bytes(count: int, small: str = "B") -> str:
    """``count`` bytes in decimal units (as vendors document their limits): ``512 B``,
    ``2.0 kB``, ``9.0 MB``; ``small`` names the unit below a kilobyte (``bytes`` in messages)."""
    if abs(count) < 1000:
        return f"{count} {small}"
    value, unit = float(count) / 1000, "kB"
    for bigger in ("MB", "GB", "TB"):
        if abs(value) < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{value:.1f} {unit}"
