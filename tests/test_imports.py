"""The import graph of syncer: no import cycles, and the import contracts cover every module.

The contracts themselves are in pyproject.toml ([tool.importlinter]) and run by `make lint`.
"""

import tomllib
from pathlib import Path

import grimp
import pytest

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
KIT = "syncer.testing"
PYTEST_CONTRACT = "only the kit (syncer.testing) imports pytest or hypothesis"

# None since issue 9. Should one ever have to be tolerated, it is listed here; the list only shrinks
# (a new cycle fails, and so does a listed one that is gone).
KNOWN_CYCLES: set[frozenset[str]] = set()


def import_cycles(graph: grimp.ImportGraph) -> set[frozenset[str]]:
    """The sets of modules that import each other in a circle (strongly connected, size > 1)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: set[frozenset[str]] = set()

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in order:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], order[imported])
        if low[module] == order[module]:
            members = stack[stack.index(module) :]
            del stack[stack.index(module) :]
            if len(members) > 1:
                cycles.add(frozenset(members))

    for module in sorted(graph.modules):
        if module not in order:
            visit(module)
    return cycles


def describe(cycles: set[frozenset[str]]) -> str:
    return "\n".join(sorted(" <-> ".join(sorted(cycle)) for cycle in cycles)) or "(none)"


@pytest.fixture(scope="module")
def syncer_graph() -> grimp.ImportGraph:
    return grimp.build_graph("syncer", cache_dir=None)


def test_syncer_has_no_import_cycles(syncer_graph: grimp.ImportGraph) -> None:
    found = import_cycles(syncer_graph)
    assert found == KNOWN_CYCLES, (
        f"new cycles:\n{describe(found - KNOWN_CYCLES)}\n"
        f"gone (delete them from KNOWN_CYCLES):\n{describe(KNOWN_CYCLES - found)}"
    )


def test_the_cycle_finder_finds_a_circle_and_ignores_a_chain() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")]:
        graph.add_import(importer=importer, imported=imported)
    assert import_cycles(graph) == {frozenset({"p.a", "p.b", "p.c"})}


def test_the_pytest_contract_covers_every_part_of_syncer_but_the_kit(
    syncer_graph: grimp.ImportGraph,
) -> None:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    (contract,) = (c for c in config["contracts"] if c["name"] == PYTEST_CONTRACT)
    parts = syncer_graph.find_children("syncer")
    assert set(contract["source_modules"]) == parts - {KIT}
