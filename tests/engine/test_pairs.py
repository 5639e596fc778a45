"""Every ordered pair of vendors (4 × 3): a migration on in-process emulators, verified through
the target emulator's admin side: the same images, the same bytes or the documented conversion
(a type the target refuses becomes PNG), and no extras."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from syncer.emulators import emulator_class
from syncer.emulators.server import serve
from syncer.engine.run import Mode, run_job
from syncer.http import open_session
from syncer.jobs import load_job
from syncer.spool import Spool
from syncer.state import StateStore
from syncer.testing.connections import DEMO_CONNECTION as CONNECTION
from syncer.vendors import VENDORS as REGISTRY
from tests.engine.rigs import TARGET_EXTRA, target_owner

VENDORS = tuple(sorted(REGISTRY))
PAIRS = [(s, t) for s in VENDORS for t in VENDORS if s != t]
SEED = 9


def job_text(source: str, target: str, owner: str) -> str:
    return (
        f'[source]\nvendor = "{source}"\nbase_url = "${{SOURCE_URL}}"\n{CONNECTION[source]}'
        f'\n[[targets]]\nname = "target"\nvendor = "{target}"\nbase_url = "${{TARGET_URL}}"\n'
        f"{CONNECTION[target]}{TARGET_EXTRA.get(target, '')}"
        f'\n[targets.mapping]\ndefault_owner = "{owner}"\n'
    )


def aspect(data: bytes) -> float:
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        return round(width / height, 2)


@pytest.fixture
async def pair(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    source_vendor, target_vendor = request.param
    source, target = emulator_class(source_vendor)(), emulator_class(target_vendor)()
    source.seed(SEED, 1 if source_vendor == "moov" else 2, seed_value=11)  # one Moov account
    target.seed(0, 1)
    owner = target_owner(target_vendor, target)
    async with serve(source) as s_url, serve(target) as t_url, open_session() as session:
        path = tmp_path / "job.toml"
        path.write_text(job_text(source_vendor, target_vendor, owner))
        job = load_job(path, {"SOURCE_URL": s_url, "TARGET_URL": t_url})
        async with (
            await StateStore.open(f"sqlite+aiosqlite:///{tmp_path}/s.db") as store,
            Spool(tmp_path / "spool") as spool,
        ):
            yield {
                "source": source,
                "target": target,
                "job": job,
                "store": store,
                "spool": spool,
                "session": session,
                "vendors": (source_vendor, target_vendor),
            }


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{s}-to-{t}" for s, t in PAIRS], indirect=True)
async def test_migration_between_every_pair(pair: dict[str, Any]) -> None:
    source, target = pair["source"], pair["target"]
    summary = await run_job(
        pair["job"], Mode.MIGRATE, store=pair["store"], spool=pair["spool"], session=pair["session"]
    )
    assert summary.status == "succeeded", summary.errors
    wanted = [source.store.data(i) for i in source.store.iter_images() if not i.deleted]
    got = [target.store.data(i) for i in target.store.iter_images() if not i.deleted]
    assert len(got) == len(wanted) == SEED  # every image, no extras
    if pair["vendors"][0] == "moov":  # Moov serves renditions only (long side 2048 px)
        assert sorted(map(aspect, got)) == pytest.approx(sorted(map(aspect, wanted)), abs=0.02)
    else:
        same = {hashlib.sha256(d).hexdigest() for d in wanted}
        for data in got:
            if hashlib.sha256(data).hexdigest() not in same:  # a refused type became PNG
                assert data.startswith(b"\x89PNG"), "neither the same bytes nor a PNG"
                assert "png" in target.accepted_formats
    again = await run_job(
        pair["job"], Mode.SYNC, store=pair["store"], spool=pair["spool"], session=pair["session"]
    )
    assert sum(again.done.values()) == 0, again.done
