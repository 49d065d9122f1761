"""One writer at a time: a second writer waits for the first, saying so, up to its limit; then
it writes nothing and says so in one line. With real processes on one database (an SQLite
file or a PostgreSQL database): one holds the write lock, `archive import` runs beside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from archive.data.database import Database, WriteBusy
from archive.web.context import get_db
from tests.conftest import new_database, row_counts

ROOT = Path(__file__).resolve().parents[2]
ARCHIVE = str(Path(sys.executable).parent / "archive")
WAITING = "waiting for another import or edit to finish writing (up to {} s)..."
REFUSED = "error: another import or edit is writing (waited {} s); nothing was written"
# A process that holds the write lock until its stdin closes.
HOLDER = """
import sys
from sqlalchemy import select
from archive.data.database import Database

database = Database(sys.argv[1])
with database.writing() as session:
    session.execute(select(1))
    print("holding", flush=True)
    sys.stdin.read()
database.dispose()
"""


def _environment(app: Flask, wait: float) -> dict[str, str]:
    """Return the environment of `archive` on the app's database and index."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "ARCHIVE_"))}
    return env | {
        "ARCHIVE_DATABASE_URL": app.config["DATABASE_URL"],
        "ARCHIVE_INDEX_DIR": app.config["INDEX_DIR"],
        "ARCHIVE_SECRET_KEY": "test",
        "ARCHIVE_WRITE_WAIT": f"{wait:g}",
        "PYTHONUNBUFFERED": "1",
    }


def _hold(url: str) -> subprocess.Popen[str]:
    """Start a process that holds the write lock; return it once it holds it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "holding"
    return holder


def _release(holder: subprocess.Popen[str]) -> None:
    """Let the holder end its transaction and exit."""
    _output, _errors = holder.communicate(timeout=30)
    assert holder.returncode == 0


def _document(tmp_path: Path) -> Path:
    path = tmp_path / "new.json"
    statement = {"key": "written-after-waiting", "title": "Written after waiting", "kind": "other"}
    path.write_text(json.dumps({"statements": [statement]}), encoding="utf-8")
    return path


@pytest.mark.slow
def test_an_import_that_waits_too_long_writes_nothing_and_says_so(
    app: Flask, tmp_path: Path
) -> None:
    """Regression: the second writer died with a raw `database is locked` traceback once
    SQLite's busy timeout ran out."""
    before = row_counts(get_db(app))
    holder = _hold(app.config["DATABASE_URL"])
    try:
        started = time.monotonic()
        refused = subprocess.run(
            [ARCHIVE, "import", str(_document(tmp_path))],
            cwd=ROOT,
            env=_environment(app, 1),
            capture_output=True,
            text=True,
            timeout=120,
        )
        waited = time.monotonic() - started
    finally:
        _release(holder)
    assert refused.returncode == 1, refused.stderr
    assert refused.stderr.splitlines() == [WAITING.format(1), REFUSED.format(1)]
    assert refused.stdout == ""
    assert waited >= 1
    assert row_counts(get_db(app)) == before


@pytest.mark.slow
def test_an_import_waits_for_the_writer_before_it_and_then_writes(
    app: Flask, tmp_path: Path
) -> None:
    holder = _hold(app.config["DATABASE_URL"])
    try:
        waiting = subprocess.Popen(
            [ARCHIVE, "import", str(_document(tmp_path))],
            cwd=ROOT,
            env=_environment(app, 120),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert waiting.stderr is not None
        assert waiting.stderr.readline().rstrip("\n") == WAITING.format(120)
        time.sleep(1)  # still waiting a while after saying so
        assert waiting.poll() is None
    finally:
        _release(holder)
    stdout, stderr = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, stderr
    assert stderr == ""
    assert "statement:  1 created" in stdout
    assert row_counts(get_db(app))["statements"] == 1


def test_a_writer_that_finds_the_lock_held_says_so_once_then_gives_up(tmp_path: Path) -> None:
    url = new_database(tmp_path, "busy")
    holder, other = Database(url), Database(url, write_wait=0.8)
    said: list[float] = []
    other.write_lock.on_wait = said.append
    with holder.writing() as session:
        session.execute(select(1))
        started = time.monotonic()
        with pytest.raises(WriteBusy, match=r"waited 0\.8 s"), other.writing() as session:
            session.execute(select(1))
        assert 0.8 <= time.monotonic() - started < 5
    assert said == [0.8]
    with other.writing() as session:  # the lock is free again, and taken without a word
        session.execute(select(1))
    assert said == [0.8]
    holder.dispose()
    other.dispose()


def test_a_curation_that_waits_too_long_writes_nothing_and_says_so(
    app: Flask, runner: FlaskCliRunner
) -> None:
    app.config["WRITE_WAIT"] = 0.6
    holder = Database(app.config["DATABASE_URL"])
    with holder.writing() as session:
        session.execute(select(1))
        result = runner.invoke(args=["people", "distinct", "anna", "boris"])
    holder.dispose()
    assert result.exit_code == 1
    assert result.output.splitlines() == [WAITING.format(0.6), REFUSED.format(0.6)]
