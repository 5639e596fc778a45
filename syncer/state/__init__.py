"""The state store: what syncer knows between runs, in SQLite or PostgreSQL.

The engine uses :class:`StateStore` only; it never sees a session. The schema is changed by
the Alembic migrations in ``syncer/state/migrations``, applied on open (a new database is
created at head from the models, without importing Alembic).
"""

from syncer.state.batch import JournalBatch
from syncer.state.engine import DEFAULT_URL, StateMissingError, redact
from syncer.state.rows import (
    BasisUpdate,
    BlobRow,
    CursorRow,
    ItemRow,
    ItemState,
    LinkRow,
    ListingState,
    NewOp,
    OpRow,
    PageCommit,
    RunRow,
)
from syncer.state.store import DEFAULT_LEASE_SECONDS, OpeningStore, StateStore
from syncer.state.ticks import TickRow

__all__ = [
    "DEFAULT_LEASE_SECONDS",
    "DEFAULT_URL",
    "BasisUpdate",
    "BlobRow",
    "CursorRow",
    "ItemRow",
    "ItemState",
    "JournalBatch",
    "LinkRow",
    "ListingState",
    "NewOp",
    "OpRow",
    "OpeningStore",
    "PageCommit",
    "RunRow",
    "StateMissingError",
    "StateStore",
    "TickRow",
    "redact",
]
