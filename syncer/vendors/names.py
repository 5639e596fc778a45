"""File names a target can be sent: control characters removed, extension kept, never empty.

A source may hold any name (Spiffy accepts ``evil\\r\\nx.png``); an HTTP header or multipart
``Content-Disposition`` cannot carry CR, LF or other control characters (aiohttp refuses to build
the body). Every target mapping passes its upload name through :func:`safe_filename`.
"""

from __future__ import annotations

import unicodedata

#: Unicode categories removed from names: controls, line and paragraph separators.
UNSAFE = frozenset({"Cc", "Zl", "Zp"})


def safe_filename(name: str, fallback: str) -> str:
    """``name`` without control characters and surrounding spaces; ``fallback`` when nothing is
    left but an extension (``fallback`` is made safe too, and ``image`` stands in for it)."""
    clean = _strip(name)
    stem, dot, extension = clean.rpartition(".")
    if clean and not (dot and not stem.strip()):
        return clean
    base = _strip(fallback) or "image"
    return f"{base}.{extension}" if dot and extension and "." not in base else base


def _strip(text: str) -> str:
    return "".join(c for c in text if unicodedata.category(c) not in UNSAFE).strip()
