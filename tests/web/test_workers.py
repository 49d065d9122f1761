"""Gunicorn workers serving reads while imports write: one database, one index, real processes.

Four sync workers answer pages and searches the whole time a corpus import and several small
imports run beside them. Every answer must be a 200 (or the 404 of a statement not yet
imported); the workers' log must show no lock error, traceback or worker timeout; the small
imports, which all edit one statement, must leave a revision chain in which none read a value
another had already replaced; and afterwards every worker (told apart by the pid in the access
log) must find the new statements, and ``archive check`` must find the index equal to the
database. The database and index folder are the ``app`` fixture's, so the test runs on
whatever database the fixtures use.

The tests after it pin what it found: a search does not wait for another process's index
writer, and leaves a large backlog to the background.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from sqlalchemy import select

from archive.bench import corpus
from archive.bench.pages import free_port
from archive.data.database import Database
from archive.data.models import District, Revision, Statement
from archive.importing import importer
from archive.index import search
from archive.index.search import run_search
from archive.web.context import get_db, get_index
from tests.conftest import close, row_counts
from tests.web.served import get as get_within

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKERS = 4
READERS = 3
CORPUS_STATEMENTS = 150
# Each small import adds its own statement (found by its own word) signed by the same person,
# and rewrites the summary of the same demo statement: a read-then-write of one record.
MARKERS = ("quillwort", "bracken", "horsetail", "clubmoss")
SIGNER = "ksenia-thorstrom"
EDITED = "smolninskoye-councillors-call-for-putin-treason-charges"
DEMO_STATEMENT = "2022-09-municipal-deputies-demand-putin-resignation"
GROWING = ("districts", "people", "sources", "statements", "signatures", "events", "translations")
# In gunicorn's log or an import's output: a lock given up on, an error, a worker killed.
LOG_ERRORS = (
    "database is locked",
    "LockError",
    "search index locked",
    "could not catch up",
    "Traceback",
    "Exception on",
    "WORKER TIMEOUT",
)
START_SECONDS = 60
REQUEST_SECONDS = 90
COMMAND_SECONDS = 180


@dataclass
class Answer:
    """One request a reader made: the path, the status (0 when none came) and when."""

    path: str
    status: int
    started: float
    seconds: float
    error: str = ""


@dataclass
class Readers:
    """Threads requesting pages and searches until told to stop, recording every answer."""

    port: int
    paths: list[str]
    answers: list[Answer] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self, count: int) -> None:
        """Start ``count`` reader threads, each going round the paths from its own place."""
        for number in range(count):
            thread = threading.Thread(target=self._read, args=(number,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        """Stop the readers and wait for their last requests."""
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=REQUEST_SECONDS + 10)

    def _read(self, number: int) -> None:
        turn = number
        while not self.stopping.is_set():
            path = self.paths[turn % len(self.paths)]
            turn += 1
            started = time.monotonic()
            try:
                status, _body = get(self.port, path)
                error = ""
            except (OSError, http.client.HTTPException) as failure:
                status, error = 0, repr(failure)
            self.answers.append(Answer(path, status, started, time.monotonic() - started, error))


def get(port: int, path: str) -> tuple[int, bytes]:
    """Request a path on its own connection (so that successive requests may reach any
    worker), waiting up to REQUEST_SECONDS for the answer."""
    return get_within(port, path, timeout=REQUEST_SECONDS)


def get_json(port: int, path: str) -> Any:
    """Request a JSON twin, failing unless it answers 200."""
    status, body = get(port, path)
    assert status == 200, f"{path} answered {status}: {body[:500]!r}"
    return json.loads(body)


def environment(app: Flask) -> dict[str, str]:
    """Return the environment for gunicorn and `archive` on the app's database and index."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FLASK_", "ARCHIVE_"))
    }
    env["ARCHIVE_DATABASE_URL"] = app.config["DATABASE_URL"]
    env["ARCHIVE_INDEX_DIR"] = app.config["INDEX_DIR"]
    env["ARCHIVE_SECRET_KEY"] = "workers-test"
    # The small imports wait for the corpus import's write lock however slow the machine is.
    env["ARCHIVE_WRITE_WAIT"] = "120"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Server:
    """A running gunicorn, its port and its logs."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    access_log: Path


@pytest.fixture
def server(demo: Flask, tmp_path: Path) -> Iterator[Server]:
    """Serve the demo archive with gunicorn's sync workers on a free port; stop it afterwards."""
    close(demo)  # the workers and imports open their own connections
    port = free_port()
    log, access_log = tmp_path / "gunicorn.log", tmp_path / "access.log"
    command = [
        str(BIN / "gunicorn"),
        "app:app",
        f"--workers={WORKERS}",
        "--worker-class=sync",
        f"--bind=127.0.0.1:{port}",
        f"--access-logfile={access_log}",
        # The worker's pid and the request line: which worker answered which request.
        "--access-logformat=%(p)s %(s)s %(r)s",
        "--no-control-socket",  # it would be one file in $HOME for every gunicorn
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment(demo), stdout=output, stderr=subprocess.STDOUT
        )
    try:
        wait_until_answering(process, port, log)
        yield Server(process, port, log, access_log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_until_answering(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Wait until gunicorn answers the home page, failing if it exits or takes too long."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            get(port, "/")
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer within {START_SECONDS} s:\n{log.read_text()}")


@dataclass
class Command:
    """An `archive` command running on the app's database and index, its output in a file."""

    process: subprocess.Popen[bytes]
    output: Path
    started: float
    seconds: float = 0.0

    @classmethod
    def start(cls, app: Flask, output: Path, *args: str) -> Command:
        """Start the command, its output going to ``output``."""
        with output.open("wb") as out:
            process = subprocess.Popen(
                [str(BIN / "archive"), *args],
                cwd=ROOT,
                env=environment(app),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return cls(process, output, time.monotonic())

    def text(self) -> str:
        """Return what the command printed."""
        return self.output.read_text(encoding="utf-8", errors="replace")


def finish(commands: list[Command]) -> None:
    """Wait for every command, failing with the output of any that does not exit with 0."""
    deadline = time.monotonic() + COMMAND_SECONDS
    running = list(commands)
    while running and time.monotonic() < deadline:
        for command in list(running):
            if command.process.poll() is not None:
                command.seconds = time.monotonic() - command.started
                running.remove(command)
        time.sleep(0.05)
    for command in running:
        command.process.kill()
        command.process.wait()
    assert not running, f"commands ran over {COMMAND_SECONDS} s: {[c.text() for c in running]}"
    for command in commands:
        args = command.process.args
        assert command.process.returncode == 0, f"{args!r} failed:\n{command.text()}"


def run(app: Flask, output: Path, *args: str) -> str:
    """Run one `archive` command to its end and return its output."""
    command = Command.start(app, output, *args)
    finish([command])
    return command.text()


def small_import(folder: Path, number: int) -> Path:
    """Write the small import of one writer: its own statement, and an edit of a shared one."""
    path = folder / f"writer-{number}.json"
    document = {
        "statements": [
            {
                "key": f"concurrent-writer-{number}",
                "title": f"Concurrent writer {MARKERS[number]}",
                "kind": "other",
                "signatures": [{"person": SIGNER, "role": "Deputy"}],
            },
            {"key": EDITED, "summary": f"Summary written by writer {number}."},
        ]
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def corpus_keys(path: Path) -> dict[str, set[str]]:
    """Return the keys of every kind of record in a corpus file (signatures as pairs)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    keys = {
        table: {record["key"] for record in document[table]}
        for table in ("districts", "people", "sources", "statements", "events")
    }
    keys["signatures"] = {
        f"{statement['key']}/{signature['person']}"
        for statement in document["statements"]
        for signature in statement["signatures"]
    }
    keys["translations"] = {
        f"{statement['key']}/{translation['language']}"
        for statement in document["statements"]
        for translation in statement.get("translations", [])
    }
    return keys


def test_workers_serve_reads_while_imports_write(
    demo: Flask, server: Server, tmp_path: Path
) -> None:
    database = get_db(demo)
    before = row_counts(database)
    with database.session() as session:
        demo_districts = set(session.scalars(select(District.key)))
    document = tmp_path / "corpus.json"
    corpus.write(document, "S", seed=11, statements=CORPUS_STATEMENTS)
    added = corpus_keys(document)
    first_new = sorted(added["statements"])[0]
    readers = Readers(
        server.port,
        [
            "/",
            f"/statements/{DEMO_STATEMENT}",
            f"/statements/{first_new}",  # 404 until the corpus import commits
            "/search.json?q=resignation",
            f"/search.json?q={MARKERS[0]}",
            "/search.json?q=&sort=date",
            f"/people/{SIGNER}",
            f"/statements/{EDITED}",
        ],
    )
    readers.start(READERS)
    try:
        time.sleep(1)  # the readers are under way before the writers start
        started = time.monotonic()
        paths = [document, *(small_import(tmp_path, n) for n in range(len(MARKERS)))]
        imports = [Command.start(demo, p.with_suffix(".out"), "import", str(p)) for p in paths]
        finish(imports)
        finished = time.monotonic()
        time.sleep(0.5)  # a few more reads after the imports
    finally:
        readers.stop()

    during = [a for a in readers.answers if started <= a.started <= finished]
    bad = [a for a in readers.answers if a.status != 200 and not _early_404(a, first_new, finished)]
    assert not bad, f"{len(bad)} bad answers, first: {bad[:5]}"
    assert len(during) >= 20, (
        f"only {len(during)} requests during {finished - started:.1f} s of imports"
    )
    logs = {"gunicorn": server.log.read_text(encoding="utf-8", errors="replace")}
    logs.update((command.output.stem, command.text()) for command in imports)
    for name, log in logs.items():
        for error in LOG_ERRORS:
            assert error not in log, f"the {name} log has {error!r}:\n{log}"

    after = row_counts(database)
    added["districts"] -= demo_districts
    assert _counts(after) == _counts(before, added)
    _assert_no_lost_update(demo)
    pids = _assert_every_worker_current(server, after["statements"])
    assert len(pids) == WORKERS, f"only workers {pids} answered"
    assert "the index matches the database" in run(demo, tmp_path / "check.out", "check")
    _report(readers, during, imports, started)


def _report(readers: Readers, during: list[Answer], imports: list[Command], started: float) -> None:
    """Print what the readers saw while the imports ran (shown with pytest -s)."""
    slowest = sorted(during, key=lambda a: -a.seconds)[:3]
    seconds = sorted(a.seconds for a in during)
    print(
        f"\n{len(during)} requests answered during the imports ({len(readers.answers)} in all); "
        f"median {seconds[len(seconds) // 2]:.2f} s; slowest: "
        + ", ".join(f"{a.path} {a.seconds:.1f} s at +{a.started - started:.1f} s" for a in slowest)
        + "\nimports: "
        + ", ".join(f"{c.output.stem} {c.seconds:.1f} s" for c in imports)
        + f"\ncorpus import: {imports[0].text().splitlines()[-1]}"
    )


def _early_404(answer: Answer, first_new: str, imported: float) -> bool:
    """Tell whether an answer is the 404 of a new statement asked for before it was imported."""
    path = f"/statements/{first_new}"
    return answer.status == 404 and answer.path == path and answer.started < imported


def _counts(counts: dict[str, int], added: dict[str, set[str]] | None = None) -> dict[str, int]:
    """Return the row counts of the tables the imports add to, plus the records they add."""
    added = added or {}
    extra = {"statements": len(MARKERS), "signatures": len(MARKERS), "changesets": 1 + len(MARKERS)}
    result = {table: counts[table] for table in (*GROWING, "changesets")}
    if added:
        for table in GROWING:
            result[table] += len(added[table]) + extra.get(table, 0)
        result["changesets"] += extra["changesets"]
    return result


def _assert_no_lost_update(app: Flask) -> None:
    """Every edit of the shared statement read the value the edit before it wrote."""
    with get_db(app).session() as session:
        revisions = session.scalars(
            select(Revision)
            .where(Revision.record_type == "statement", Revision.record_key == EDITED)
            .order_by(Revision.id)
        ).all()
        summary = session.scalar(select(Statement.summary).where(Statement.key == EDITED))
    edits = revisions[1:]  # the first is the demo's insert
    assert len(edits) == len(MARKERS)
    for previous, edit in zip(revisions, edits, strict=False):
        assert edit.before == previous.after, (
            f"revision {edit.id} read {edit.before} after revision {previous.id} wrote "
            f"{previous.after}: an update was lost"
        )
    assert edits[-1].after is not None and summary == edits[-1].after["summary"]
    written = sorted(edit.after["summary"] for edit in edits if edit.after is not None)
    assert written == sorted(f"Summary written by writer {n}." for n in range(len(MARKERS)))


def _assert_every_worker_current(server: Server, statements: int) -> set[str]:
    """Search until every worker has answered; every answer must find every new statement."""
    pids: set[str] = set()
    deadline = time.monotonic() + 30
    probes = iter(range(10_000))
    with ThreadPoolExecutor(max_workers=WORKERS * 2) as pool:
        while len(pids) < WORKERS and time.monotonic() < deadline:
            batch = [next(probes) for _ in range(WORKERS * 4)]
            for future in [pool.submit(_assert_current, server.port, n, statements) for n in batch]:
                future.result()  # raises the probe's assertion error, if any
            pids = _pids_answering(server.access_log, "probe=")
    return pids


def _assert_current(port: int, probe: int, statements: int) -> None:
    """Search once for everything and once for a writer's word; both must be up to date."""
    everything = get_json(port, f"/search.json?q=&probe={probe}")
    assert everything["total"] == statements, f"probe {probe}: {everything['total']} statements"
    writer = probe % len(MARKERS)
    found = get_json(port, f"/search.json?q={quote(MARKERS[writer])}&probe={probe}")
    keys = [hit["key"] for hit in found["results"]]
    assert keys == [f"concurrent-writer-{writer}"], f"probe {probe} found {keys}"


def _pids_answering(access_log: Path, marker: str) -> set[str]:
    """Return the pids of the workers whose access-log lines contain ``marker``."""
    lines = access_log.read_text(encoding="utf-8").splitlines()
    return {line.split(" ", 1)[0] for line in lines if marker in line}


# What the workers test found: searches that wait for an import's catch-up, or do it.


def test_a_search_neither_waits_for_an_import_s_catch_up_nor_does_it(
    demo: Flask,
    db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Regression: a search waited 30 s for an import's index writer, or caught the whole
    import up inside the request, past gunicorn's timeout (WORKER TIMEOUT, a 500)."""
    index = get_index(demo)
    after_commit = list(db.after_commit)
    db.after_commit.clear()  # the import has committed and not yet caught the index up
    importer.run(db, [small_import(tmp_path, 0)])  # three revisions
    writer = index.open().writer()  # the import's catch-up holds the index writer
    try:
        started = time.monotonic()
        assert run_search(index, MARKERS[0]).keys == []  # the index as it was
        assert time.monotonic() - started < 5
    finally:
        writer.cancel()
    assert "locked" not in caplog.text
    monkeypatch.setattr(search, "SEARCH_CATCH_UP_LIMIT", 2)
    # More revisions than a search applies: it answers from the index as it was, and leaves
    # them to the background.
    assert run_search(index, MARKERS[0]).freshness.behind == 3
    assert index.settle(timeout=60)
    assert run_search(index, MARKERS[0]).keys == ["concurrent-writer-0"]
    for catch_up in after_commit:
        catch_up()  # the import's own catch-up, late, finds nothing left to do
    assert run_search(index, MARKERS[0]).freshness.behind == 0


def test_a_search_catches_up_a_small_backlog_itself(
    demo: Flask, db: Database, tmp_path: Path
) -> None:
    db.after_commit.clear()  # as if the writer had died between its commit and its catch-up
    importer.run(db, [small_import(tmp_path, 1)])
    assert run_search(get_index(demo), MARKERS[1]).keys == ["concurrent-writer-1"]
