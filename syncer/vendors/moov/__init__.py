"""moov vendor package."""
