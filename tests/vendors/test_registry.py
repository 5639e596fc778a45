"""The registries are the only lists of vendors: a fifth vendor is its folders and one line each."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import syncer
from syncer.vendors import VENDORS

#: A fifth vendor, "acme", as a package outside syncer: a client and its one Settings dataclass,
#: and a stand-in for its emulator (only what the registry-driven lists read from it).
ACME = {
    "__init__.py": "",
    "client.py": """
        class AcmeClient:
            def __init__(self, settings, session, lane=None):
                self.settings = settings
    """,
    "settings.py": """
        from __future__ import annotations

        from dataclasses import dataclass, field
        from typing import Annotated

        from pydantic import Field

        from syncer.vendors.fields import SECRET, SOURCE, TARGET, URL, Limit

        @dataclass(frozen=True, slots=True, kw_only=True)
        class AcmeSettings:
            base_url: Annotated[str, URL] = "https://api.acme.test"
            api_token: Annotated[str, Field(min_length=1), SECRET] = field(repr=False)
            page_size: Annotated[int, Field(ge=1, le=25)] = 25
            since: Annotated[str | None, SOURCE] = None
            batch: Annotated[int, Field(ge=1), TARGET] = 10
            concurrency: Annotated[int, Limit("concurrency")] = 3
    """,
    "emulator.py": """
        class AcmeEmulator:
            default_port = 8199
            demo_connection = 'api_token = "demo"\\n'
    """,
}

SCRIPT = """
import json, sys
from pathlib import Path
from syncer.emulators import EMULATORS
from syncer.vendors import VENDORS, Vendor

VENDORS["acme"] = Vendor("acme", "AcmeClient", "AcmeSettings")
EMULATORS["acme"] = "acme.emulator:AcmeEmulator"

from click.testing import CliRunner
from syncer.cli import main
from syncer.jobs import JobFileError, load_job
from syncer.testing.connections import DEMO_CONNECTION

job_dir = Path(sys.argv[1])
connection = DEMO_CONNECTION["acme"]
good = job_dir / "good.toml"
good.write_text(
    f'[source]\\nvendor = "acme"\\nsince = "2026-01-01"\\n{connection}'
    '[[targets]]\\nvendor = "acme"\\nname = "copy"\\nbatch = 5\\napi_token = "t"\\n'
    '[targets.mapping]\\ndefault_owner = "o"\\n'
)
job = load_job(good, {})
bad = job_dir / "bad.toml"
bad.write_text(good.read_text().replace('since = "2026-01-01"', "batch = 0\\npage_size = 26"))
try:
    load_job(bad, {})
    problems = []
except JobFileError as exc:
    problems = [f"{p.key}: {p.message}" for p in exc.problems]
print(json.dumps({
    "source": repr(job.source.settings()),
    "target": repr(job.target("copy").settings()),
    "problems": problems,
    "shown": str(job.redacted()),
    "emulate": CliRunner().invoke(main, ["emulate", "--help"]).output,
}))
"""


def _with_acme(tmp_path: Path) -> dict[str, str]:
    package = tmp_path / "acme"
    package.mkdir()
    for name, text in ACME.items():
        (package / name).write_text(textwrap.dedent(text), encoding="utf-8")
    root = str(Path(syncer.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(tmp_path), root))}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, str] = json.loads(done.stdout)
    return result


def test_one_registry_line_makes_a_fifth_vendor_usable_in_job_files_and_the_cli(
    tmp_path: Path,
) -> None:
    seen = _with_acme(tmp_path)
    assert seen["source"] == (
        "AcmeSettings(base_url='https://api.acme.test', page_size=25, since='2026-01-01', "
        "batch=10, concurrency=3)"
    )
    assert "batch=5" in seen["target"]
    assert "since=None" in seen["target"]
    assert seen["problems"] == [
        "source.page_size: 26 should be less than or equal to 25",
        "source.batch: unknown key; allowed keys here: api_token, base_url, concurrency, "
        "page_size, rate, since, vendor",
    ]
    assert "demo" not in seen["shown"].replace("'t'", "")
    assert "acme" in seen["emulate"]
    assert "8199 acme" in seen["emulate"]


def _vendor_lists(path: Path) -> Iterator[str]:
    """Where ``path`` lists the vendors: a literal holding every vendor's name, or imports from
    more than one vendor's package (clients, emulators or harnesses)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set | ast.Dict):
            items = node.keys if isinstance(node, ast.Dict) else node.elts
            if set(VENDORS) <= {item.value for item in items if isinstance(item, ast.Constant)}:
                yield f"line {node.lineno} lists every vendor"
        modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        modules += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        imported |= {part for module in modules for part in module.split(".")[2:4]} & set(VENDORS)
    if len(imported) > 1:
        yield f"imports from {', '.join(sorted(imported))}"


def test_no_module_but_the_registries_lists_the_vendors() -> None:
    package = Path(syncer.__file__).resolve().parent
    registries = {package / "vendors" / "__init__.py", package / "emulators" / "__init__.py"}
    # The demo tells one story with named vendors; it is not a list to extend.
    stories = {package / "demo.py"}
    found = [
        f"{path.relative_to(package)}: {where}"
        for path in sorted(package.rglob("*.py"))
        if path not in registries | stories
        for where in _vendor_lists(path)
    ]
    assert found == []
