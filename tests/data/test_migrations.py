"""The schema changes only through migrations, and they run both ways."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import String, inspect, text

from archive.data import migrations
from archive.data.database import Base, Database
from archive.data.urls import url_key
from tests.conftest import close, new_database


def _tables(database: Database) -> set[str]:
    with database.engine.connect() as conn:
        return set(inspect(conn).get_table_names()) - {"alembic_version"}


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    database = Database(new_database(tmp_path, "check"))
    migrations.upgrade(database)
    migrations.check(database)  # raises when a model differs from what the migrations build
    assert _tables(database) == set(Base.metadata.tables)
    database.dispose()


def test_upgrade_downgrade_upgrade_on_empty_database(tmp_path: Path) -> None:
    database = Database(new_database(tmp_path, "roundtrip"))
    assert migrations.current_revision(database) is None
    migrations.upgrade(database)
    assert migrations.current_revision(database) == migrations.head_revision()
    migrations.downgrade(database)
    assert _tables(database) == set()
    assert migrations.current_revision(database) is None
    migrations.upgrade(database)
    assert _tables(database) == set(Base.metadata.tables)
    migrations.check(database)
    database.dispose()


def test_every_text_column_compares_bytewise(tmp_path: Path) -> None:
    """Text columns sort bytewise: SQLite's own way, the "C" collation on PostgreSQL."""
    database = Database(new_database(tmp_path, "collation"))
    migrations.upgrade(database)
    expected = "C" if database.engine.dialect.name == "postgresql" else None
    with database.engine.connect() as conn:
        inspector = inspect(conn)
        columns = [
            (table, column["name"], column["type"])
            for table in Base.metadata.tables
            for column in inspector.get_columns(table)
            if isinstance(column["type"], String)
        ]
    declared = [c for table in Base.metadata.tables.values() for c in table.columns]
    assert len(columns) == sum(isinstance(column.type, String) for column in declared) > 40
    assert [(t, c) for t, c, kind in columns if kind.collation != expected] == []
    database.dispose()


def test_migrate_command_upgrades(tmp_path: Path) -> None:
    from archive import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": new_database(tmp_path, "cli"),
            "INDEX_DIR": str(tmp_path / "index"),
        }
    )
    try:
        result = app.test_cli_runner().invoke(args=["migrate"])
        assert result.exit_code == 0, result.output
        assert f"database at migration {migrations.head_revision()}" in result.output
    finally:
        close(app)


def test_import_refuses_unmigrated_database(tmp_path: Path) -> None:
    from archive import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": new_database(tmp_path, "new"),
            "INDEX_DIR": str(tmp_path / "index"),
        }
    )
    try:
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code != 0
        assert "archive migrate" in result.output
    finally:
        close(app)


def test_sources_get_their_address_key_and_a_repeated_address_is_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """0004: stored sources are keyed by address; of two spellings of one, the first by key
    keeps it and the other is named in a warning, nothing merged."""
    database = Database(new_database(tmp_path, "urls"))
    migrations.upgrade(database, "0003")
    rows = [
        ("b-copy", "https://NEWS.example.org:443/letter-caf%C3%A9"),
        ("a-letter", "https://news.example.org/letter-café"),
        ("other", "https://news.example.org/another"),
        ("no-url", None),
    ]
    with database.write_engine.begin() as conn:
        for key, url in rows:
            conn.execute(
                text("INSERT INTO sources (key, kind, url) VALUES (:key, 'news', :url)"),
                {"key": key, "url": url},
            )
    with caplog.at_level(logging.WARNING):
        migrations.upgrade(database)
    with database.engine.connect() as conn:
        stored = conn.execute(text("SELECT key, url_key FROM sources"))
        keys: dict[str, str | None] = {key: address for key, address in stored}
    assert keys == {
        "a-letter": url_key(rows[1][1]),
        "b-copy": None,
        "other": url_key(rows[2][1]),
        "no-url": None,
    }
    assert "source 'b-copy' has the address of source 'a-letter'" in caplog.text
    migrations.downgrade(database, "0003")
    migrations.upgrade(database)
    migrations.check(database)
    database.dispose()
