"""partium vendor package."""
