"""A seeded, randomized ``kill -9`` matrix: every target vendor, faults on everywhere (5xx, resets,
429, lost answers), kills at random moments of every phase (listing, downloads, pushes, deletes),
several per run, each stage then run to completion. A migration, then a sync after the source
changed (images added, edited, deleted). Verified through the emulators' admin API after each
stage: every live source image is on every target exactly once with its bytes (the same sha256,
or the same pixels as PNG where the target refuses the source's format), and nothing else.

``SYNCER_KILL_SEED`` picks the seed; every failure message prints it so a case reproduces."""

from __future__ import annotations

import hashlib
import io
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from syncer.emulators import emulator_class
from syncer.emulators.base import VendorEmulator
from syncer.emulators.faults import FaultConfig
from syncer.emulators.images import generate, sniff_format
from tests.engine.rigs import (
    admin_bytes,
    admin_images,
    fan_out_job,
    finish,
    kill,
    served,
    start,
    target_owner,
)

SEED = int(os.environ.get("SYNCER_KILL_SEED", "8"))
CASES = {"beproduct": ("beproduct",), "moov": ("moov",), "fan-out": ("partium", "spiffy")}
DELETE = "enabled = true\nmax_percent = 100\n"
#: Phases with few requests in the sync stage (two changed images, three deletes per target).
FEW = ("downloads", "deletes")


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


# -- the phases of a run, told apart by the requests the emulators answered ----------------------


def counted(emulator: VendorEmulator, wanted: Callable[[str, str], bool]) -> int:
    requests = emulator.requests.items()
    return sum(n for (method, route, status), n in requests if status and wanted(method, route))


def is_listing(method: str, route: str) -> bool:  # the Spiffy source's listing and counts
    return method == "GET" and route.startswith("/api/")


def is_download(method: str, route: str) -> bool:  # the Spiffy source's files
    return method == "GET" and route.startswith("/sites/")


def is_delete(method: str, route: str) -> bool:  # BeProduct deletes with a GET
    return method == "DELETE" or "{Delete}" in route


def is_push(method: str, route: str) -> bool:  # BeProduct also lists and finds with a POST
    return method in ("POST", "PUT") and "token" not in route and not route.endswith("{Headers}")


@dataclass
class World:
    source: VendorEmulator
    targets: dict[str, VendorEmulator]
    env: dict[str, str] = field(default_factory=dict)

    def requests(self) -> int:
        """Every request the emulators saw, answered or reset."""
        return sum(sum(e.requests.values()) for e in [self.source, *self.targets.values()])

    def progress(self, phase: str) -> int:
        if phase == "listing":
            return counted(self.source, is_listing)
        if phase == "downloads":
            return counted(self.source, is_download)
        test = is_push if phase == "pushes" else is_delete
        return sum(counted(t, test) for t in self.targets.values())


def killed_at_random(world: World, job: Path, cwd: Path, phases: list[str], rng: Any) -> str:
    """A run ``kill -9``-ed once it has made a random few requests of a random phase, or a
    random time after its first request, or never if it ends first: what happened, for
    failure messages."""
    phase = rng.choice(phases)
    more = rng.randint(1, 2 if phase in FEW else 4)
    aim, quiet = world.progress(phase) + more, world.requests()
    wait, deadline = rng.uniform(0.3, 2.5), None
    process = start(job, cwd, world.env, command="sync" if "deletes" in phases else "migrate")
    while process.poll() is None:
        if deadline is None and world.requests() > quiet:
            deadline = time.monotonic() + wait  # it started talking
        reached = world.progress(phase) >= aim
        if reached or (deadline is not None and time.monotonic() > deadline):
            time.sleep(rng.uniform(0, 0.03))
            kill(process)
            return f"{phase}+{more}: {'then' if reached else f'not yet; killed {wait:.1f} s in'}"
        time.sleep(0.005)
    finish(process)
    return f"{phase}+{more}: it ended first"


# -- what the targets must hold --------------------------------------------------------------


def pixels(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as image:
        rgba = image.convert("RGBA")
        return "px:" + hashlib.sha256(repr(rgba.size).encode() + rgba.tobytes()).hexdigest()


def wanted_on(target: VendorEmulator, source_url: str) -> Counter[str]:
    """Each live source image as ``target`` must hold it: its sha256, or its pixels where the
    target refuses its format (the engine sends it as PNG)."""
    want: Counter[str] = Counter()
    for image in admin_images(source_url):
        data = admin_bytes(source_url, image["id"])
        fmt = sniff_format(data)
        want[image["sha256"] if fmt in target.accepted_formats else pixels(data)] += 1
    return want


def held_by(target_url: str, source_shas: set[str]) -> Counter[str]:
    held: Counter[str] = Counter()
    for image in admin_images(target_url):
        if image["sha256"] in source_shas:
            held[image["sha256"]] += 1
            continue
        data = admin_bytes(target_url, image["id"]) if image["sha256"] else b""
        held[pixels(data) if data.startswith(b"\x89PNG") else f"other:{image['sha256']}"] += 1
    return held


def run_to_completion(job: Path, cwd: Path, env: dict[str, str], command: str, why: str) -> str:
    """``command`` run to its end, which must succeed; then, if it resumed a listing a killed
    run left unfinished, one more sync: a resumed listing did not see the items listed before
    the kill, so it deletes nothing by absence and leaves that to the next full listing."""
    outputs = []
    for again in (command, "sync"):
        code, output = finish(start(job, cwd, env, command=again), timeout=90)
        outputs.append(output)
        assert code == 0, f"final {again} failed: {why}\n{output}"
        if "(resumed listing)" not in output:
            break
    return "\n".join(outputs)


def verify(world: World, why: str, output: str) -> None:
    source_url = world.env["SOURCE_URL"]
    shas = {i["sha256"] for i in admin_images(source_url)}
    for i, (vendor, target) in enumerate(world.targets.items()):
        want = wanted_on(target, source_url)
        held = held_by(world.env[f"T{i}_URL"], shas)
        assert held == want, (
            f"{vendor}: missing {want - held}, extra {held - want}; {why}\n{output}"
        )


def change_the_source(source: VendorEmulator, rng: random.Random) -> None:
    """Two images deleted, one given new bytes, one added (as a vendor user would)."""
    images = sorted(source.store.iter_images(), key=lambda i: i.id)
    gone, edited = images[:2], images[2]
    for image in gone:
        source.admin_delete(image)
    source.admin_edit(edited, {}, generate(rng, source.accepted_formats).data)
    owner = source.store.owners_of()[0]
    source.admin_add(owner, "added.png", generate(rng, ("png",)).data, {"alt": "new"})


@pytest.mark.parametrize("case", sorted(CASES))
def test_kill_matrix(case: str, tmp_path: Path) -> None:
    rng = random.Random(f"{SEED}-{case}")
    source = emulator_class("spiffy")()
    source.seed(rng.randint(5, 10), 2, seed_value=rng.randint(0, 999))
    targets = {v: emulator_class(v)() for v in CASES[case]}
    for target in targets.values():
        target.seed(0, 1)
    owners = [(v, target_owner(v, t)) for v, t in targets.items()]
    job = tmp_path / "job.toml"
    job.write_text(fan_out_job("spiffy", owners, delete=DELETE))
    with served(source, list(targets.values())) as env:
        world = World(source, targets, env)
        for n, emulator in enumerate([source, *targets.values()]):
            emulator.faults.configure(faults(rng.randint(0, 10**6) + n))
        stages = [("migrate", ["listing", "downloads", "pushes"], 2)]
        stages.append(("sync", ["listing", "downloads", "pushes", "deletes"], 2))
        history: list[str] = []
        for command, phases, kills in stages:
            if command == "sync":
                change_the_source(source, rng)
            history += [killed_at_random(world, job, tmp_path, phases, rng) for _ in range(kills)]
            why = f"case {case}, SYNCER_KILL_SEED={SEED}, {command}: {history}"
            output = run_to_completion(job, tmp_path, env, command, why)
            verify(world, why, output)
