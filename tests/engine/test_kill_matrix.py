"""A seeded, randomized ``kill -9`` matrix: every target vendor, faults on (5xx, resets, 429,
lost answers), several kills at random moments, then a run to completion. Verified through the
target emulators' admin side: every source image on every target exactly once, with bytes.

``SYNCER_KILL_SEED`` picks the seed; the failure message prints it so a case reproduces."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from syncer.testing.connections import DEMO_CONNECTION as CONNECTION
from syncer.testing.faults import FaultConfig
from syncer.testing.server import serve_in_thread
from syncer.vendors import emulator_class
from tests.engine.test_kill import start
from tests.engine.test_pairs import TARGET_EXTRA, target_owner

SEED = int(os.environ.get("SYNCER_KILL_SEED", "8"))
CASES = {"beproduct": ("beproduct",), "moov": ("moov",), "fan-out": ("partium", "spiffy")}


def job_text(targets: tuple[str, ...], owners: list[str]) -> str:
    text = f'[source]\nvendor = "spiffy"\nbase_url = "${{SOURCE_URL}}"\n{CONNECTION["spiffy"]}'
    for i, (vendor, owner) in enumerate(zip(targets, owners, strict=True)):
        text += (
            f'\n[[targets]]\nname = "t{i}"\nvendor = "{vendor}"\nbase_url = "${{T{i}_URL}}"\n'
            f"{CONNECTION[vendor]}{TARGET_EXTRA.get(vendor, '')}"
            f'\n[targets.mapping]\ndefault_owner = "{owner}"\n'
        )
    return text


def faults(seed: int) -> FaultConfig:
    return FaultConfig(
        latency_ms=20,
        jitter_ms=10,
        error_rate=0.05,
        reset_rate=0.03,
        rate_limit=60,
        lost_answer=0.05,
        seed=seed,
    )


def live(emulator: Any) -> list[Any]:
    return [i for i in emulator.store.iter_images() if not i.deleted]


@pytest.mark.parametrize("case", sorted(CASES))
def test_kill_matrix(case: str, tmp_path: Path) -> None:
    rng = random.Random(f"{SEED}-{case}")
    why = f"case {case}, SYNCER_KILL_SEED={SEED}"
    source = emulator_class("spiffy")()
    source.seed(rng.randint(6, 12), 2, seed_value=rng.randint(0, 999))
    targets = [emulator_class(v)() for v in CASES[case]]
    for target in targets:
        target.seed(0, 1)
    owners = [target_owner(v, t) for v, t in zip(CASES[case], targets, strict=True)]
    job = tmp_path / "job.toml"
    job.write_text(job_text(CASES[case], owners))
    with serve_in_thread(source) as s_url:
        env = {"SOURCE_URL": s_url}
        servers = [serve_in_thread(t) for t in targets]
        for i, server in enumerate(servers):
            env[f"T{i}_URL"] = server.__enter__()
        try:
            for n, emulator in enumerate([source, *targets]):
                emulator.faults.configure(faults(rng.randint(0, 10**6) + n))
            for _ in range(3):
                process = start(job, tmp_path, env)
                time.sleep(rng.uniform(0.3, 2.0))
                if process.poll() is None:
                    os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            rerun = start(job, tmp_path, env)
            assert rerun.wait(timeout=60) == 0, f"final run failed: {why}"
            want = len(live(source))
            for vendor, target in zip(CASES[case], targets, strict=True):
                images = live(target)
                assert len(images) == want, f"{vendor}: {len(images)} of {want} images; {why}"
                assert all(i.size > 0 and i.sha256 for i in images), f"{vendor} bytes; {why}"
                if vendor == "spiffy":  # same vendor as the source: no conversion, same bytes
                    shas = sorted(i.sha256 for i in images)
                    assert shas == sorted(i.sha256 for i in live(source)), f"bytes; {why}"
        finally:
            for server in servers:
                server.__exit__(None, None, None)
