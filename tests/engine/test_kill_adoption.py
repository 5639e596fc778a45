"""A create left ``sent`` by a ``kill -9`` is adopted only with its bytes: a BeProduct header the
killed run made but never finished uploading to is completed by the rerun (uploaded again,
polled to the end), not marked done empty (issue 8, item 1)."""

from __future__ import annotations

from pathlib import Path

from syncer.emulators.beproduct.emulator import BeProductEmulator
from syncer.emulators.faults import with_changes
from syncer.emulators.spiffy.emulator import SpiffyEmulator
from tests.engine.rigs import (
    admin_images,
    fan_out_job,
    finish,
    kill_when,
    served,
    start,
    target_owner,
)


def test_headers_a_killed_run_left_without_bytes_are_completed_by_the_rerun(
    tmp_path: Path,
) -> None:
    source, target = SpiffyEmulator(), BeProductEmulator()
    source.seed(6, 2, seed_value=3)
    target.seed(0, 1)
    job = tmp_path / "job.toml"
    job.write_text(fan_out_job("spiffy", [("beproduct", target_owner("beproduct", target))]))
    wanted = sorted(i.sha256 for i in source.store.iter_images())
    with served(source, [target]) as env:
        stuck = {"processing_polls": 10**6}  # no upload of the first run ever finishes
        target.knobs = with_changes(target.knobs, stuck)
        # kill -9 once every slot (concurrency 4) holds a header with no finished upload
        kill_when(start(job, tmp_path, env), lambda: len(admin_images(env["T0_URL"])) >= 4)
        assert not any(i["sha256"] for i in admin_images(env["T0_URL"]))

        target.knobs = with_changes(target.knobs, {"processing_polls": 1})
        code, output = finish(start(job, tmp_path, env))
        assert code == 0, output
        headers = admin_images(env["T0_URL"])
        assert sorted(h["sha256"] for h in headers) == wanted  # each with its bytes, once
        numbers = [h["fields"]["values"]["header_number"] for h in headers]
        assert len(set(numbers)) == 6

        code, output = finish(start(job, tmp_path, env, command="sync"))
        assert code == 0, output
        assert "6  t0: unchanged" in output, output
        assert admin_images(env["T0_URL"]) == headers
