"""syncer: an async bulk sync and migration engine for product-catalog images."""

__version__ = "0.1.0.dev0"
