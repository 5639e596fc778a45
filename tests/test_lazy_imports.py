"""Heavy libraries load when first needed, not when syncer starts: each check imports a module in
a fresh interpreter and looks at what came with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def loaded_after(code: str) -> set[str]:
    """The top-level packages a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport sys, json; print(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("FORCE_TERMINAL", None)
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    return {name.split(".")[0] for name in json.loads(out.stdout.splitlines()[-1])}


@pytest.mark.parametrize(
    ("code", "not_yet"),
    [
        ("import syncer.spool", {"PIL"}),
        ("import syncer.engine.progress", {"rich"}),
        (
            "from syncer.engine.progress import stderr_progress\n"
            "with stderr_progress() as progress: progress.listed(1)",
            {"rich"},
        ),
        ("import syncer.cli", {"aiohttp", "sqlalchemy", "pydantic", "rich", "PIL", "alembic"}),
    ],
)
def test_a_heavy_library_waits_for_its_first_use(code: str, not_yet: set[str]) -> None:
    assert loaded_after(code) & not_yet == set()


def test_the_conversions_still_import_on_first_use() -> None:
    assert "PIL" in loaded_after("from syncer.spool import convert")
    assert "rich" in loaded_after(
        "from syncer.engine.progress import TerminalProgress\nTerminalProgress()"
    )


def test_an_unknown_name_of_the_spool_is_an_attribute_error() -> None:
    import syncer.spool

    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        _ = syncer.spool.nothing
