"""The client tests run against the emulator fixtures of tests/emulators/partium."""

from tests.emulators.partium.conftest import api, emulator, seeded_store

__all__ = ["api", "emulator", "seeded_store"]
