"""The state store: what syncer knows between runs, in SQLite or PostgreSQL.

The engine uses :class:`StateStore` only; it never sees a session. The schema is created and
changed by the Alembic migrations in ``syncer/state/migrations``, applied on open.
"""

from syncer.state.engine import DEFAULT_URL, StateMissingError, redact
from syncer.state.rows import (
    BlobRow,
    CursorRow,
    ItemRow,
    ItemState,
    LinkRow,
    ListingState,
    NewOp,
    OpRow,
    RunRow,
)
from syncer.state.store import DEFAULT_LEASE_SECONDS, OpeningStore, StateStore

__all__ = [
    "DEFAULT_LEASE_SECONDS",
    "DEFAULT_URL",
    "BlobRow",
    "CursorRow",
    "ItemRow",
    "ItemState",
    "LinkRow",
    "ListingState",
    "NewOp",
    "OpRow",
    "OpeningStore",
    "RunRow",
    "StateMissingError",
    "StateStore",
    "redact",
]
