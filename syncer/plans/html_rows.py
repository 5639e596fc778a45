"""One :class:`~syncer.plans.model.Entry` as one row of the HTML page, and the thumbnails.

Every value that came from a vendor or a source (keys, file names, owners, reasons, old and new
field values, error messages) goes through :func:`esc` (``html.escape`` with ``quote=True``),
in text and in attributes alike, so a file name such as ``"><script>…`` stays text.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from syncer.display import human_bytes
from syncer.plans.model import Change, Entry, FileFacts

#: How a check's findings read in a badge (a plan's and a run's actions read as they are).
LABELS = {
    "missing": "missing",
    "changed": "changed",
    "foreign": "foreign",
    "in_step": "in step",
}
#: The actions whose rows always show a thumbnail (or a placeholder in its place).
_SIDES = {"create": ("new",), "delete": ("old",), "replace": ("old", "new")}
#: The attribute of a new value that differs from the old one.
_DIFF = ' class="diff"'
#: The headings of the columns of every group of rows.
COLUMNS = ("Image", "Action", "Item", "Owner", "Reason", "Details")


def esc(value: object) -> str:
    """``value`` as HTML text or attribute value (quotes escaped too)."""
    return escape(str(value), quote=True)


def label(action: str) -> str:
    return LABELS.get(action, action)


def short_sha(sha256: str) -> str:
    """The first 8 and last 4 hex digits: enough to tell two files apart by eye."""
    return sha256 if len(sha256) <= 14 else f"{sha256[:8]}…{sha256[-4:]}"


class Thumbs:
    """The document's thumbnails, embedded while the total stays within ``budget`` bytes.

    Once one does not fit, the budget is spent: that image and every later one show a
    placeholder, and :attr:`reached` says so (the page tells its reader). Only ``data:image/``
    URIs are embedded; anything else counts as no thumbnail.
    """

    def __init__(self, thumbnails: Mapping[str, str], budget: int) -> None:
        self._thumbnails = thumbnails
        self._left = budget
        self.reached = False
        self.embedded = 0
        self.embedded_bytes = 0

    def uri(self, facts: FileFacts | None) -> str | None:
        """The thumbnail of ``facts`` to embed now, or None (none, or the budget is spent)."""
        if facts is None or facts.sha256 is None:
            return None
        found = self._thumbnails.get(facts.sha256)
        if not isinstance(found, str) or not found.startswith("data:image/"):
            return None
        if self.reached or len(found) > self._left:
            self.reached = True
            return None
        self._left -= len(found)
        self.embedded += 1
        self.embedded_bytes += len(found)
        return found

    def has(self, facts: FileFacts | None) -> bool:
        return facts is not None and facts.sha256 in self._thumbnails

    def cell(self, entry: Entry) -> str:
        """The row's image cell: old and new side by side for a replace."""
        sides = _SIDES.get(entry.action)
        if sides is None:  # an update, a skip, a finding: thumbnails only where there are some
            sides = tuple(s for s in ("old", "new") if self.has(getattr(entry, s)))
        name = entry.filename or entry.key
        return "".join(self._figure(getattr(entry, side), side, name) for side in sides)

    def _figure(self, facts: FileFacts | None, side: str, name: str) -> str:
        uri = self.uri(facts)
        if uri is None:
            text = "thumbnail budget reached" if self.reached else "no thumbnail"
            return f'<figure><div class="ph">{text}</div><figcaption>{side}</figcaption></figure>'
        alt = esc(f"{side}: {name}")
        return f'<figure><img src="{esc(uri)}" alt="{alt}"><figcaption>{side}</figcaption></figure>'


def row(entry: Entry, thumbs: Thumbs) -> str:
    """The entry as one grid row (a ``div`` of ARIA role ``row``), with the data-* attributes
    the filters read."""
    attrs = (
        f'data-target="{esc(entry.target)}" data-action="{esc(entry.action)}" '
        f'data-code="{esc(entry.code)}"'
    )
    if entry.outcome is not None:
        attrs += f' data-outcome="{esc(entry.outcome)}"'
    classes = "row destructive" if entry.destructive else "row"
    return (
        f'<div class="{classes}" role="row" {attrs}>'
        f'<div class="thumbs" role="cell">{thumbs.cell(entry)}</div>'
        f'<div role="cell">{_badges(entry)}</div><div role="cell">{_item(entry)}</div>'
        f'<div role="cell">{esc(entry.owner or "")}</div>'
        f'<div role="cell"><code>{esc(entry.code)}</code><br>{esc(entry.reason)}</div>'
        f'<div class="details" role="cell">{_details(entry)}</div></div>\n'
    )


def _badges(entry: Entry) -> str:
    action = esc(entry.action)
    out = f'<span class="badge a-{action}">{esc(label(entry.action))}</span>'
    if entry.moves_owner:
        out += '<span class="badge move">owner move</span>'
    if entry.outcome is not None:
        outcome = esc(entry.outcome)
        out += f'<span class="badge o-{outcome}">{outcome}</span>'
    return out


def _item(entry: Entry) -> str:
    name = f'<span class="file">{esc(entry.filename)}</span>' if entry.filename else ""
    key = f"key <code>{esc(entry.key)}</code>"
    if entry.target_id:
        key += f" · id <code>{esc(entry.target_id)}</code>"
    return f'{name}<span class="key">{key}</span>'


def _details(entry: Entry) -> str:
    """Files, changed fields, conversion, shrink, warnings and a run's outcome, as a list."""
    items: list[str] = []
    if entry.old is not None and entry.new is not None:
        items.append(_compare(entry.old, entry.new))
    elif entry.new is not None or entry.old is not None:
        facts = entry.new or entry.old
        assert facts is not None
        items.append(f'<li class="dim">{_facts_line(facts)}</li>')
    items.extend(_change(change, entry.target) for change in entry.changes)
    if entry.convert:
        items.append(f'<li><span class="field">convert</span> {esc(entry.convert)}</li>')
    if entry.shrink_to is not None:
        items.append(
            f'<li><span class="field">shrink</span> to at most {human_bytes(entry.shrink_to)}'
            f" ({entry.shrink_to} bytes)</li>"
        )
    items.extend(
        f'<li class="warn"><code>{esc(w.code)}</code> {esc(w.text)}</li>' for w in entry.warnings
    )
    items.extend(_run(entry))
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _change(change: Change, target: str) -> str:
    old, new = esc(_value(change.old)), esc(_value(change.new))
    text = f'<span class="field">{esc(change.field)}</span> <del>{old}</del> → <ins>{new}</ins>'
    if change.applies:
        return f"<li>{text}</li>"
    return f'<li class="fixed">{text}<span class="tag">{esc(target)} cannot update it</span></li>'


def _value(value: object) -> str:
    return "(none)" if value is None or value == "" else str(value)


def _run(entry: Entry) -> list[str]:
    items = []
    if entry.attempts is not None:
        plural = "" if entry.attempts == 1 else "s"
        items.append(f'<li class="dim">{entry.attempts} attempt{plural}</li>')
    if entry.error:
        items.append(f'<li class="error">{esc(entry.error)}</li>')
    return items


def _facts_line(facts: FileFacts) -> str:
    parts = [esc(facts.mime)] if facts.mime else []
    if facts.size is not None:
        parts.append(human_bytes(facts.size))
    if facts.width and facts.height:
        parts.append(f"{facts.width}×{facts.height} px")
    if facts.sha256:
        parts.append(f"sha256 {_sha(facts)}")
    return " · ".join(parts)


def _compare(old: FileFacts, new: FileFacts) -> str:
    """Old and new file side by side; the values that differ stand out."""
    rows = "".join(
        f"<tr><th>{name}</th><td>{a}</td><td{_DIFF if a != b else ''}>{b}</td></tr>"
        for name, a, b in (
            ("sha256", _sha(old), _sha(new)),
            ("size", _size(old), _size(new)),
            ("type", esc(old.mime or "?"), esc(new.mime or "?")),
            ("pixels", _pixels(old), _pixels(new)),
        )
    )
    head = "<tr><th></th><th>old</th><th>new</th></tr>"
    return f'<li><table class="facts">{head}{rows}</table></li>'


def _sha(facts: FileFacts) -> str:
    if not facts.sha256:
        return "?"
    return f'<code title="{esc(facts.sha256)}">{esc(short_sha(facts.sha256))}</code>'


def _size(facts: FileFacts) -> str:
    return "?" if facts.size is None else human_bytes(facts.size)


def _pixels(facts: FileFacts) -> str:
    return f"{facts.width}×{facts.height}" if facts.width and facts.height else "?"
