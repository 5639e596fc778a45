"""beproduct vendor package."""
