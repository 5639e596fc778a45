"""The benchmarks use syncer as a user would: only public names (no ``_private`` imports)."""

from __future__ import annotations

import ast
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def private_imports(path: Path) -> list[str]:
    """``module.name`` for every underscore name ``path`` imports from syncer."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("syncer"):
            found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    return found


def test_the_benchmarks_import_only_public_syncer_names() -> None:
    scripts = sorted(BENCH.glob("*.py"))
    assert scripts
    assert {str(p.name): private_imports(p) for p in scripts if private_imports(p)} == {}
