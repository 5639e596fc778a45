"""The conformance kit, unmodified, against the Spiffy client and emulator."""

from syncer.testing.conformance import SourceSuite, TargetSuite
from syncer.testing.harness.spiffy import SpiffyHarness


class TestSpiffySource(SourceSuite):
    harness = SpiffyHarness()


class TestSpiffyTarget(TargetSuite):
    harness = SpiffyHarness()
