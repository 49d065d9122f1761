"""Write transactions that do not lose updates, and reads of one snapshot, with real
processes on one database (an SQLite file, or a PostgreSQL database)."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from archive.data import migrations
from archive.data.database import PG_WRITE_LOCK, Database, WriteBusy
from archive.data.models import Person
from tests.conftest import new_database

WORKERS = 4
INCREMENTS = 40
# Between the read and the write, so that unlocked transactions surely interleave.
PAUSE = 0.01


def _increment(url: str, times: int, barrier: Any, locked: bool) -> None:
    """Read a counter, then write it plus one, ``times`` times, each in its own transaction.

    Unlocked, the transaction is an ordinary one (``Database.session``) instead of
    ``Database.writing``; a transaction that the database refuses is an update lost.
    """
    database = Database(url, busy_timeout=60)
    barrier.wait(timeout=120)
    for _ in range(times):
        try:
            with _transaction(database, locked) as session:
                person = session.scalars(select(Person).where(Person.key == "counter")).one()
                time.sleep(PAUSE)
                person.description = str(int(person.description or "0") + 1)
        except OperationalError:
            assert not locked
    database.dispose()


@contextmanager
def _transaction(database: Database, locked: bool) -> Iterator[Session]:
    """Yield a session in a write transaction, or (unlocked) in an ordinary transaction."""
    if locked:
        with database.writing() as session:
            yield session
    else:
        with database.session() as session, session.begin():
            yield session


def _count_concurrently(tmp_path: Path, locked: bool) -> int:
    """Run the workers on a new database and return the counter they leave."""
    url = new_database(tmp_path, "concurrent")
    database = Database(url)
    migrations.upgrade(database)
    with database.writing() as session:
        session.add(Person(key="counter", name="Counter", description="0"))
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WORKERS)
    processes = [
        context.Process(target=_increment, args=(url, INCREMENTS, barrier, locked))
        for _ in range(WORKERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert [process.exitcode for process in processes] == [0] * WORKERS
    with database.session() as session:
        counter = session.scalars(select(Person.description).where(Person.key == "counter")).one()
    database.dispose()
    return int(counter or "0")


def test_concurrent_read_then_write_loses_no_update(tmp_path: Path) -> None:
    assert _count_concurrently(tmp_path, locked=True) == WORKERS * INCREMENTS


def test_without_the_write_lock_updates_are_lost(tmp_path: Path) -> None:
    """The negative control: the same workers in ordinary transactions lose updates (SQLite
    refuses the writes of stale snapshots; PostgreSQL overwrites them)."""
    assert _count_concurrently(tmp_path, locked=False) < WORKERS * INCREMENTS


def test_a_snapshot_does_not_see_later_commits(tmp_path: Path) -> None:
    database = Database(new_database(tmp_path, "snapshot"))
    migrations.upgrade(database)
    with database.writing() as session:
        session.add(Person(key="p", name="Before"))
    names = select(Person.name).where(Person.key == "p")
    with database.snapshot() as snapshot:
        assert snapshot.scalar(names) == "Before"
        with database.writing() as session:
            session.execute(update(Person).where(Person.key == "p").values(name="After"))
        assert snapshot.scalar(names) == "Before"
    with database.snapshot() as snapshot:
        assert snapshot.scalar(names) == "After"
    database.dispose()


def test_text_sorts_and_lowers_bytewise(db: Database) -> None:
    """Keys and names order bytewise and ``lower`` folds ASCII only, as SQLite does, also
    on a PostgreSQL database whose locale sorts by a language's rules."""
    keys = ["k_1", "ksenia", "K2", "k01", "b", "k-1"]
    with db.writing() as session:
        session.add_all(Person(key=key, name=f"Ксения {key}") for key in keys)
    with db.session() as session:
        ordered = list(session.scalars(select(Person.key).order_by(Person.key)))
        lowered = session.scalar(select(func.lower(Person.name)).where(Person.key == "K2"))
        smaller = list(session.scalars(select(Person.key).where(Person.key < "k0")))
    assert ordered == ["K2", "b", "k-1", "k01", "k_1", "ksenia"]
    assert ordered == sorted(keys, key=lambda key: key.encode("utf-8"))
    assert lowered == "Ксения k2"
    assert sorted(smaller) == ["K2", "b", "k-1"]


@pytest.mark.sqlite
def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    database = Database(new_database(tmp_path, "pragmas"))
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    database.dispose()


@pytest.mark.sqlite
def test_sqlite_write_transactions_begin_immediate(tmp_path: Path) -> None:
    """A write transaction holds the write lock from its start: a second one cannot begin."""
    url = new_database(tmp_path, "immediate")
    database, other = Database(url), Database(url, busy_timeout=0.1)
    with database.writing() as session:
        session.execute(select(1))
        with pytest.raises(WriteBusy), other.writing() as session:
            session.execute(select(1))
        with other.snapshot() as session:  # reading is never blocked
            session.execute(select(1))
    database.dispose()
    other.dispose()


def _advisory_locks(database: Database) -> int:
    query = (
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
        f" AND ((classid::bigint << 32) | objid::bigint) = {PG_WRITE_LOCK}"
    )
    with database.engine.connect() as conn:
        return int(conn.exec_driver_sql(query).scalar_one())


@pytest.mark.postgresql
def test_postgresql_write_transactions_hold_the_advisory_lock(tmp_path: Path) -> None:
    database = Database(new_database(tmp_path, "advisory"))
    assert _advisory_locks(database) == 0
    with database.writing() as session:
        session.execute(select(1))
        assert _advisory_locks(database) == 1
        with database.snapshot() as reading:  # reading is never blocked
            reading.execute(select(1))
    assert _advisory_locks(database) == 0  # released with the transaction
    database.dispose()


@pytest.mark.postgresql
def test_postgresql_snapshots_run_repeatable_read(tmp_path: Path) -> None:
    """Snapshots read at REPEATABLE READ; an ordinary session (READ COMMITTED) would see
    commits made after its first query, which is why exports and rebuilds use snapshots."""
    database = Database(new_database(tmp_path, "isolation"))
    migrations.upgrade(database)
    with database.snapshot() as snapshot:
        assert snapshot.scalar(select(Person.name).limit(1)) is None
        level = snapshot.connection().exec_driver_sql("SHOW transaction_isolation").scalar()
        assert level == "repeatable read"
    names = select(Person.name).where(Person.key == "p")
    with database.session() as session, session.begin():
        assert session.scalar(names) is None
        with database.writing() as writing:
            writing.add(Person(key="p", name="Later"))
        assert session.scalar(names) == "Later"
    database.dispose()
