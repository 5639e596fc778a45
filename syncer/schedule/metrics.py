"""Placeholder: replaced by the Prometheus metrics (in progress)."""

from syncer.schedule.events import Observer


class Metrics(Observer):
    pass
