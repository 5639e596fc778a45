"""A source file name no HTTP request can carry (``evil\\r\\nx.png``, which Spiffy accepts) is
pushed to every target under a safe name (issue 8, item 4), in a fan-out job, end to end."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

from syncer.emulators.images import generate
from syncer.emulators.moov.emulator import MoovEmulator
from syncer.emulators.partium.emulator import PartiumEmulator
from syncer.emulators.spiffy.emulator import SpiffyEmulator
from tests.engine.rigs import fan_out_job, finish, served, start, target_owner

EVIL = "evil\r\nx.png"


def test_a_name_with_cr_lf_reaches_moov_and_partium_under_a_safe_name(tmp_path: Path) -> None:
    source, moov, partium = SpiffyEmulator(), MoovEmulator(), PartiumEmulator()
    source.seed(3, 1, seed_value=4)
    data = generate(random.Random(8), ("png",)).data
    evil = source.admin_add(source.store.owners_of()[0], EVIL, data, {"alt": "hostile"})
    assert evil.filename == EVIL
    targets = {"moov": moov, "partium": partium}
    for emulator in targets.values():
        emulator.seed(0, 1)
    owners = [(vendor, target_owner(vendor, e)) for vendor, e in targets.items()]
    job = tmp_path / "job.toml"
    job.write_text(fan_out_job("spiffy", owners))
    with served(source, list(targets.values())) as env:
        code, output = finish(start(job, tmp_path, env))  # no traceback in it either
    assert code == 0, output
    for vendor, emulator in targets.items():
        images = [i for i in emulator.store.iter_images() if not i.deleted]
        assert len(images) == 4, f"{vendor}: {output}"
        [stored] = [i for i in images if i.sha256 == evil.sha256]
        assert not any(unicodedata.category(c) == "Cc" for c in stored.filename), vendor
        assert stored.filename.endswith(".png"), (vendor, stored.filename)
