"""The conformance kit, unmodified, against the Moov client and emulator."""

from syncer.testing.conformance import SourceSuite, TargetSuite
from syncer.testing.harness.moov import MoovHarness


class TestMoovSource(SourceSuite):
    harness = MoovHarness()


class TestMoovTarget(TargetSuite):
    harness = MoovHarness()
