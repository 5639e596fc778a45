"""``syncer emulate``: serve one vendor's emulator."""

from __future__ import annotations

import errno
import ipaddress
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from syncer.cli.group import main
from syncer.emulators import EMULATORS, UnknownVendorError, emulator_class
from syncer.emulators.faults import FaultConfig

if TYPE_CHECKING:
    from syncer.emulators.base import VendorEmulator

#: ``syncer emulate`` could not listen (the port is taken, the address is not this machine's).
CANNOT_LISTEN = 5


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
    settings: tuple[str, ...],
    **fault_options: Any,
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
    # The fault options are FaultConfig's fields by name (--fault-seed is its ``seed``).
    faults = FaultConfig(seed=fault_options.pop("fault_seed"), **fault_options)
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
