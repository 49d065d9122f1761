"""The schema changes only through migrations, and they run both ways."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from archive import migrate
from archive.db import Base, Database


def _tables(database: Database) -> set[str]:
    with database.engine.connect() as conn:
        return set(inspect(conn).get_table_names()) - {"alembic_version"}


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'check.sqlite3'}")
    migrate.upgrade(database)
    migrate.check(database)  # raises when a model differs from what the migrations build
    assert _tables(database) == set(Base.metadata.tables)
    database.dispose()


def test_upgrade_downgrade_upgrade_on_empty_database(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}")
    assert migrate.current_revision(database) is None
    migrate.upgrade(database)
    assert migrate.current_revision(database) == migrate.head_revision()
    migrate.downgrade(database)
    assert _tables(database) == set()
    assert migrate.current_revision(database) is None
    migrate.upgrade(database)
    assert _tables(database) == set(Base.metadata.tables)
    database.dispose()


def test_migrate_command_upgrades(tmp_path: Path) -> None:
    from archive import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
            "INDEX_DIR": str(tmp_path / "index"),
        }
    )
    result = app.test_cli_runner().invoke(args=["migrate"])
    assert result.exit_code == 0, result.output
    assert f"database at migration {migrate.head_revision()}" in result.output


def test_import_refuses_unmigrated_database(tmp_path: Path) -> None:
    from archive import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}",
            "INDEX_DIR": str(tmp_path / "index"),
        }
    )
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0
    assert "archive migrate" in result.output
