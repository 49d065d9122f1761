"""The declarative base, the engine and its sessions.

SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
``BEGIN IMMEDIATE`` so that two read-then-write transactions cannot interleave and lose an
update (SQLite's default deferred transaction lets both read, then fails or overwrites).
On PostgreSQL a write transaction takes a transaction-scoped advisory lock for the same effect.

A writer that finds the lock held waits for it up to its :class:`WriteLock`'s limit, saying so
once through the lock's ``on_wait`` hook (the command line prints a line; the web says
nothing), then gives up with :class:`WriteBusy` before writing anything. The limit is the
lock's own, not SQLite's busy timeout, which stays short for everything else.

Reads that must see one state of the archive across many queries (a page, an export, an index
rebuild) use a snapshot session: on SQLite any transaction reads one snapshot (WAL); on
PostgreSQL, whose default READ COMMITTED lets each query see newer commits, it runs at
REPEATABLE READ.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
# Seconds a writer waits for the lock without a word: another writer's small transaction ends
# within them, and saying "waiting" for it would only be noise.
QUIET_WAIT = 0.5
SQLITE_BUSY = 5
PG_LOCK_NOT_AVAILABLE = "55P03"


class WriteBusy(Exception):
    """Another transaction held the write lock for longer than the writer would wait."""

    def __init__(self, waited: float) -> None:
        super().__init__(f"another import or edit is writing (waited {waited:g} s)")
        self.waited = waited


@dataclass
class WriteLock:
    """How a write transaction takes the write lock: at once if it is free, else by waiting up
    to ``wait`` seconds; ``on_wait(wait)`` is called once when the wait goes past QUIET_WAIT."""

    wait: float
    on_wait: Callable[[float], None] | None = None

    def take(self, attempt: Callable[[float], bool]) -> None:
        """Take the lock with ``attempt(seconds)``, which tries for that long and tells
        whether it got it; raise WriteBusy when the whole wait runs out."""
        quiet = min(QUIET_WAIT, self.wait)
        if attempt(quiet):
            return
        if self.on_wait is not None:
            self.on_wait(self.wait)
        if self.wait > quiet and attempt(self.wait - quiet):
            return
        raise WriteBusy(self.wait)


class Base(DeclarativeBase):
    """The declarative base of every model: constraints are named by NAMING_CONVENTION."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Database:
    """One engine for a database URL, with read and write session factories."""

    def __init__(
        self, url: str, busy_timeout: float = 30.0, write_wait: float | None = None
    ) -> None:
        """Open the engine of ``url``. ``busy_timeout`` is the seconds a SQLite statement waits
        for a lock; ``write_wait`` the seconds a write transaction waits for another writer
        (``busy_timeout`` if not given; a command sets its own on ``write_lock``)."""
        self.url = make_url(url)
        if self.url.get_backend_name() == "sqlite" and self.url.database:
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(self.url, connect_args=_connect_args(self.url, busy_timeout))
        self.write_lock = WriteLock(busy_timeout if write_wait is None else write_wait)
        _install_transaction_events(self.engine, self.write_lock, busy_timeout)
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
        """Yield a session in a write transaction, committed at the end or rolled back.

        The transaction takes the write lock with its first statement; raises WriteBusy
        (nothing written) when another writer holds it past ``write_lock.wait``.
        """
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


def _install_transaction_events(engine: Engine, lock: WriteLock, busy_timeout: float) -> None:
    """Make SQLite begin transactions itself, IMMEDIATE for writes; lock writes on PostgreSQL.
    Either way a write transaction takes the write lock as ``lock`` says."""
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
            if not conn.get_execution_options().get(WRITE, False):
                conn.exec_driver_sql("BEGIN")
                return
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                lock.take(lambda seconds: _begin_immediate(cursor, seconds))
            finally:
                cursor.execute(f"PRAGMA busy_timeout = {round(busy_timeout * 1000)}")
                cursor.close()

    elif engine.dialect.name == "postgresql":

        @event.listens_for(engine, "begin")
        def on_begin_pg(conn: Connection) -> None:
            if conn.get_execution_options().get(WRITE, False):
                cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                try:
                    lock.take(lambda seconds: _advisory_lock(cursor, seconds))
                finally:
                    cursor.close()


def _begin_immediate(cursor: Any, seconds: float) -> bool:
    """Begin a SQLite write transaction, waiting up to ``seconds`` for another writer's;
    tell whether it began."""
    cursor.execute(f"PRAGMA busy_timeout = {round(seconds * 1000)}")
    try:
        cursor.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode & 0xFF != SQLITE_BUSY:
            raise
        return False
    return True


def _advisory_lock(cursor: Any, seconds: float) -> bool:
    """Take PostgreSQL's write lock for the transaction, waiting up to ``seconds`` for the
    transaction that holds it; tell whether it was taken.

    The server waits (first come, first served), bounded by ``lock_timeout`` inside a
    savepoint, so that running out leaves the transaction usable.
    """
    cursor.execute("SAVEPOINT archive_write_lock")
    cursor.execute(
        "SELECT set_config('lock_timeout', %s, true)", (f"{max(1, round(seconds * 1000))}ms",)
    )
    try:
        cursor.execute(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})")
    except Exception as error:
        if getattr(error, "sqlstate", None) != PG_LOCK_NOT_AVAILABLE:
            raise
        cursor.execute("ROLLBACK TO SAVEPOINT archive_write_lock")
        return False
    cursor.execute("RELEASE SAVEPOINT archive_write_lock")
    cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
    return True
