"""The rows, tags, sections and summary counts of a rendered HTML page, read with the standard
library's parser (for the HTML renderer's tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Row:
    attrs: dict[str, str]
    imgs: list[str] = field(default_factory=list)
    placeholders: int = 0
    text: str = ""
    section: str = ""


class Page(HTMLParser):
    """The rows of a rendered page (attributes, images, text), its tags and its sections."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[Row] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.sections: list[str] = []
        self.tallies: dict[str, str] = {}
        self._row: Row | None = None
        self._depth = 0  # divs open inside the row
        self._tally: str | None = None
        self._in_ph = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append((tag, values))
        if tag == "section" and "part" in values.get("class", ""):
            self.sections.append(values["id"])
        if self._row is not None and tag == "div":
            self._depth += 1
        elif tag == "div" and "row" in values.get("class", "").split():
            self._row = Row(values, section=self.sections[-1])
            self.rows.append(self._row)
        if self._row is not None and tag == "img":
            self._row.imgs.append(values["src"])
        self._in_ph = values.get("class") == "ph"
        self._tally = values.get("data-tally")

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._row is not None:
            if self._depth == 0:
                self._row = None
            else:
                self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._row is not None:
            self._row.text += data
            self._row.placeholders += self._in_ph
        if self._tally is not None:
            self.tallies[self._tally] = data
            self._tally = None
        self._in_ph = False
