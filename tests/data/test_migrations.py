"""The schema changes only through migrations, and they run both ways."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import String, inspect

from archive.data import migrations
from archive.data.database import Base, Database
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
