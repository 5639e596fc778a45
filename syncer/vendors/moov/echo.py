"""What a Moov listing shows back of what syncer pushed (:mod:`syncer.vendors.echo`): the account
and the alt text (Moov keeps no file name, title or roles). A check lists the accounts the links
point to (a target writes to each record's account), disabled images included: a linked image
that is disabled is reported so, not as deleted (a repair cannot create it again: Moov refuses
its bytes as a duplicate of the disabled image)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from syncer.records import ImageRecord
from syncer.vendors.echo import text
from syncer.vendors.moov.settings import MoovSettings


def expected(key: str, pushed: Mapping[str, Any]) -> dict[str, Any]:
    return {"owner": pushed.get("owner"), "alt": text(pushed.get("alt"))}


def shown(record: ImageRecord) -> dict[str, Any]:
    return {"owner": record.owner, "alt": text(record.alt)}


def listing_settings(settings: MoovSettings, owners: Iterable[str]) -> MoovSettings:
    accounts = sorted(set(owners))
    changed = dataclasses.replace(settings, list_disabled=True)
    if not accounts:
        return changed
    return dataclasses.replace(
        changed, account_id=accounts[0], more_account_ids=tuple(accounts[1:])
    )
