"""Opening the store: the schema comes from the migrations, and bad URLs fail clearly."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import alembic.command
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from syncer.errors import StateError
from syncer.state import DEFAULT_URL, StateStore, migrate, redact
from syncer.state.models import metadata


async def db_scalar(url: str, query: str) -> object:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(sa.text(query))
    finally:
        await engine.dispose()


async def schema_diff(url: str) -> list[object]:
    def compare(conn: sa.Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


def head_revision() -> str | None:
    """The newest revision the package's migrations know."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


async def test_open_migrates_a_new_database_to_head(fresh_url: str) -> None:
    async with StateStore.open(fresh_url):
        pass
    assert await db_scalar(fresh_url, "SELECT version_num FROM alembic_version") == (
        head_revision()
    )


async def test_migrated_schema_matches_the_models(fresh_url: str) -> None:
    await migrate_to(fresh_url, "head")  # every migration, by Alembic
    assert await schema_diff(fresh_url) == []


async def test_a_new_database_made_from_the_models_is_one_alembic_knows_at_head(
    fresh_url: str,
) -> None:
    async with StateStore.open(fresh_url):  # none of syncer's tables: created from the models
        pass
    assert await schema_diff(fresh_url) == []
    await migrate_to(fresh_url, "head")  # nothing to do
    await migrate_to(fresh_url, "0005", down=True)  # and the migrations apply to it
    assert await db_scalar(fresh_url, "SELECT version_num FROM alembic_version") == "0005"
    async with StateStore.open(fresh_url) as store:
        assert (await store.start_run("job", "sync")).status == "running"


async def test_second_open_keeps_data_and_runs_no_migration(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with StateStore.open(fresh_url) as store:
        run = await store.start_run("job", "sync")
        await store.finish_run(run.id, "succeeded", {"n": 1})

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("upgrade ran on an up-to-date database")

    monkeypatch.setattr(alembic.command, "upgrade", refuse)
    async with StateStore.open(fresh_url) as store:
        assert [r.counts for r in await store.runs("job")] == [{"n": 1}]


@pytest.mark.parametrize("way", ["create_at_head", "alembic"])
async def test_a_failed_migration_leaves_the_database_untouched(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    """A new database is made from the models, an old one upgraded by Alembic: a crash after
    the DDL leaves either as it was."""
    if way == "alembic":
        await migrate_to(fresh_url, "0001")
    owner: object = alembic.command if way == "alembic" else migrate
    real = getattr(owner, "upgrade" if way == "alembic" else way)

    def then_crash(*args: object, **kwargs: object) -> None:
        real(*args, **kwargs)
        raise OSError("power cut after the DDL")

    monkeypatch.setattr(owner, "upgrade" if way == "alembic" else way, then_crash)
    with pytest.raises(StateError, match="power cut"):
        await StateStore.open(fresh_url)
    if way == "alembic":
        assert await db_scalar(fresh_url, "SELECT version_num FROM alembic_version") == "0001"
    else:
        assert (
            await db_scalar(
                fresh_url,
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'runs'"
                if "postgresql" in fresh_url
                else "SELECT count(*) FROM sqlite_master WHERE name = 'runs'",
            )
            == 0
        )
    monkeypatch.undo()
    async with StateStore.open(fresh_url) as store:
        assert (await store.start_run("job", "sync")).status == "running"


async def test_database_from_a_newer_syncer_is_refused(fresh_url: str) -> None:
    async with StateStore.open(fresh_url):
        pass
    engine = create_async_engine(fresh_url)
    async with engine.begin() as conn:
        await conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    await engine.dispose()
    with pytest.raises(StateError, match=r"revision '9999_future'.*newer syncer") as caught:
        await StateStore.open(fresh_url)
    assert redact(fresh_url) in str(caught.value)


async def test_sqlite_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    async with (
        StateStore.open(f"sqlite+aiosqlite:///{path}") as store,
        store._db.connect() as conn,  # a look inside: pragmas are per connection
    ):
        assert await conn.scalar(sa.text("PRAGMA foreign_keys")) == 1
        assert int(await conn.scalar(sa.text("PRAGMA busy_timeout")) or 0) > 0
    with sqlite3.connect(path) as plain:  # WAL is a property of the file
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    plain.close()


async def test_default_url_is_sqlite_under_dot_syncer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    async with StateStore.open() as store:
        assert store.url == DEFAULT_URL
    assert (tmp_path / ".syncer" / "state.db").is_file()


async def test_driverless_sqlite_url_gets_the_async_driver(tmp_path: Path) -> None:
    async with StateStore.open(f"sqlite:///{tmp_path}/x.db") as store:
        assert store.url.startswith("sqlite+aiosqlite:///")
        assert (await store.start_run("j", "sync")).status == "running"


async def test_unreachable_database_names_the_url_without_its_password() -> None:
    url = "postgresql+asyncpg://syncer:s3cret-pw@127.0.0.1:1/state"
    with pytest.raises(StateError) as caught:
        await StateStore.open(url)
    message = str(caught.value)
    assert "postgresql+asyncpg://syncer:***@127.0.0.1:1/state" in message
    assert "s3cret-pw" not in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "not a database URL"),
        ("nosuchdb+driver://u:pw@h/db", "cannot open state store nosuchdb"),
        ("mysql://u:pw@127.0.0.1/db", "driver is not installed .* mysql\\+aiomysql://"),
    ],
)
async def test_malformed_or_unknown_urls_are_refused(url: str, expected: str) -> None:
    with pytest.raises(StateError, match=expected) as caught:
        await StateStore.open(url)
    assert ":pw@" not in str(caught.value)


async def test_sqlite_path_that_cannot_be_created_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("in the way")
    with pytest.raises(StateError, match="cannot open state store sqlite"):
        await StateStore.open(f"sqlite+aiosqlite:///{tmp_path}/file/sub/state.db")


def test_redact_hides_passwords_in_parsable_and_broken_urls() -> None:
    assert redact("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"
    assert "pw" not in redact("weird://u:pw@h:notaport/db")
    assert redact("sqlite:///a.db") == "sqlite:///a.db"


async def migrate_to(url: str, revision: str, *, down: bool = False) -> None:
    """Run Alembic up (or down) to ``revision`` on the database at ``url``."""
    if url.startswith("sqlite"):
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)

    def run(conn: sa.Connection) -> None:
        step = alembic.command.downgrade if down else alembic.command.upgrade
        step(migrate.alembic_config(conn), revision)

    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(run)
    finally:
        await engine.dispose()


async def seed_0005_links(url: str) -> None:
    """Two links as a 0005 syncer left them: ``k1`` written by a done create (whose
    ``meta_hash`` it kept), ``k2`` with no op left in the journal."""
    record: dict[str, object] = {"key": "k1", "owner": "part-1", "filename": "a.png"}
    record |= {"alt": None, "title": None}
    record |= {"position": 2, "roles": ["display"], "sha256": "aa", "extra": {}}
    payload = json.dumps({"record": record, "meta_hash": "h1", "basis": "b1"})
    now = "2026-12-01 12:00:00"
    statements = [
        "INSERT INTO runs (job, mode, status, started_at, heartbeat_at, counts) "
        f"VALUES ('j', 'sync', 'succeeded', '{now}', '{now}', '{{}}')",
        "INSERT INTO ops (job, run_id, target, key, action, state, payload, attempts, "
        f"updated_at) VALUES ('j', 1, 't', 'k1', 'create', 'done', '{payload}', 1, '{now}')",
    ]
    for key, meta_hash in (("k1", "h1"), ("k2", "h2")):
        statements.append(
            "INSERT INTO links (job, target, key, target_id, sha256, meta_hash, origin, "
            f"updated_at, basis) VALUES ('j', 't', '{key}', 'id-{key}', 'aa', '{meta_hash}', "
            f"'created', '{now}', 'b1')"
        )
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(sa.text(statement))
    finally:
        await engine.dispose()


async def test_upgrade_from_0005_keeps_links_and_fills_their_metadata_from_the_journal(
    fresh_url: str,
) -> None:
    await migrate_to(fresh_url, "0005")
    await seed_0005_links(fresh_url)
    async with StateStore.open(fresh_url) as store:
        links = await store.links("j", "t", ["k1", "k2"])
    assert {key: link.target_id for key, link in links.items()} == {"k1": "id-k1", "k2": "id-k2"}
    assert links["k1"].pushed_meta == {
        "owner": "part-1",
        "filename": "a.png",
        "alt": None,
        "title": None,
        "position": 2,
        "roles": ["display"],
    }
    assert links["k2"].pushed_meta is None  # nothing in the journal says what was pushed
    assert (links["k1"].basis, links["k1"].meta_hash) == ("b1", "h1")


async def test_downgrade_to_0005_keeps_links(fresh_url: str) -> None:
    await migrate_to(fresh_url, "0005")
    await seed_0005_links(fresh_url)
    await migrate_to(fresh_url, "head")
    await migrate_to(fresh_url, "0005", down=True)
    assert await db_scalar(fresh_url, "SELECT count(*) FROM links") == 2
    assert await db_scalar(fresh_url, "SELECT version_num FROM alembic_version") == "0005"
    async with StateStore.open(fresh_url) as store:  # and up again
        assert set(await store.links("j", "t", ["k1", "k2"])) == {"k1", "k2"}


async def test_opening_without_create_refuses_a_store_that_does_not_exist_and_creates_nothing(
    fresh_url: str,
) -> None:
    from syncer.state import StateMissingError

    with pytest.raises(StateMissingError, match=r"^no state at .*check --state") as caught:
        await StateStore.open(fresh_url, create=False)
    if fresh_url.startswith("sqlite"):
        path = Path(fresh_url.removeprefix("sqlite+aiosqlite:///"))
        assert str(path) in str(caught.value)
        assert not path.parent.exists()  # neither the file nor its directory
    else:
        assert redact(fresh_url) in str(caught.value)
        assert await db_scalar(fresh_url, "SELECT to_regclass('alembic_version')") is None
    async with StateStore.open(fresh_url):  # migrate and sync create it
        pass
    async with StateStore.open(fresh_url, create=False) as store:  # and then it opens
        assert await store.runs() == []
