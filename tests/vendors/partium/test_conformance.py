"""The conformance kit against Partium's client and emulator.

Partium keeps no alt text, so its harness makes the kit's metadata edit a change of roles and
position (the ``info`` tokens) and checks those.
"""

from __future__ import annotations

from syncer.testing.conformance import SourceSuite, TargetSuite
from syncer.testing.harness.partium import PartiumHarness


class TestPartiumSource(SourceSuite):
    harness = PartiumHarness()


class TestPartiumTarget(TargetSuite):
    harness = PartiumHarness()
