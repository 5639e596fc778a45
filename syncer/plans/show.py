"""``syncer show FILE``: a saved plan, run report or check, rendered in any format.

The document is read with :func:`~syncer.plans.jsonfile.read_document` (entries streamed) and
written by :func:`~syncer.plans.render.render` to stdout or, with ``--out``, to a file made
atomically (a temporary file beside it, then :func:`os.replace`): a failure halfway leaves the
previous file as it was. A file that is not such a document is one line and exit code 2.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import IO

from syncer.plans.jsonfile import DocumentError, read_document
from syncer.plans.model import Document
from syncer.plans.render import Format, render

OK = 0


def show_command(path: Path, fmt: Format, out: Path | None, unchanged: bool) -> int:
    """Render the document in ``path`` as ``fmt`` to ``out`` (None: stdout); the exit code."""
    try:
        document = read_document(path)
        if out is None:
            _render(document, fmt, sys.stdout, unchanged)
        else:
            write_atomically(out, lambda stream: _render(document, fmt, stream, unchanged))
    except DocumentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        if out is None:
            raise  # stdout closed (`syncer show plan.json | head`): the group handles it
        print(f"error: cannot write {out} ({exc.strerror or exc})", file=sys.stderr)
        return DocumentError.exit_code
    return OK


def _render(document: Document, fmt: Format, stream: IO[str], unchanged: bool) -> None:
    color = fmt is Format.TEXT and stream.isatty() and not os.environ.get("NO_COLOR")
    render(document, fmt, stream, unchanged=unchanged, color=color)


def write_atomically(path: Path, write: Callable[[IO[str]], None]) -> None:
    """Make ``path`` with ``write(stream)``: all of it, or (on any failure) nothing."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            write(stream)
        os.replace(name, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(name)
        raise
