"""Bulk statements that work on every backend: upserts and inserts that return their rows.

SQLite and PostgreSQL get native ``INSERT ... ON CONFLICT DO UPDATE``; any other backend a
delete-then-insert inside the caller's transaction, which has the same effect.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

#: Rows per statement: well under SQLite's and asyncpg's bound-parameter limits.
CHUNK = 500

T = TypeVar("T")


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` values."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


Matcher = Callable[[sa.ColumnElement[str]], sa.ColumnElement[bool]]


def matching(
    dialect: str, column: sa.ColumnElement[str], keys: Sequence[str]
) -> Iterator[sa.ColumnElement[bool]]:
    """Conditions that together match ``column`` against every one of ``keys``.

    On SQLite (``json_each`` of a JSON array) and PostgreSQL (``= ANY`` of an array), ONE
    condition with ONE bound parameter, whatever the number of keys: the statement is
    compiled once and cached, where an expanding ``IN`` is re-rendered for each call, which
    costs more than the query on a listing's hot path. Elsewhere, ``IN`` of ``CHUNK`` keys.
    """
    for match in matchers(dialect, keys):
        yield match(column)


def matchers(dialect: str, keys: Sequence[str]) -> Iterator[Matcher]:
    """What :func:`matching` does, for a statement that matches several columns against the
    same keys: one matcher per group of keys (one for them all on SQLite and PostgreSQL),
    each making the condition for any column from ONE bound parameter, so the keys are
    sent once per statement, not once per column."""
    unique = list(dict.fromkeys(keys))
    if not unique:
        return
    if dialect == "sqlite":
        array: sa.BindParameter[Any] = sa.bindparam("keys", json.dumps(unique), unique=True)
        values: sa.Select[Any] = sa.select(sa.column("value")).select_from(sa.func.json_each(array))
        yield lambda column: column.in_(values)
    elif dialect == "postgresql":
        array = sa.bindparam("keys", unique, type_=postgresql.ARRAY(sa.Text), unique=True)
        yield lambda column: column == sa.any_(array)
    else:
        for chunk in chunks(unique):
            yield partial(_among, chunk)


def _among(chunk: Sequence[str], column: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    return column.in_(chunk)


async def upsert(
    conn: AsyncConnection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    *,
    keep: Sequence[str] = (),
    native: bool = True,
) -> None:
    """Insert ``rows``, replacing rows with the same ``keys``; ``keep`` columns keep old values.

    All rows must have the same columns. ``native=False`` forces the portable path (tests).
    """
    if not rows:
        return
    dialect = conn.dialect.name
    if native and dialect in ("sqlite", "postgresql"):
        insert = sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)
        changed = [c for c in rows[0] if c not in keys and c not in keep]
        stmt = insert.on_conflict_do_update(
            index_elements=list(keys), set_={c: insert.excluded[c] for c in changed}
        )
        for chunk in chunks(rows):
            await conn.execute(stmt, list(chunk))
        return
    await _replace(conn, table, rows, keys)


async def _replace(
    conn: AsyncConnection, table: sa.Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Portable upsert: delete the rows' keys, then insert the rows (``keep`` is not honoured)."""
    match = sa.and_(*(table.c[k] == sa.bindparam(f"key_{k}") for k in keys))
    deletes = [{f"key_{k}": row[k] for k in keys} for row in rows]
    await conn.execute(table.delete().where(match), deletes)
    await conn.execute(table.insert(), list(rows))


async def insert_returning(
    conn: AsyncConnection, table: sa.Table, rows: Sequence[dict[str, Any]]
) -> list[sa.Row[Any]]:
    """Insert ``rows`` and return the stored rows (with generated ids) in the same order."""
    if not rows:
        return []
    if conn.dialect.name == "sqlite" and _rowid(table) is not None:
        return await _insert_by_rowid(conn, table, rows)
    if conn.dialect.insert_executemany_returning_sort_by_parameter_order:
        stmt = table.insert().returning(*table.c, sort_by_parameter_order=True)
        stored: list[sa.Row[Any]] = []
        for chunk in chunks(rows):
            stored.extend((await conn.execute(stmt, list(chunk))).all())
        return stored
    return [await _insert_one(conn, table, row) for row in rows]


def _rowid(table: sa.Table) -> sa.Column[Any] | None:
    """The table's primary key if it is one generated integer (SQLite's rowid)."""
    key = list(table.primary_key)
    if len(key) == 1 and key[0].autoincrement is True and isinstance(key[0].type, sa.Integer):
        return key[0]
    return None


async def _insert_by_rowid(
    conn: AsyncConnection, table: sa.Table, rows: Sequence[dict[str, Any]]
) -> list[sa.Row[Any]]:
    """SQLite: one multi-row INSERT per chunk, its RETURNING rows put back in the order given
    by their rowid. Asked for that order, SQLAlchemy would insert row by row (SQLite has no
    sentinel it trusts); but a multi-row INSERT writes its rows in order, each given a rowid
    one above the largest in the table, under the write lock a transaction of the store takes
    at BEGIN: ascending ids are the rows' order."""
    key = _rowid(table)
    assert key is not None
    stmt = table.insert().returning(*table.c)
    stored: list[sa.Row[Any]] = []
    for chunk in chunks(rows):
        returned = (await conn.execute(stmt, list(chunk))).all()
        stored.extend(sorted(returned, key=lambda row: row._mapping[key]))
    return stored


async def _insert_one(conn: AsyncConnection, table: sa.Table, row: dict[str, Any]) -> sa.Row[Any]:
    result = await conn.execute(table.insert().values(**row))
    key = result.inserted_primary_key
    assert key is not None
    where = sa.and_(*(col == value for col, value in zip(table.primary_key, key, strict=True)))
    return (await conn.execute(sa.select(table).where(where))).one()
