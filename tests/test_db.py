"""Write transactions that do not lose updates, with real processes on one SQLite file."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from sqlalchemy import select

from archive import migrate
from archive.db import Database
from archive.models import Person

WORKERS = 4
INCREMENTS = 40


def _increment(url: str, times: int) -> None:
    """Read a counter, then write it plus one, ``times`` times, each in its own transaction."""
    database = Database(url, busy_timeout=60)
    for _ in range(times):
        with database.writing() as session:
            person = session.scalars(select(Person).where(Person.key == "counter")).one()
            person.description = str(int(person.description or "0") + 1)
    database.dispose()


def test_concurrent_read_then_write_loses_no_update(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'concurrent.sqlite3'}"
    database = Database(url)
    migrate.upgrade(database)
    with database.writing() as session:
        session.add(Person(key="counter", name="Counter", description="0"))
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_increment, args=(url, INCREMENTS)) for _ in range(WORKERS)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [process.exitcode for process in processes] == [0] * WORKERS
    with database.session() as session:
        counter = session.scalars(select(Person.description).where(Person.key == "counter")).one()
    assert counter == str(WORKERS * INCREMENTS)
    database.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'pragmas.sqlite3'}")
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    database.dispose()
