"""The conformance kit, unmodified, against the BeProduct client and emulator."""

from syncer.testing.conformance import SourceSuite, TargetSuite
from syncer.testing.harness.beproduct import BeProductHarness


class TestBeProductSource(SourceSuite):
    harness = BeProductHarness()


class TestBeProductTarget(TargetSuite):
    harness = BeProductHarness()
