"""The HTML page's one inline style sheet and one inline script, and their CSP hashes.

Both are constants: the page's Content-Security-Policy allows exactly these two blocks by their
sha256 (:func:`csp`), so no other script or style can run in the page, whatever a vendor put in
a file name. The script only filters rows that are already in the page (the page reads in
full with scripts blocked); it builds nothing from strings (no ``innerHTML``), touches only the
rows whose state changes, and nothing at load.

Rows are grid ``div`` elements (ARIA roles ``table``, ``row``, ``cell``), not table rows, so that
``content-visibility: auto`` lets the browser skip the layout of rows off screen: Chromium opened
a page of 10,000 rows in 3.1 s instead of 11.4 s as ``<table>`` rows, and filtered it in 0.5 s
instead of 1.9 s (``bench/html_page.py --browser``).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Final

STYLE: Final = """
:root{--ink:#1d2330;--dim:#667085;--line:#e3e6ec;--band:#f5f6f9;--accent:#2f5bd3;
--del:#b42318;--del-bg:#fdecea;--rep:#b54708;--rep-bg:#fef4e6;--new:#067647;--new-bg:#e8f6ee;
--upd:#1d4ed8;--upd-bg:#e9effd;--skip:#475467;--skip-bg:#eef0f3;--warn:#8a6100;--warn-bg:#fff7d6}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",sans-serif;
color:var(--ink);background:#fff}
main{max-width:1360px;margin:0 auto;padding:24px 28px 64px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:36px 0 10px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h3{font-size:15px;margin:22px 0 8px;display:flex;gap:8px;align-items:center}
code,.mono{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.dim{color:var(--dim)}
.meta{display:flex;flex-wrap:wrap;gap:4px 18px;margin:6px 0 0;padding:0;color:var(--dim)}
.meta dt{display:inline;font-weight:600;color:var(--ink)}
.meta dd{display:inline;margin:0 0 0 4px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:18px 0}
.card{border:1px solid var(--line);border-radius:10px;padding:10px 16px;min-width:150px}
.card b{display:block;font-size:22px}
.card.alert{border-color:var(--del);background:var(--del-bg);color:var(--del)}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:7px 10px;border-bottom:1px solid var(--line)}
thead th{background:var(--band);font-size:12px;text-transform:uppercase;letter-spacing:.04em;
color:var(--dim)}
table.counts td.n,table.counts th.n{text-align:right;font-variant-numeric:tabular-nums}
table.counts td.zero{color:#c0c5cf}
table.counts tr.total td{font-weight:600;border-top:2px solid var(--line)}
td.hot{color:var(--del);font-weight:600}
ul.notes{margin:8px 0;padding-left:20px}
.budget{border-left:4px solid var(--warn);background:var(--warn-bg);padding:8px 12px}
nav#filters{position:sticky;top:0;z-index:2;display:flex;flex-wrap:wrap;gap:10px 16px;
align-items:center;margin:24px 0 0;padding:10px 14px;background:#fffffff0;
border:1px solid var(--line);border-radius:10px;box-shadow:0 2px 8px #0000000f}
nav#filters label{font-weight:600}
nav#filters select{margin-left:6px;font:inherit;padding:3px 6px}
nav#filters button{font:inherit;padding:3px 12px}
#shown{color:var(--dim);margin-left:auto}
.rows .head,.rows .row{display:grid;
grid-template-columns:226px 126px minmax(0,18fr) minmax(0,8fr) minmax(0,16fr) minmax(0,30fr)}
.rows .head{background:var(--band);font-size:12px;font-weight:600;text-transform:uppercase;
letter-spacing:.04em;color:var(--dim);border-bottom:1px solid var(--line)}
.rows .head>div,.rows .row>div{padding:7px 10px;overflow-wrap:break-word}
.rows .row{border-bottom:1px solid var(--line);content-visibility:auto;
contain-intrinsic-size:auto 120px}
.rows .row.destructive{box-shadow:inset 4px 0 0 var(--del)}
.rows .thumbs{white-space:nowrap}
figure{display:inline-block;margin:0 8px 0 0;text-align:center;vertical-align:top}
figure img,figure .ph{display:block;width:96px;height:96px;object-fit:contain;
background:var(--band);border:1px solid var(--line);border-radius:6px}
figure .ph{display:flex;align-items:center;justify-content:center;font-size:11px;
color:var(--dim);padding:6px;white-space:normal}
figcaption{font-size:11px;color:var(--dim);margin-top:2px}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;
background:var(--skip-bg);color:var(--skip);margin:0 4px 3px 0;white-space:nowrap}
.a-delete,.a-missing,.o-failed{background:var(--del-bg);color:var(--del)}
.a-replace,.a-changed,.move{background:var(--rep-bg);color:var(--rep)}
.a-create,.a-in_step,.o-done{background:var(--new-bg);color:var(--new)}
.a-update,.a-foreign{background:var(--upd-bg);color:var(--upd)}
.file{font-weight:600;display:block}
.key{color:var(--dim);font-size:12.5px}
.details ul{margin:0;padding-left:0;list-style:none}
.details li{margin:0 0 4px}
.details del{color:var(--del);background:var(--del-bg);text-decoration:line-through;padding:0 3px}
.details ins{color:var(--new);background:var(--new-bg);text-decoration:none;padding:0 3px}
.field{font-weight:600}
li.fixed{color:var(--dim)}
.tag{font-size:11px;border:1px solid currentColor;border-radius:4px;padding:0 4px;margin-left:4px}
li.warn{background:var(--warn-bg);color:var(--warn);border-radius:4px;padding:2px 6px}
li.error{background:var(--del-bg);color:var(--del);border-radius:4px;padding:2px 6px}
table.facts{width:auto;margin:0 0 6px}
table.facts th,table.facts td{padding:1px 10px 1px 0;border:0;font-size:12.5px}
table.facts th{color:var(--dim);font-weight:600;white-space:nowrap}
table.facts td{white-space:nowrap}
table.facts td.diff{font-weight:600;color:var(--rep)}
@media print{nav#filters{display:none!important}.rows .row{content-visibility:visible}}
"""

SCRIPT: Final = """
"use strict";
(() => {
  const nav = document.getElementById("filters");
  if (!nav) return;
  const selects = Array.from(nav.querySelectorAll("select"));
  const groups = Array.from(document.querySelectorAll("section.group"));
  const parts = Array.from(document.querySelectorAll("section.part"));
  const shown = document.getElementById("shown");
  const total = document.querySelectorAll("div.row").length;
  function apply() {
    const want = selects.filter((s) => s.value !== "").map((s) => [s.name, s.value]);
    let count = 0;
    for (const group of groups) {
      let visible = 0;
      for (const row of group.querySelectorAll("div.row")) {
        const ok = want.every(([name, value]) => row.dataset[name] === value);
        if (row.hidden === ok) row.hidden = !ok;
        if (ok) visible += 1;
      }
      if (group.hidden !== (visible === 0)) group.hidden = visible === 0;
      count += visible;
    }
    for (const part of parts) {
      part.hidden = want.length > 0 && !part.querySelector("section.group:not([hidden])");
    }
    shown.textContent = count === total
      ? `all ${total} rows shown`
      : `${count} of ${total} rows shown`;
  }
  for (const select of selects) select.addEventListener("change", apply);
  document.getElementById("reset").addEventListener("click", () => {
    for (const select of selects) select.value = "";
    apply();
  });
  nav.hidden = false;
  shown.textContent = `all ${total} rows shown`;
})();
"""


def source_hash(text: str) -> str:
    """A CSP hash source for an inline block of exactly ``text``: ``'sha256-…'``."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def csp(style: str = STYLE, script: str = SCRIPT) -> str:
    """The page's policy: nothing from anywhere, images from ``data:`` URIs only, and just
    the page's own style and script (by hash); no ``<base>``, no form posts."""
    return (
        f"default-src 'none'; img-src data:; style-src {source_hash(style)}; "
        f"script-src {source_hash(script)}; base-uri 'none'; form-action 'none'"
    )
