"""A seeded ``kill -9`` matrix of the scheduler: faults on both emulators (5xx, resets, 429s, lost
answers), the scheduler killed at random moments of its runs, restarted each time (DBOS recovers
its tick, the journal adopts what was sent), the source changed in between; at the end every live
source image is on the target exactly once, by its bytes, and no two runs of the job overlapped.

``SYNCER_KILL_SEED`` picks the seed; a failure prints it so the case reproduces."""

from __future__ import annotations

import itertools
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

from syncer.emulators.faults import FaultConfig
from tests.engine.test_kill_matrix import faults
from tests.schedule.rig import World, job_text, ledger, png, start_scheduler, wait_until, world

SEED = int(os.environ.get("SYNCER_KILL_SEED", "8"))
KILLS = 3


def _shas(emulator: object) -> Counter[str]:
    store = emulator.store  # type: ignore[attr-defined]
    return Counter(i.sha256 for i in store.iter_images() if not i.deleted)


def _change(w: World, rng: random.Random) -> None:
    live = [i for i in w.partium.store.iter_images() if not i.deleted]
    w.partium.admin_delete(rng.choice(live))
    owner = w.partium.store.owners_of()[0]
    w.partium.admin_add(owner, f"added-{rng.randint(0, 999)}.png", png(rng.randint(0, 255)), {})


def test_a_scheduler_killed_at_random_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    rng = random.Random(f"{SEED}-schedule")
    url = f"sqlite+aiosqlite:///{tmp_path}/.syncer/state.db"
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    delete = "\n[targets.delete]\nenabled = true\nmax_percent = 100\n"
    (jobs / "job.toml").write_text(
        job_text(url, "*/2 * * * * *").replace("\n[targets.delete]\nenabled = true\n", delete)
    )
    history: list[str] = []
    with world(images=rng.randint(10, 16)) as w:
        for n, emulator in enumerate((w.partium, w.spiffy)):
            emulator.faults.configure(faults(rng.randint(0, 10**6) + n))
        for kill in range(KILLS):
            scheduler = start_scheduler(jobs, tmp_path, w.env, name=f"killed-{kill}")
            wait_until(lambda: len(w.spiffy.requests) > 0, alive=scheduler)
            moment = rng.uniform(0.2, 3.0)
            time.sleep(moment)
            scheduler.stop(signal.SIGKILL)
            history.append(f"kill {kill} at {moment:.2f} s")
            if rng.random() < 0.5:
                _change(w, rng)
                history.append("source changed")
        why = f"SYNCER_KILL_SEED={SEED}: {history}"
        for emulator in (w.partium, w.spiffy):
            emulator.faults.configure(FaultConfig())
        last = start_scheduler(jobs, tmp_path, w.env, name="last")
        try:
            wait_until(lambda: last.said("scheduled job(s)"), alive=last)
            wait_until(lambda: _shas(w.spiffy) == _shas(w.partium), alive=last, timeout=90)
        finally:
            assert last.stop() == 0, why
        assert _shas(w.spiffy) == _shas(w.partium), why  # each once: nothing lost or doubled
    _, runs = ledger(url)
    for before, after in itertools.pairwise(runs):
        assert before.finished_at is not None, why
        assert before.finished_at <= after.started_at, f"{why}: {before} / {after}"
