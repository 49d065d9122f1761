"""Search that never silently lags: real gunicorn workers, a real `archive import` killed with
SIGKILL after its commit, an index folder deleted under a running server, and an import whose
index folder cannot be written.

In the first two no command is run afterwards: the workers' own background maintenance brings
the index back, while the search page says how far behind it is or that it is being rebuilt.
The third must not exit 0 as if search showed what it wrote.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from archive.bench import corpus
from archive.data.database import Database
from archive.data.revisions import dataset_version
from archive.web.context import get_db, get_index
from tests.web import test_workers
from tests.web.test_workers import Command, Server, get, get_json, run, server

pytestmark = pytest.mark.slow

__all__ = ["server"]  # the fixture, served to this module's tests

CATCH_UP_SECONDS = 60  # the bound: the new data is found within a minute
COMMIT_SECONDS = 180  # for the import to commit on a loaded machine


def version(database: Database) -> int:
    """Return the database's dataset version."""
    with database.session() as session:
        return dataset_version(session)


def poll(port: int, path: str, done: Callable[[Any], bool], seconds: float) -> Any:
    """Request a JSON twin until ``done`` holds of its answer, failing after ``seconds``;
    return that answer."""
    deadline = time.monotonic() + seconds
    while True:
        status, body = get(port, path)
        if status == 200 and done(json.loads(body)):
            return json.loads(body)
        if time.monotonic() > deadline:
            pytest.fail(f"{path} was not as awaited within {seconds} s: {status} {body[:300]!r}")
        time.sleep(0.5)


def archive(app: Flask, *args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """Run an `archive` command to its end on the app's database and index folder (or the
    one ``ARCHIVE_INDEX_DIR`` names), in a process of its own."""
    return subprocess.run(
        [str(test_workers.BIN / "archive"), *args],
        cwd=test_workers.ROOT,
        env={**test_workers.environment(app), **environment},
        capture_output=True,
        text=True,
        timeout=test_workers.COMMAND_SECONDS,
        check=False,
    )


def test_search_says_it_lags_after_an_import_killed_past_its_commit_then_catches_up(
    demo: Flask, server: Server, tmp_path: Path
) -> None:
    database = get_db(demo)
    document = tmp_path / "corpus.json"
    corpus.write(document, "S", seed=5, statements=40)
    before = version(database)
    # Another process's index writer holds the import's catch-up back after its commit.
    writer = get_index(demo).open().writer()
    try:
        command = Command.start(demo, tmp_path / "import.log", "import", str(document))
        deadline = time.monotonic() + COMMIT_SECONDS
        while version(database) == before:
            assert command.process.poll() is None, command.text()
            assert time.monotonic() < deadline, "the import did not commit"
            time.sleep(0.1)
        command.process.kill()  # SIGKILL, past its commit, before its index catch-up
        command.process.wait()
        after = version(database)
        lagging = get_json(server.port, "/search.json?q=")
        assert (lagging["index_version"], lagging["dataset_version"]) == (before, after)
        status, page = get(server.port, "/search?q=")
        assert status == 200
        assert f"do not include the latest {after - before:,} changes yet" in page.decode()
        checked = archive(demo, "check")
        assert checked.returncode == 1
        assert f"the index lags {after - before} change(s) behind" in checked.stderr
    finally:
        writer.cancel()
    # No command: the workers' background catches up.
    caught_up = poll(
        server.port,
        "/search.json?q=",
        lambda data: data["index_version"] == data["dataset_version"],
        CATCH_UP_SECONDS,
    )
    assert caught_up["dataset_version"] == after
    assert caught_up["total"] == 3 + 40  # the demo's statements and the corpus's
    assert archive(demo, "check").returncode == 0
    assert "Traceback" not in server.log.read_text(encoding="utf-8")


def test_a_deleted_index_at_size_s_is_rebuilt_in_the_background_while_search_says_so(
    demo: Flask, server: Server, tmp_path: Path
) -> None:
    document = tmp_path / "corpus.json"
    _counts, files = corpus.write(document, "S", seed=6)
    run(demo, tmp_path / "import.log", "import", *map(str, files))
    total = get_json(server.port, "/search.json?q=")["total"]
    shutil.rmtree(demo.config["INDEX_DIR"])
    started = time.monotonic()
    status, body = get(server.port, "/search.json?q=")
    first_answer = time.monotonic() - started
    # A 503 is the proof that the request did not rebuild the index: it answers without one.
    assert status == 503, body[:300]
    assert b"being rebuilt" in body
    assert get(server.port, "/statements")[0] == 200  # every other page keeps serving
    rebuilt = poll(server.port, "/search.json?q=", lambda data: data["total"] == total, 120)
    assert rebuilt["index_version"] == rebuilt["dataset_version"]
    log = server.log.read_text(encoding="utf-8")
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log
    print(f"first search without an index answered in {first_answer:.3f} s")


def test_an_import_whose_index_folder_cannot_be_written_saves_the_data_and_exits_1(
    demo: Flask, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"  # a file where the index's folder would have to be made
    blocker.write_text("not a folder", encoding="utf-8")
    document = tmp_path / "corpus.json"
    corpus.write(document, "S", seed=7, statements=5)
    database = get_db(demo)
    before = version(database)
    finished = archive(demo, "import", str(document), ARCHIVE_INDEX_DIR=str(blocker / "index"))
    assert finished.returncode == 1, finished.stdout + finished.stderr
    after = version(database)
    assert after > before  # the data is saved
    assert f"error: the data is saved (dataset version {after})" in finished.stderr
    assert "Traceback" not in finished.stdout + finished.stderr
