"""One entry point for every format: ``render(document, format, out)``.

Each renderer reads only the :class:`~syncer.plans.model.Document`; they are imported when used,
so printing JSON never loads rich or the HTML templates.
"""

from __future__ import annotations

from enum import StrEnum
from typing import IO

from syncer.plans.model import Document


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"
    #: One line an entry, tab-separated (:mod:`syncer.plans.flat`).
    LIST = "list"


def render(
    document: Document, fmt: Format, out: IO[str], *, unchanged: bool = False, color: bool = False
) -> None:
    """Write ``document`` to ``out`` as ``fmt``. ``unchanged``: list the unchanged items too
    (counted always; listed only on request, where the document holds them)."""
    if fmt is Format.JSON:
        from syncer.plans.jsonfile import write_document

        write_document(document, out)
    elif fmt is Format.MARKDOWN:
        from syncer.plans.markdown import render_markdown

        out.write(render_markdown(document, unchanged=unchanged))
    elif fmt is Format.LIST:
        from syncer.plans.flat import render_list

        render_list(document, out, unchanged=unchanged)
    elif fmt is Format.HTML:
        from syncer.plans.html import render_html

        render_html(document, out, unchanged=unchanged)
    else:
        from syncer.plans.terminal import render_terminal

        render_terminal(document, out, unchanged=unchanged, color=color)
