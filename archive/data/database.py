"""The declarative base, the engine and its sessions.

SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
``BEGIN IMMEDIATE`` so that two read-then-write transactions cannot interleave and lose an
update (SQLite's default deferred transaction lets both read, then fails or overwrites).
On PostgreSQL a write transaction takes a transaction-scoped advisory lock for the same effect.

Reads that must see one state of the archive across many queries (a page, an export, an index
rebuild) use a snapshot session: on SQLite any transaction reads one snapshot (WAL); on
PostgreSQL, whose default READ COMMITTED lets each query see newer commits, it runs at
REPEATABLE READ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import DeclarativeBase, Session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

WRITE = "archive_write"
# Any constant works; it only has to be the same in every process of one deployment.
PG_WRITE_LOCK = 7_305_871_244


class Base(DeclarativeBase):
    """The declarative base of every model: constraints are named by NAMING_CONVENTION."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Database:
    """One engine for a database URL, with read and write session factories."""

    def __init__(self, url: str, busy_timeout: float = 30.0) -> None:
        self.url = make_url(url)
        if self.url.get_backend_name() == "sqlite" and self.url.database:
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(self.url, connect_args=_connect_args(self.url, busy_timeout))
        _install_transaction_events(self.engine)
        self.write_engine = self.engine.execution_options(**{WRITE: True})
        self.snapshot_engine = self.engine
        if self.engine.dialect.name == "postgresql":
            self.snapshot_engine = self.engine.execution_options(isolation_level="REPEATABLE READ")
        # Called after every write transaction commits (the search index catches up here).
        self.after_commit: list[Callable[[], None]] = []

    def session(self) -> Session:
        """Return a session for reading (it may write, without the write lock)."""
        return Session(self.engine, expire_on_commit=False)

    def snapshot_session(self) -> Session:
        """Return a session for reading whose queries all see one state of the database."""
        return Session(self.snapshot_engine, expire_on_commit=False)

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """Yield a session in a transaction that reads one snapshot, closed at the end."""
        with self.snapshot_session() as session, session.begin():
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """Yield a session in a write transaction, committed at the end or rolled back."""
        with Session(self.write_engine, expire_on_commit=False) as session, session.begin():
            yield session
        for callback in self.after_commit:
            callback()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _connect_args(url: Any, busy_timeout: float) -> dict[str, Any]:
    if url.get_backend_name() == "sqlite":
        return {"timeout": busy_timeout}
    return {}


def _install_transaction_events(engine: Engine) -> None:
    """Make SQLite begin transactions itself, IMMEDIATE for writes; lock writes on PostgreSQL."""
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Take transaction control away from the sqlite3 module (it would BEGIN lazily).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def on_begin(conn: Connection) -> None:
            write = conn.get_execution_options().get(WRITE, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    elif engine.dialect.name == "postgresql":

        @event.listens_for(engine, "begin")
        def on_begin_pg(conn: Connection) -> None:
            if conn.get_execution_options().get(WRITE, False):
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})")
