"""Field templates of a job's mapping, such as ``alt = "{title}"``: checked at load, rendered pure.

A template is text with ``{field}`` placeholders naming canonical record fields
(:data:`PLACEHOLDERS`); ``{{`` and ``}}`` write literal braces. Format specs and conversions
(``{position:03d}``, ``{title!r}``) are refused: a template names fields, nothing more. A field
that is None renders as an empty string.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from string import Formatter

from syncer.records import ImageRecord

#: Record fields a template may set (the text fields every target writes).
TEMPLATE_TARGETS = ("alt", "title", "filename")
#: Names allowed inside ``{}``: canonical record fields, plus ``stem`` (filename without extension).
PLACEHOLDERS = (
    "key",
    "owner",
    "filename",
    "stem",
    "mime",
    "size",
    "sha256",
    "alt",
    "title",
    "position",
    "version",
)
_FORMATTER = Formatter()


def check_template(template: str) -> None:
    """Raise ValueError naming the first placeholder or brace that is not allowed."""
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise ValueError(f"template {template!r}: {exc}; write {{{{ or }}}} for a brace") from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            raise ValueError(
                f"template {template!r}: unknown field {{{name}}}; "
                f"use one of {', '.join(PLACEHOLDERS)}"
            )
        if spec or conversion:
            raise ValueError(
                f"template {template!r}: {{{name}}} takes no format spec or conversion; "
                f"write {{{name}}}"
            )


def render_fields(templates: Mapping[str, str], record: ImageRecord) -> dict[str, str]:
    """Each template rendered over ``record``: ``{"alt": "{title}"}`` -> ``{"alt": "Red bolt"}``.

    Templates are assumed checked (:func:`check_template`); values that are None render empty.
    """
    values = _values(record)
    return {
        field: "".join(
            literal + (values[name] if name is not None else "")
            for literal, name, _spec, _conversion in _FORMATTER.parse(template)
        )
        for field, template in templates.items()
    }


def _values(record: ImageRecord) -> dict[str, str]:
    values = {
        name: "" if (value := getattr(record, name)) is None else str(value)
        for name in PLACEHOLDERS
        if name != "stem"
    }
    values["stem"] = posixpath.splitext(record.filename)[0]
    return values
