"""Fixtures: a fresh app on its own migrated database per test.

The tests run on SQLite by default: one file is migrated once per run and copied for each
test. With ``ARCHIVE_TEST_DATABASE_URL`` set to a PostgreSQL server
(``postgresql+psycopg://postgres@127.0.0.1:5432/test``), a template database is migrated once
per run and each test gets a database created from it, dropped after the test. Tests about one
backend's own machinery carry the ``sqlite`` or ``postgresql`` marker and run only on it.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from archive import create_app
from archive.data import migrations, models
from archive.data.database import Database
from archive.data.revisions import dataset_version
from archive.web.context import get_db, get_index

TEST_DATABASE_URL = "ARCHIVE_TEST_DATABASE_URL"
BACKENDS = ("sqlite", "postgresql")
ICU_LOCALE = "en-US"
ICU_PROBE = "SELECT count(*) > 0 FROM pg_collation WHERE collprovider = 'i'"

TABLES = [
    models.District,
    models.DistrictName,
    models.Person,
    models.PersonName,
    models.PersonIdentifier,
    models.MergedKey,
    models.Decision,
    models.Source,
    models.Statement,
    models.Demand,
    models.Translation,
    models.Signature,
    models.Event,
    models.Changeset,
    models.Revision,
]


class PostgresServer:
    """The PostgreSQL server the tests make their databases on, named after this process.

    The databases sort text by a language's rules (ICU's ``en-US``, as a server set up in
    English would), not bytewise, so that a query that relies on SQLite's bytewise order fails
    here too; on a server without ICU they take the server's default locale.
    """

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.prefix = f"archive_t_{os.getpid()}"
        self.template = f"archive_tpl_{os.getpid()}"
        self.numbers = itertools.count(1)
        self.locale = ""

    def url_of(self, name: str) -> str:
        """Return the URL of one database on the server."""
        url: URL = self.url.set(database=name)
        return url.render_as_string(hide_password=False)

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE and DROP DATABASE need that)."""
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(sql)
        finally:
            engine.dispose()

    def check(self) -> str:
        """Return the server's version and the tests' collation, or stop the run if the
        server cannot be reached."""
        if self.url.get_backend_name() != "postgresql":
            raise pytest.UsageError(
                f"{TEST_DATABASE_URL} must be a postgresql+psycopg:// URL, not {self.url!r}"
            )
        engine = create_engine(self.url, poolclass=NullPool, connect_args={"connect_timeout": 10})
        try:
            with engine.connect() as conn:
                version = conn.exec_driver_sql("SHOW server_version").scalar_one()
                icu = conn.exec_driver_sql(ICU_PROBE).scalar_one()
        except Exception as error:  # any failure to connect stops the run, never skips
            raise pytest.UsageError(
                f"{TEST_DATABASE_URL} is set, but PostgreSQL at {self.url!r} cannot be "
                f"reached: {error}"
            ) from error
        finally:
            engine.dispose()
        if icu:
            self.locale = f" LOCALE_PROVIDER icu ICU_LOCALE '{ICU_LOCALE}'"
        return f"{version}, collation {ICU_LOCALE + ' (ICU)' if icu else 'of the server'}"

    def create(self, template: str = "template0", name: str | None = None) -> str:
        """Create a new database (empty, or a copy of ``template``) and return its name."""
        name = name or f"{self.prefix}_{next(self.numbers)}"
        # A copy of a template has its locale; a new database is given the tests' one.
        locale = self.locale if template == "template0" else ""
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" ENCODING \'UTF8\'{locale}')
        return name

    def drop(self, name: str) -> None:
        """Drop a database, ending any connection still open to it."""
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _server() -> PostgresServer | None:
    url = os.environ.get(TEST_DATABASE_URL)
    return PostgresServer(url) if url else None


SERVER = _server()
BACKEND = "postgresql" if SERVER else "sqlite"
# Databases made for the running test, dropped when it ends.
_MADE: list[str] = []


# The server's version and the tests' collation, for the header of the run.
_VERSION = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """Stop the run at once if the PostgreSQL server asked for cannot be reached."""
    if SERVER is not None:
        config.stash[_VERSION] = SERVER.check()


def pytest_report_header(config: pytest.Config) -> str:
    """Name the database backend the tests run on."""
    if SERVER is None:
        return f"database backend: sqlite (set {TEST_DATABASE_URL} for PostgreSQL)"
    version = config.stash.get(_VERSION, "?")
    return f"database backend: postgresql {version} at {SERVER.url!r}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the tests marked for the other backend."""
    other = [name for name in BACKENDS if name != BACKEND]
    deselected = [item for item in items if any(item.get_closest_marker(m) for m in other)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


def new_database(folder: Path, name: str, template: Path | None = None) -> str:
    """Return the URL of a new database for the running test (dropped when it ends).

    It is empty, or a copy of the migrated ``template`` (the ``migrated_file`` fixture).
    """
    if SERVER is None:
        path = folder / f"{name}.sqlite3"
        if template is not None:
            shutil.copy(template, path)
        return f"sqlite:///{path}"
    made = SERVER.create(template.read_text(encoding="utf-8") if template else "template0")
    _MADE.append(made)
    return SERVER.url_of(made)


@pytest.fixture(autouse=True)
def _drop_databases() -> Iterator[None]:
    """Drop the PostgreSQL databases made during the test, after its other fixtures end."""
    yield
    while _MADE:
        assert SERVER is not None
        SERVER.drop(_MADE.pop())


@pytest.fixture(scope="session")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Return the database migrated to head once per run (copied for each test).

    On SQLite it is the database file itself; on PostgreSQL a file naming the template
    database (dropped at the end of the run).
    """
    folder = tmp_path_factory.mktemp("template")
    if SERVER is None:
        path = folder / "archive.sqlite3"
        database = Database(f"sqlite:///{path}")
        migrations.upgrade(database)
        with database.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        database.dispose()
        yield path
        return
    SERVER.drop(SERVER.template)
    SERVER.create(name=SERVER.template)
    try:
        database = Database(SERVER.url_of(SERVER.template))
        migrations.upgrade(database)
        database.dispose()
        path = folder / "archive.pgtemplate"
        path.write_text(SERVER.template, encoding="utf-8")
        yield path
    finally:
        SERVER.drop(SERVER.template)


@pytest.fixture(scope="session")
def session_database() -> Iterator[str]:
    """Return the URL of an empty database that lasts the whole run (on PostgreSQL; on
    SQLite an empty string: the caller uses a file of its own)."""
    if SERVER is None:
        yield ""
        return
    name = SERVER.create()
    try:
        yield SERVER.url_of(name)
    finally:
        SERVER.drop(name)


def make_app(tmp_path: Path, migrated_file: Path, **config: Any) -> Flask:
    """Create an app on a copy of the migrated database, with its index in ``tmp_path`` made
    ready, as a command that writes makes it (``archive import`` and the like)."""
    settings = {
        "TESTING": True,
        "DATABASE_URL": new_database(tmp_path, "archive", migrated_file),
        "INDEX_DIR": str(tmp_path / "index"),
        "SECRET_KEY": "test",
        **config,
    }
    app = create_app(settings)
    get_index(app).prepare()
    return app


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
    """Wait for the index's background maintenance, then close the app's index searcher and
    database connections."""
    index = get_index(app)
    index.settle()
    index.close()
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
