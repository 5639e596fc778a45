"""spiffy vendor package."""
