"""Links: each source item's counterpart on a target, written when its op is done."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from syncer.state.base import StoreBase
from syncer.state.models import links
from syncer.state.rows import BasisUpdate, LinkRow
from syncer.state.sql import matching

#: The link columns a :class:`LinkRow` is made of, in its field order.
LINK_COLUMNS = tuple(links.c[f.name] for f in fields(LinkRow))


class Links(StoreBase):
    """Reading links (``mark_done`` writes them, ``commit_page`` sets their basis)."""

    async def links(self, job: str, target: str, keys: Sequence[str]) -> dict[str, LinkRow]:
        """The links to ``target`` among ``keys``, by source key."""
        found: dict[str, LinkRow] = {}
        async with self._read() as conn:
            for among in matching(conn.dialect.name, links.c.key, keys):
                match = sa.and_(links.c.job == job, links.c.target == target, among)
                for row in await conn.execute(sa.select(*LINK_COLUMNS).where(match)):
                    found[row.key] = LinkRow(*row)
        return found

    async def count_links(self, job: str, target: str) -> int:
        """How many items of ``job`` syncer created or adopted on ``target`` (delete guard base)."""
        query = sa.select(sa.func.count()).where(links.c.job == job, links.c.target == target)
        async with self._read() as conn:
            return int((await conn.execute(query)).scalar_one())


async def set_bases(conn: AsyncConnection, job: str, bases: Sequence[BasisUpdate]) -> None:
    """Give existing links their new basis (one executemany); a basis without a link is
    ignored (the item has no counterpart on that target)."""
    if not bases:
        return
    match = sa.and_(
        links.c.job == job,
        links.c.target == sa.bindparam("b_target"),
        links.c.key == sa.bindparam("b_key"),
    )
    values = [{"b_target": b.target, "b_key": b.key, "b_basis": b.basis} for b in bases]
    await conn.execute(links.update().where(match).values(basis=sa.bindparam("b_basis")), values)
