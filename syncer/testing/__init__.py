"""Emulator base, conformance helpers and test fixtures shared by every vendor."""
