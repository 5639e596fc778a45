"""Documents as JSON files: written and read a line at a time, never one ``json.dumps``.

The schema (``docs/report-schema.md``) is versioned: ``"schema": "syncer/<kind>"`` and
``"version": "MAJOR.MINOR"``; a reader refuses another major version (a minor one only adds
fields, which readers ignore). The layout syncer writes is one JSON document with the entries
last, one entry a line::

    {"schema": "syncer/plan", "version": "1.0",
    "header": {...},
    "summary": {...},
    "thumbnails": {...},
    "entries": [
    {...},
    {...}
    ]}

so :func:`read_document` streams the entries of a 100k-item plan without holding them; any JSON
parser reads the file too, and a file reformatted by a tool is read whole (:func:`json.load`).
:class:`EntryLog` keeps entries in a temporary file while they are being made, so a plan's
memory does not grow with its size.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import IO, Any

from syncer.errors import ConfigError
from syncer.plans.model import (
    SCHEMA_MAJOR,
    SCHEMA_VERSION,
    Document,
    Entry,
    Header,
    Kind,
    Summary,
)

_ENTRIES_OPEN = '"entries": ['
_END = "]}"
#: Lines read for the head before reading the file whole: syncer writes four before the
#: entries; a later minor version may add members.
_HEAD_LINES = 16
#: The first line of a file in syncer's layout.
_FIRST_LINE = re.compile(r'\{"schema": "syncer/[a-z]+", "version": "[^"]*",\r?\n')


class DocumentError(ConfigError):
    """A plan or report file that cannot be read: not JSON, not syncer's, another major
    version, or cut short (exit code 2, like any bad input file)."""


class _Damaged(ValueError):
    """A file in syncer's layout whose head is cut short or not JSON."""


def _line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def write_document(document: Document, out: IO[str]) -> None:
    """Write ``document`` to ``out`` in the layout above, an entry at a time."""
    header = document.header
    out.write(f'{{"schema": "syncer/{header.kind.value}", "version": "{SCHEMA_VERSION}",\n')
    out.write(f'"header": {_line(header.to_json())},\n')
    out.write(f'"summary": {_line(document.summary.to_json())},\n')
    out.write('"thumbnails": {')
    for number, (sha256, uri) in enumerate(document.thumbnails.items()):  # a MB: not one dumps
        out.write(("," if number else "") + f"{_line(sha256)}:{_line(uri)}")
    out.write("},\n")
    out.write(_ENTRIES_OPEN + "\n")
    first = True
    for entry in document.entries():
        out.write(("" if first else ",\n") + _line(entry.to_json()))
        first = False
    out.write(("\n" if not first else "") + _END + "\n")


def save_document(document: Document, path: Path) -> None:
    """Write ``document`` to ``path`` atomically: a reader never sees half a file, and a
    failure leaves the previous file as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            write_document(document, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(name, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(name)
        raise


def read_document(path: Path, *, kind: Kind | None = None) -> Document:
    """The document in ``path``, its entries streamed from the file at each pass; raises
    :class:`DocumentError` naming the file for anything that is not such a document (or not
    of ``kind``, when given)."""
    try:
        with path.open("rb") as stream:
            head = _read_head(stream)
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except _Damaged as exc:
        raise DocumentError(f"{path}: cut short or damaged ({exc}); make it again") from None
    except ValueError as exc:  # UnicodeDecodeError too
        raise DocumentError(f"{path}: not a syncer document ({exc})") from None
    if head is None:  # not in syncer's layout: read it whole
        data = _load_whole(path)
        entries = data.get("entries")
        document = _document(path, data, lambda: [_entry(path, e) for e in entries or ()])
        if not isinstance(entries, list):
            raise DocumentError(f"{path}: not a syncer document (no entries list)")
    else:
        data, offset, lines = head
        document = _document(path, data, lambda: _stream_entries(path, offset, lines))
    if kind is not None and document.header.kind is not kind:
        raise DocumentError(
            f"{path} is a {document.header.kind.value} document, not a {kind.value}"
        )
    return document


def _read_head(stream: IO[bytes]) -> tuple[dict[str, Any], int, int] | None:
    """The document's fields before its entries, and where its entries begin (the byte
    offset, the lines before), when the file is in syncer's layout (None: another layout,
    read whole). A file that begins as syncer writes and does not reach its entries is cut
    short (:class:`_Damaged`)."""
    lines: list[str] = []
    offset = 0
    for _ in range(_HEAD_LINES):
        raw = stream.readline()
        if not raw:
            break
        offset += len(raw)
        line = raw.decode("utf-8")
        if line.rstrip("\r\n") == _ENTRIES_OPEN:
            try:
                data = json.loads("".join(lines) + '"entries": []}')
            except ValueError as exc:
                raise _Damaged(str(exc)) from None
            return (data, offset, len(lines) + 1) if isinstance(data, dict) else None
        lines.append(line)
    if lines and _FIRST_LINE.fullmatch(lines[0]):
        raise _Damaged("it ends before its entries")
    return None


def _load_whole(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as stream:
            data = json.load(stream)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DocumentError(f"{path}: not a syncer document ({exc})") from None
    if not isinstance(data, dict):
        raise DocumentError(f"{path}: not a syncer document (not a JSON object)")
    return data


def _document(path: Path, data: dict[str, Any], source: Any) -> Document:
    schema, version = data.get("schema"), str(data.get("version") or "")
    if not isinstance(schema, str) or not schema.startswith("syncer/"):
        raise DocumentError(f"{path}: not a syncer document (no syncer schema)")
    major = version.partition(".")[0]
    if major != str(SCHEMA_MAJOR):
        raise DocumentError(
            f"{path}: schema version {version or '?'} is not readable by this syncer "
            f"(it reads {SCHEMA_MAJOR}.x); use the syncer release that wrote it"
        )
    try:
        header = Header.from_json(data["header"])
        summary = Summary.from_json(data.get("summary") or {})
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise DocumentError(f"{path}: its header is not valid ({exc!r})") from None
    thumbs = data.get("thumbnails")
    thumbnails = {str(k): str(v) for k, v in thumbs.items()} if isinstance(thumbs, dict) else {}
    return Document(header, summary, source, thumbnails)


def _entry(path: Path, data: Any) -> Entry:
    try:
        if not isinstance(data, dict):
            raise TypeError("not an object")
        return Entry.from_json(data)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise DocumentError(f"{path}: an entry is not valid ({exc!r})") from None


def _stream_entries(path: Path, offset: int, before: int) -> Iterator[Entry]:
    """The entries of a file in syncer's layout, one line at a time from ``offset`` (the
    head, thumbnails and all, is not read again); ``before``: the lines above it."""
    with path.open("rb") as raw:
        raw.seek(offset)
        stream = io.TextIOWrapper(raw, encoding="utf-8")
        for number, line in enumerate(stream, before + 1):
            text = line.rstrip("\n")
            if text == _END:
                return
            try:
                data = json.loads(text.removesuffix(","))
            except ValueError as exc:
                raise DocumentError(
                    f"{path}: line {number} is not a valid entry ({exc}): the file is cut "
                    "short or damaged; make it again"
                ) from None
            yield _entry(path, data)
    raise DocumentError(f"{path}: cut short (its entries do not end); make it again")


class EntryLog:
    """Entries kept in a temporary file while a document is being made, read back at every
    pass; the file goes with :meth:`close` (or the context's end)."""

    def __init__(self, directory: Path | None = None) -> None:
        fd, name = tempfile.mkstemp(prefix="syncer-entries-", suffix=".jsonl", dir=directory)
        self.path = Path(name)
        self._file = os.fdopen(fd, "w", encoding="utf-8")
        self.count = 0
        #: A log nobody closed (a plan run's summary dropped) still goes, with its file.
        self._finalizer = weakref.finalize(self, _remove, self._file, self.path)

    def add(self, entry: Entry) -> None:
        self._file.write(_line(entry.to_json()) + "\n")
        self.count += 1

    def __iter__(self) -> Iterator[Entry]:
        self._file.flush()
        with self.path.open(encoding="utf-8") as stream:
            for line in stream:
                yield Entry.from_json(json.loads(line))

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> EntryLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _remove(file: IO[str], path: Path) -> None:
    file.close()
    with suppress(FileNotFoundError):
        path.unlink()
