"""Job files (``jobs/*.toml``): one source, one or more targets, mapping, limits, schedule, state.

:func:`load_job` reads and validates a file, resolving ``${VAR}`` references from the
environment, and raises :class:`JobFileError` (a :class:`~syncer.errors.ConfigError`) listing
every problem with its key path. :func:`render_fields` applies a target's field templates.
"""

from syncer.jobs.load import JobFileError, load_job
from syncer.jobs.model import DEFAULT_STATE_URL, Job
from syncer.jobs.options import DeletePolicy, Schedule, TargetMapping
from syncer.jobs.problems import Problem
from syncer.jobs.schedule import check_cron, parse_duration
from syncer.jobs.templates import PLACEHOLDERS, TEMPLATE_TARGETS, check_template, render_fields
from syncer.jobs.vendors import VENDOR_NAMES, Source, Target

__all__ = [
    "DEFAULT_STATE_URL",
    "PLACEHOLDERS",
    "TEMPLATE_TARGETS",
    "VENDOR_NAMES",
    "DeletePolicy",
    "Job",
    "JobFileError",
    "Problem",
    "Schedule",
    "Source",
    "Target",
    "TargetMapping",
    "check_cron",
    "check_template",
    "load_job",
    "parse_duration",
    "render_fields",
]
