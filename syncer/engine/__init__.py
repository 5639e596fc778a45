"""The sync engine: planning, the run pipeline and its stages."""
