"""Fixtures: a fresh app on its own migrated SQLite file per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from archive import create_app, migrate, models
from archive.db import Database, get_db
from archive.store import dataset_version

TABLES = [
    models.District,
    models.DistrictName,
    models.Person,
    models.PersonName,
    models.Source,
    models.Statement,
    models.Demand,
    models.Translation,
    models.Signature,
    models.Event,
    models.Changeset,
    models.Revision,
]


@pytest.fixture(scope="session")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an SQLite file migrated to head once per run (copied for each test)."""
    path = tmp_path_factory.mktemp("template") / "archive.sqlite3"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    with database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return path


def make_app(tmp_path: Path, migrated_file: Path, **config: Any) -> Flask:
    """Create an app on a copy of the migrated database in ``tmp_path``."""
    database_file = tmp_path / "archive.sqlite3"
    shutil.copy(migrated_file, database_file)
    settings = {
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{database_file}",
        "INDEX_DIR": str(tmp_path / "index"),
        "SECRET_KEY": "test",
        **config,
    }
    return create_app(settings)


@pytest.fixture
def app(tmp_path: Path, migrated_file: Path) -> Iterator[Flask]:
    """Return an app with an empty, migrated archive."""
    app = make_app(tmp_path, migrated_file)
    yield app
    close(app)


@pytest.fixture
def db(app: Flask) -> Database:
    """Return the app's database."""
    return get_db(app)


@pytest.fixture
def client(app: Flask) -> Any:
    """Return a test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Return a runner for the app's CLI commands."""
    return app.test_cli_runner()


@pytest.fixture
def demo(app: Flask, runner: FlaskCliRunner) -> Flask:
    """Return the app with the demo data loaded."""
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return app


def close(app: Flask) -> None:
    """Close the app's index searcher and database connections."""
    from archive.search import get_index

    get_index(app).close()
    get_db(app).dispose()


def row_counts(database: Database) -> dict[str, int]:
    """Return the number of rows in every table, and the dataset version."""
    with database.session() as session:
        counts = {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in TABLES
        }
        counts["dataset_version"] = dataset_version(session)
    return counts
