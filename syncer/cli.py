"""The ``syncer`` command line. It parses arguments and delegates; it holds no logic of its own."""

from __future__ import annotations

import errno
import ipaddress
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from syncer import __version__
from syncer.emulators import EMULATORS, UnknownVendorError, emulator_class
from syncer.emulators.faults import FaultConfig

if TYPE_CHECKING:
    from syncer.emulators.base import VendorEmulator

#: ``syncer emulate`` could not listen (the port is taken, the address is not this machine's).
CANNOT_LISTEN = 5
#: A bug (``syncer.crash.UNEXPECTED``, should the crash log itself fail).
_UNEXPECTED = 70
#: What click handles itself: usage errors, ``--help`` and other exits, an abort.
_CLICK_OWN = (click.ClickException, click.exceptions.Exit, click.Abort)


class SyncerGroup(click.Group):
    """The command group, with the last resort: a SyncerError that no command caught is one line
    and its code; any other exception is a bug, one line naming a log with its traceback
    (:mod:`syncer.crash`), and exit code 70."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _CLICK_OWN:
            raise
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # click quiets a closed pipe (`syncer status | head`)
                raise
            self._fail(ctx, exc)
        except Exception as exc:  # KeyboardInterrupt and SystemExit pass: they are no bugs
            self._fail(ctx, exc)

    @staticmethod
    def _fail(ctx: click.Context, exc: Exception) -> None:
        try:
            from syncer import crash  # it imports the HTTP layer: not for `syncer --help`

            line, code = crash.outcome(exc)
        except Exception:  # the last resort must not fail in turn
            line = f"error: unexpected {type(exc).__name__} (no log written); please report it"
            code = _UNEXPECTED
        click.echo(line, err=True)
        ctx.exit(code)


@click.group(
    cls=SyncerGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="syncer")
def main() -> None:
    """syncer moves product-catalog images between vendors and keeps them in step."""


def _parse_settings(values: tuple[str, ...]) -> dict[str, str]:
    settings: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--set")
        settings[key.strip().replace("-", "_")] = value
    return settings


class _PortOption(click.Option):
    """``--port`` of ``emulate``: its help names each registered emulator's default port (read
    when help is shown, so the emulators are imported only then)."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        ports = (f"{emulator_class(name).default_port} {name}" for name in sorted(EMULATORS))
        self.help = f"Port to listen on. [default: {', '.join(ports)}]"
        return super().get_help_record(ctx)


@main.command()
@click.argument("vendor", type=click.Choice(sorted(EMULATORS), case_sensitive=False))
@click.option("--port", cls=_PortOption, type=click.IntRange(1, 65535), default=None)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind. Keep it on loopback unless you know why not.",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Persist the catalog under this directory (kept across restarts). "
    "Without it the catalog lives in memory.",
)
@click.option(
    "--seed",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Seed this many images (only into an empty catalog).",
)
@click.option(
    "--owners",
    type=click.IntRange(1),
    default=None,
    help="Spread seeded images over this many owners (folders, accounts, part types, "
    "products and collections). [default: per vendor]",
)
@click.option(
    "--seed-value",
    type=int,
    default=0,
    show_default=True,
    help="Random seed: the same value gives the same catalog, byte for byte.",
)
@click.option("--reset", is_flag=True, help="Empty a persisted catalog before seeding.")
@click.option(
    "--latency-ms",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="Added latency per request.",
)
@click.option(
    "--jitter-ms",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="Latency jitter (uniform, +/-).",
)
@click.option(
    "--error-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Fraction of requests answered with a random 500/502/503.",
)
@click.option(
    "--rate-limit",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="Requests per second before answering 429 with Retry-After (0 = unlimited).",
)
@click.option(
    "--reset-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Fraction of requests whose connection is reset without an answer.",
)
@click.option(
    "--lost-answer",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Fraction of writes applied, then answered by a reset connection.",
)
@click.option(
    "--garbage-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Fraction of requests answered 200 with a truncated JSON body.",
)
@click.option(
    "--maintenance", is_flag=True, help="Start in maintenance (503; Partium refuses writes only)."
)
@click.option(
    "--maintenance-every",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="Open a maintenance window every N seconds ...",
)
@click.option(
    "--maintenance-for",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="... lasting this many seconds.",
)
@click.option(
    "--fault-seed",
    type=int,
    default=0,
    show_default=True,
    help="Random seed for choosing which requests fail.",
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KNOB=VALUE",
    help="A vendor knob, e.g. processing_polls=3 (beproduct) or image_cap=300 (moov). "
    "Repeatable; GET /_emulator/knobs lists them.",
)
def emulate(
    vendor: str,
    port: int | None,
    host: str,
    data_dir: Path | None,
    seed: int,
    owners: int | None,
    seed_value: int,
    reset: bool,
    latency_ms: float,
    jitter_ms: float,
    error_rate: float,
    rate_limit: float,
    reset_rate: float,
    lost_answer: float,
    garbage_rate: float,
    maintenance: bool,
    maintenance_every: float,
    maintenance_for: float,
    fault_seed: int,
    settings: tuple[str, ...],
) -> None:
    """Serve a faithful local emulator of VENDOR's image API.

    Prints the base URL and the credentials it accepts, then serves until interrupted.
    The private admin API lives under /_emulator/ (no credentials needed).
    """
    from syncer.emulators.store import CatalogStore

    try:
        cls = emulator_class(vendor)
    except UnknownVendorError as exc:
        raise click.BadParameter(str(exc), param_hint="VENDOR") from None
    faults = FaultConfig(
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        error_rate=error_rate,
        rate_limit=rate_limit,
        reset_rate=reset_rate,
        lost_answer=lost_answer,
        garbage_rate=garbage_rate,
        maintenance=maintenance,
        maintenance_every=maintenance_every,
        maintenance_for=maintenance_for,
        seed=fault_seed,
    )
    try:
        faults.validate()
        store = CatalogStore(data_dir)
        emulator = cls(store=store, faults=faults, knobs=_parse_settings(settings))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if reset:
        store.clear()
    if store.is_empty():
        emulator.seed(seed, owners, seed_value)
    elif seed:
        click.echo(
            f"Catalog loaded from {data_dir} ({len(store)} images); --seed ignored "
            "(add --reset to start over).",
            err=True,
        )
    _serve(emulator, host, cls.default_port if port is None else port)


def _serve(emulator: VendorEmulator, host: str, port: int) -> None:
    """Serve ``emulator`` until interrupted; its banner prints once the port is bound, and a
    port that cannot be bound is one line (exit 5)."""
    from aiohttp import web

    _warn_if_exposed(host)
    base_url = f"http://{host}:{port}"
    store = emulator.store

    def listening(_: str) -> None:  # run_app calls it once the port is bound
        click.echo(
            f"{emulator.title} emulator on {base_url}  "
            f"({len(store)} images, {len(store.owners)} owners)"
        )
        for label, value in emulator.credentials().lines:
            click.echo(f"  {label}: {value.replace('{base_url}', base_url)}")
        click.echo(f"  admin API: {base_url}/_emulator/  (no credentials)")

    try:
        web.run_app(emulator.app(), host=host, port=port, print=listening, access_log=None)
    except OSError as exc:
        click.echo(f"error: cannot listen on {host}:{port}: {_why(exc)}", err=True)
        sys.exit(CANNOT_LISTEN)


def _why(exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return "the port is in use (another emulator?); choose another with --port"
    return exc.strerror or str(exc)


def _warn_if_exposed(host: str) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        click.echo(
            f"warning: binding {host}, not loopback: the emulator accepts its fixed demo "
            "credentials from anyone who can reach it.",
            err=True,
        )


_JOB = click.argument("job", type=click.Path(exists=True, dir_okay=False, path_type=Path))


_STOP_GRACE = click.option(
    "--stop-grace",
    type=click.FloatRange(0),
    default=5.0,
    show_default=True,
    envvar="SYNCER_STOP_GRACE",
    show_envvar=True,
    metavar="SECONDS",
    help="On SIGTERM or SIGINT, how long requests in flight get to finish before the run "
    "commits, releases its lease and exits (130 SIGINT, 143 SIGTERM); a second signal exits at "
    "once.",
)


_FULL = click.option(
    "--full",
    is_flag=True,
    help="List everything and sweep for deletes, even when an incremental listing is due.",
)
_RESTART = click.option(
    "--restart-listing",
    is_flag=True,
    help="List the source from the start: a listing a stopped run left unfinished is not "
    "resumed (needed after changing what the source lists, e.g. partium.part_ids). "
    "Operations and links in the state are kept.",
)


@main.command()
@_JOB
@_RESTART
@_STOP_GRACE
def migrate(job: Path, restart_listing: bool, stop_grace: float) -> None:
    """Copy everything from JOB's source to its targets (a full listing).

    Safe to stop at any moment: the next run resumes where this one stopped. Exit codes: 0 done,
    2 configuration error, 3 some items failed, 4 stopped by the max-delete guard, 5 could not run,
    130/143 stopped by SIGINT/SIGTERM, 70 an unexpected error (a bug: the message names the log
    with its traceback).
    """
    from syncer.engine.commands import run_command
    from syncer.engine.run import Mode

    sys.exit(run_command(job, Mode.MIGRATE, restart_listing=restart_listing, stop_grace=stop_grace))


@main.command()
@_JOB
@_FULL
@_RESTART
@_STOP_GRACE
def sync(job: Path, full: bool, restart_listing: bool, stop_grace: float) -> None:
    """Bring JOB's targets in step with its source: creates, updates, replaces and (when enabled,
    under the max-delete guard) deletes. Exit codes as for migrate.

    A source with a watermark (BeProduct) lists only what changed since the last sync, and in
    full (sweeping for deletes) once [schedule] full_every has passed since the last full sweep.
    Other sources are listed in full every time; unchanged version tokens spare the downloads.
    """
    from syncer.engine.commands import run_command
    from syncer.engine.run import Mode

    sys.exit(
        run_command(
            job, Mode.SYNC, full=full, restart_listing=restart_listing, stop_grace=stop_grace
        )
    )


@main.command()
@_JOB
@_FULL
@_RESTART
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def plan(job: Path, full: bool, restart_listing: bool, as_json: bool) -> None:
    """Show what a sync of JOB would do, without writing to any target or to the state."""
    from syncer.engine.commands import run_command
    from syncer.engine.run import Mode

    sys.exit(
        run_command(job, Mode.PLAN, as_json=as_json, full=full, restart_listing=restart_listing)
    )


@main.command()
@_JOB
@_STOP_GRACE
def retry(job: Path, stop_grace: float) -> None:
    """Re-attempt JOB's failed operations (no listing).

    An operation that a later migrate or sync planned again, for the same item and target, was
    superseded by that plan and is not retried.
    """
    from syncer.engine.commands import run_command
    from syncer.engine.run import Mode

    sys.exit(run_command(job, Mode.RETRY, stop_grace=stop_grace))


@main.command()
@click.argument("job", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--state",
    "state_url",
    help="State URL when no JOB is given. [default: sqlite+aiosqlite:///.syncer/state.db]",
)
def status(job: Path | None, state_url: str | None) -> None:
    """Last runs (of JOB, or of every job in the state store), counts and failures."""
    from syncer.engine.commands import status_command

    sys.exit(status_command(job, state_url))


@main.command()
@click.option(
    "--dir",
    "workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".syncer/demo"),
    show_default=True,
    help="Where the demo keeps its job file, state and spool.",
)
def demo(workdir: Path) -> None:
    """Start the four emulators, migrate Partium to Spiffy and Moov, change the source, sync,
    and show what happened. Everything stays on this machine (127.0.0.1)."""
    import anyio

    from syncer.demo import demo as run_demo

    click.echo("Starting the vendor emulators on 127.0.0.1:")
    sys.exit(anyio.run(run_demo, workdir, click.echo))
