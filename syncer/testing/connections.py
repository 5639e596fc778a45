"""The job-file connection keys (TOML lines) that the emulators' fixed demo credentials need,
per vendor: for tests and benchmarks that write job files against emulators. Each emulator
carries its own (:attr:`~syncer.emulators.base.VendorEmulator.demo_connection`)."""

from __future__ import annotations

from syncer.emulators import EMULATORS, emulator_class

DEMO_CONNECTION: dict[str, str] = {name: emulator_class(name).demo_connection for name in EMULATORS}
