"""BeProduct -> Moov side by side: official-SDK script, 8-worker aiohttp script, ``syncer migrate``.

Each run starts fresh emulators (``syncer emulate beproduct`` and ``moov``, no rate limit,
``--latency-ms`` on both), loads the same ``--images`` images into BeProduct (from ``--seed``;
PNG, JPEG and WebP only, which Moov takes, so every contender copies the bytes unchanged; one in
a hundred of a few MB), then times one contender as a subprocess, wall clock from spawn to exit:
``sdk`` (``scripts/sdk_script.py``: sequential, ``beproduct`` + ``requests`` + ``moovio-sdk``),
``aiohttp`` (``scripts/aiohttp_script.py``: a lister and 8 workers, no retries) or ``syncer``
(``syncer migrate JOB``, fresh state and spool in a temp dir; the source keeps syncer's limits,
the target gets ``concurrency = 8`` like the script and a rate that cannot bind, since Moov's
default ``rate``, its documented 40/s, would cap it; ``--vendor-rate`` keeps the default).
Every run is verified through Moov's admin API: exactly ``--images`` images whose sha256s are
the source's, each once; anything else stops the benchmark with an error.

The admin API keeps request *counters*, not a timestamped log: the first listed page and the
first upload are timed by polling both emulators' ``/_emulator/stats`` every ``POLL`` seconds
(the first poll seeing ``POST .../Image/Headers`` answered 200, and ``POST
/accounts/{id}/images`` answered 201), from spawn, to about the poll interval.

    .venv/bin/python bench/compare.py [--images 200] [--latency 0,20,50] [--repeat 1] \
        [--contenders sdk,aiohttp,syncer] [--json out.json]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchlib import BENCH, admin, request_counts

from syncer.emulators.base import is_large
from syncer.emulators.images import generate
from syncer.emulators.moov.views import ALT_TEXT, FIRST_ACCOUNT
from syncer.emulators.process import emulator_process
from syncer.testing.connections import DEMO_CONNECTION

ROOT = BENCH.parent
SCRIPTS = BENCH / "scripts"
CONTENDERS = ("sdk", "aiohttp", "syncer")
LABELS = {"sdk": "SDK script", "aiohttp": "aiohttp script", "syncer": "syncer"}
#: What Moov accepts: the catalog holds nothing a contender would have to convert.
FORMATS = ("png", "jpeg", "webp")
FOLDERS = 4
POLL = 0.01
#: The Moov target's ``rate`` in the job: no limiter that binds (the emulator has none).
UNBOUND_RATE = 1_000_000.0
RUN_TIMEOUT = 600.0
#: (last route segment, status) of a listing page BeProduct answered, and of an upload to Moov.
LISTING, UPLOAD = ("Headers", 200), ("images", 201)


class BenchError(Exception):
    """A run that did not copy the catalog exactly: the benchmark stops with this message."""


@dataclass(frozen=True, slots=True)
class SourceImage:
    filename: str
    data: bytes
    fields: dict[str, str]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(slots=True)
class Run:
    """One contender's timed run at one latency."""

    contender: str
    latency_ms: float
    seconds: float
    first_list: float | None  # seconds from spawn to the first listing answered
    first_upload: float | None  # ... to the first upload answered
    requests: dict[str, int] = field(default_factory=dict)

    @property
    def first_upload_after_listing(self) -> float | None:
        if self.first_list is None or self.first_upload is None:
            return None
        return self.first_upload - self.first_list


def make_catalog(count: int, seed: int) -> list[SourceImage]:
    """``count`` distinct images, the same for the same ``seed``, with BeProduct header fields."""
    rng = random.Random(f"bench-compare-{seed}")
    catalog = []
    for index in range(count):
        image = generate(rng, FORMATS, large=is_large(index, seed))
        number = index + 1
        fields = {"header_name": f"Bench image {number}", "description": f"Alt text {number}"}
        catalog.append(SourceImage(f"bench-{number:05d}.{image.extension}", image.data, fields))
    return catalog


def load_source(url: str, catalog: list[SourceImage]) -> None:
    """Add the catalog to a fresh BeProduct emulator as a UI user would, over its folders."""
    folders = [owner["id"] for owner in admin(url, "/catalog")["owners"]]
    for index, image in enumerate(catalog):
        body = {
            "owner": folders[index % len(folders)],
            "filename": image.filename,
            "data_base64": base64.b64encode(image.data).decode(),
            "fields": image.fields,
        }
        admin(url, "/images", "POST", body)
    listed = sorted(i["sha256"] for i in admin(url, "/catalog")["images"] if not i["deleted"])
    if listed != sorted(image.sha256 for image in catalog):
        raise BenchError("the BeProduct emulator does not hold the catalog that was loaded")


def verify_target(url: str, catalog: list[SourceImage], contender: str) -> None:
    """Exactly the catalog in Moov's account, byte for byte (by sha256), each image once, and
    each with its alt text (so every contender did the same work)."""
    images = admin(url, "/catalog")["images"]
    live = [i for i in images if not i["deleted"] and i["owner"] == FIRST_ACCOUNT]
    got, wanted = Counter(i["sha256"] for i in live), Counter(i.sha256 for i in catalog)
    if len(images) != len(catalog) or got != wanted:
        missing = sum((wanted - got).values())
        extra = sum((got - wanted).values())
        raise BenchError(
            f"{contender}: Moov holds {len(images)} images ({len(live)} live in the account) "
            f"for {len(catalog)} sent; {missing} missing, {extra} unexpected or repeated"
        )
    alts = {i.sha256: i.fields["description"] for i in catalog}
    wrong = sum(1 for i in live if i["fields"].get(ALT_TEXT) != alts[i["sha256"]])
    if wrong:
        raise BenchError(f"{contender}: {wrong} of the images in Moov lack their alt text")


class Watcher:
    """Polls both emulators' request counters to time the first listing and the first upload."""

    def __init__(self, source: str, target: str, started: float) -> None:
        self.source, self.target, self.started = source, target, started
        self.first_list: float | None = None
        self.first_upload: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        while not self._stop.is_set() and self.first_upload is None:
            if self.first_list is None and answered(request_counts(self.source), *LISTING):
                self.first_list = time.perf_counter() - self.started
            if answered(request_counts(self.target), *UPLOAD):
                self.first_upload = time.perf_counter() - self.started
            self._stop.wait(POLL)


def answered(rows: list[dict[str, Any]], segment: str, status: int) -> int:
    """POSTs answered ``status`` on a route whose last segment names ``segment``: listing pages
    (``POST /api/{domain}/Image/Headers``, 200) or uploads (``POST .../images``, 201)."""
    return sum(
        r["count"]
        for r in rows
        if r["method"] == "POST"
        and segment in r["route"].rstrip("/").rsplit("/", 1)[-1]
        and r["status"] == status
    )


def requests_by_kind(source: str, target: str) -> dict[str, int]:
    """All requests each emulator answered, with the listing pages and uploads among them."""
    source_rows, target_rows = request_counts(source), request_counts(target)
    return {
        "beproduct": sum(r["count"] for r in source_rows),
        "listing_pages": answered(source_rows, *LISTING),
        "moov": sum(r["count"] for r in target_rows),
        "uploads": answered(target_rows, *UPLOAD),
    }


def write_job(directory: Path, source: str, target: str, vendor_rate: bool) -> Path:
    """The job ``syncer migrate`` runs: every BeProduct folder into the Moov demo account."""
    rate = "" if vendor_rate else f"rate = {UNBOUND_RATE}\n"
    text = (
        f'name = "compare"\nstate = "sqlite+aiosqlite:///{directory}/state.db"\n\n'
        f'[source]\nvendor = "beproduct"\nbase_url = "{source}"\n'
        f"{DEMO_CONNECTION['beproduct']}"
        f'\n[[targets]]\nname = "moov"\nvendor = "moov"\nbase_url = "{target}"\n'
        f"{DEMO_CONNECTION['moov']}concurrency = 8\n{rate}"
        f'\n[targets.mapping]\ndefault_owner = "{FIRST_ACCOUNT}"\nfields = {{ alt = "{{alt}}" }}\n'
    )
    path = directory / "compare.toml"
    path.write_text(text)
    return path


def command_for(contender: str, source: str, target: str, job: Path) -> list[str]:
    if contender == "syncer":
        return [sys.executable, "-m", "syncer", "migrate", str(job)]
    script = SCRIPTS / f"{contender}_script.py"
    return [sys.executable, str(script), "--beproduct", source, "--moov", target]


@contextmanager
def emulators(latency_ms: float, images: int) -> Iterator[tuple[str, str]]:
    """Fresh BeProduct and Moov emulators (Moov's image cap raised above ``images``)."""
    latency = ("--latency-ms", str(latency_ms))
    cap = ("--set", f"image_cap={max(300, images)}")
    with (
        emulator_process("beproduct", "--owners", str(FOLDERS), *latency) as source,
        emulator_process("moov", "--owners", "1", *cap, *latency) as target,
    ):
        yield source.url, target.url


def run_one(
    contender: str, latency_ms: float, catalog: list[SourceImage], vendor_rate: bool
) -> Run:
    """One contender against fresh emulators, timed and verified."""
    with (
        emulators(latency_ms, len(catalog)) as (source, target),
        tempfile.TemporaryDirectory(prefix=f"bench-compare-{contender}-") as tmp,
    ):
        load_source(source, catalog)
        job = write_job(Path(tmp), source, target, vendor_rate)
        command = command_for(contender, source, target, job)
        if contender != "syncer":
            command += ["--account", FIRST_ACCOUNT]
        started = time.perf_counter()
        with Watcher(source, target, started) as watch:
            done = subprocess.run(
                command, cwd=tmp, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
            )
            seconds = time.perf_counter() - started
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            raise BenchError(f"{contender} exited with {done.returncode}: " + " | ".join(tail))
        verify_target(target, catalog, contender)
        counts = requests_by_kind(source, target)
    return Run(contender, latency_ms, seconds, watch.first_list, watch.first_upload, counts)


def find(runs: list[Run], contender: str, latency_ms: float) -> Run | None:
    """The round's run of ``contender`` at ``latency_ms`` (a round has one of each)."""
    return next((r for r in runs if (r.contender, r.latency_ms) == (contender, latency_ms)), None)


def ratio(runs: list[Run], latency_ms: float) -> float | None:
    """The aiohttp script's time over syncer's: above 1, syncer is faster."""
    script, syncer = find(runs, "aiohttp", latency_ms), find(runs, "syncer", latency_ms)
    return script.seconds / syncer.seconds if script and syncer else None


def at(value: float | None, unit: str = " s") -> str:
    return "-" if value is None else f"{value:.2f}{unit}"


def table(runs: list[Run], latencies: list[float], contenders: list[str]) -> list[str]:
    """The issue's table, from one round: one row per latency, the ratio from that row's runs,
    and syncer's first upload after its first listed page."""
    head = ["latency per request", *(LABELS[c] for c in contenders)]
    head += ["syncer vs the aiohttp script", "syncer: first upload after first page"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for latency in latencies:
        found = [find(runs, contender, latency) for contender in contenders]
        cells = [f"{latency:g} ms", *(at(run.seconds if run else None) for run in found)]
        cells.append(at(ratio(runs, latency), "×"))
        syncer = find(runs, "syncer", latency)
        cells.append(at(syncer.first_upload_after_listing if syncer else None))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def describe(run: Run) -> str:
    r = run.requests
    return (
        f"  {run.latency_ms:>4g} ms {LABELS[run.contender]:15} {run.seconds:6.2f}s  first page "
        f"{at(run.first_list, 's')}, first upload {at(run.first_upload, 's')}; requests: BeProduct "
        f"{r['beproduct']} ({r['listing_pages']} pages), Moov {r['moov']} ({r['uploads']} uploads)"
    )


def report(rounds: list[list[Run]], latencies: list[float], contenders: list[str]) -> None:
    for number, runs in enumerate(rounds, start=1):
        print(f"\nround {number} (every figure of a row from this round):")
        print("\n".join(table(runs, latencies, contenders)))


def figures(args: argparse.Namespace, rounds: list[list[Run]]) -> dict[str, Any]:
    """What ``--json`` writes: the settings, every run, and each round's ratios."""
    return {
        "command": " ".join([".venv/bin/python", "bench/compare.py", *sys.argv[1:]]),
        "images": args.images,
        "seed": args.seed,
        "latencies_ms": args.latency,
        "vendor_rate": args.vendor_rate,
        "poll_interval_s": POLL,
        "commit": commit(),
        "load_average_at_end": os.getloadavg(),
        "rounds": [
            {
                "runs": [
                    {**asdict(run), "first_upload_after_listing": run.first_upload_after_listing}
                    for run in runs
                ],
                "syncer_vs_aiohttp": {f"{lat:g}": ratio(runs, lat) for lat in args.latency},
            }
            for runs in rounds
        ],
    }


def commit() -> str:
    """The checkout's commit, for the record (the figures are of that code)."""
    found = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return found.stdout.strip() or "unknown"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--latency", default="0,20,50", help="ms per request, comma-separated")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of every run")
    parser.add_argument("--seed", type=int, default=1, help="the catalog's random seed")
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument(
        "--vendor-rate", action="store_true", help="leave syncer's Moov rate at its default"
    )
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    try:
        args.latency = [float(x) for x in args.latency.split(",") if x.strip()]
    except ValueError:
        parser.error(f"--latency {args.latency!r}: expected numbers like 0,20,50")
    args.contenders = [c.strip() for c in args.contenders.split(",") if c.strip()]
    unknown = sorted(set(args.contenders) - set(CONTENDERS))
    if unknown or not args.contenders:
        parser.error(f"--contenders: unknown {unknown}; choose from {','.join(CONTENDERS)}")
    if args.images < 1 or args.repeat < 1 or any(x < 0 for x in args.latency):
        parser.error("--images and --repeat must be at least 1, --latency at least 0")
    return args


def main() -> int:
    args = parse()
    # The subprocesses (emulators, scripts, the CLI) run this checkout's syncer, not whichever
    # one the virtualenv was installed from.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    catalog = make_catalog(args.images, args.seed)
    size = sum(len(image.data) for image in catalog) / 1e6
    print(
        f"BeProduct -> Moov, {args.images} images ({size:.1f} MB, seed {args.seed}), fresh "
        f"emulators per run, no vendor rate limit; latency {args.latency} ms on both emulators; "
        f"commit {commit()}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    rounds: list[list[Run]] = []
    try:
        for _ in range(args.repeat):
            runs: list[Run] = []
            for latency in args.latency:
                for contender in args.contenders:
                    runs.append(run_one(contender, latency, catalog, args.vendor_rate))
                    print(describe(runs[-1]), flush=True)
            rounds.append(runs)
    except (BenchError, subprocess.TimeoutExpired) as exc:
        print(f"compare: FAILED: {exc}", file=sys.stderr)
        return 1
    report(rounds, args.latency, args.contenders)
    if args.json:
        args.json.write_text(json.dumps(figures(args, rounds), indent=2) + "\n")
        print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
