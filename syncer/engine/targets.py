"""A job's vendors as the engine uses them: typed clients, and each target's policy and salt.

Capabilities come from one place: the client instance's ``capabilities`` (the class declares
them; nothing else asks the registry again). Everything that decides a target's plan besides the
record (its mapping, vendor, capabilities, oversize and conversion choices, the planner's rules)
is digested once per run into the target's ``salt`` (:func:`syncer.engine.plan.plan_basis`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

import aiohttp

from syncer.digest import target_digest
from syncer.engine.plan import PLAN_RULES, OnOversize, TargetPolicy
from syncer.http import Lane
from syncer.jobs import Job
from syncer.jobs import Target as TargetConfig
from syncer.vendors import client_class
from syncer.vendors.contract import Capabilities, Source
from syncer.vendors.contract import Target as TargetContract

#: Downloads at once from a source, apart from its listing requests (``Lane.downloads``): file
#: bytes usually come from a blob store or CDN, and the source's rate limiter (which halves on a
#: 429) still paces them with its API requests.
DOWNLOADS_AT_ONCE = 16


class Client(Source, TargetContract, Protocol):
    """A vendor client: every vendor is both a source and a target."""


@dataclass(frozen=True)
class Target:
    """One target of a job: its settings, client, policy and salt."""

    config: TargetConfig
    client: Client
    policy: TargetPolicy
    salt: str

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def capabilities(self) -> Capabilities:
        return self.policy.capabilities


def make_client(config: Any, session: aiohttp.ClientSession, *, downloads: int = 0) -> Client:
    """The client of a job's source or target table (its vendor's settings and limits)."""
    concurrency = max(1, config.concurrency)
    name = getattr(config, "name", None)  # a target's name labels its requests' metrics
    lane = Lane(concurrency, config.rate, downloads=downloads or concurrency, name=name)
    client: Client = client_class(config.vendor)(config.settings(), session, lane=lane)
    return client


def source_client(job: Job, session: aiohttp.ClientSession) -> Client:
    """The job's source, with download slots of its own: :data:`DOWNLOADS_AT_ONCE`, or the
    source's ``concurrency`` when that is more."""
    downloads = max(DOWNLOADS_AT_ONCE, job.source.concurrency)
    return make_client(job.source, session, downloads=downloads)


def build_targets(job: Job, session: aiohttp.ClientSession) -> list[Target]:
    """Every target of ``job``, in the job's order."""
    targets = []
    for config in job.targets:
        client = make_client(config, session)
        policy = target_policy(config, client.capabilities)
        targets.append(Target(config, client, policy, target_salt(config, client.capabilities)))
    return targets


def target_policy(config: TargetConfig, capabilities: Capabilities) -> TargetPolicy:
    """How a job's target takes records: its vendor's capabilities and the job's choices."""
    return TargetPolicy(
        config.name,
        capabilities,
        on_oversize=OnOversize(config.on_oversize),
        convert_to="image/png" if config.convert == "auto" else None,
    )


def target_salt(config: TargetConfig, capabilities: Capabilities) -> str:
    """Everything but the record that decides a target's plan for it (the ``salt`` of
    :func:`~syncer.engine.plan.plan_basis`): the target's mapping (an owners CSV by its rows),
    vendor and capabilities, its oversize and conversion choices, and the planner's rules."""
    mapping = config.mapping
    facts = {
        "rules": PLAN_RULES,
        "vendor": config.vendor,
        "mapping": mapping.model_dump(mode="json"),
        "owners_csv": mapping.owners_csv.owners if mapping.owners_csv is not None else None,
        "on_oversize": config.on_oversize,
        "convert": config.convert,
        "capabilities": _planned_by(capabilities),
    }
    return target_digest(facts)


#: Capabilities only a plan's warnings read: not part of the salt, so adding one does not make
#: every link's basis differ (and every item planned once more) after an upgrade.
WARNINGS_ONLY = ("display_limit",)


def _planned_by(capabilities: Capabilities) -> dict[str, Any]:
    facts = asdict(capabilities)
    for name in WARNINGS_ONLY:
        facts.pop(name, None)
    return facts


def renditions_note(vendor: str, capabilities: Capabilities) -> str:
    """What the targets get from ``vendor`` as a source when its originals cannot be read
    (``originals_readable``, ``max_read_pixels``); empty when they can."""
    if capabilities.originals_readable:
        return ""
    most = capabilities.max_read_pixels
    size = f" (at most {most} px on a side)" if most else ""
    return f"{vendor} serves renditions, not its originals{size}: that is what the targets get"
