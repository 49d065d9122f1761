"""The index at scale: a large import rebuilds it on every core; the result equals a serial one."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from archive.bench import corpus
from archive.data.database import Database
from archive.importing import importer
from archive.index import generations
from archive.index.columns import Columns
from archive.index.generations import SearchIndex
from archive.index.search import run_search
from archive.web.context import get_index

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a 60-statement synthetic corpus."""
    path = tmp_path_factory.mktemp("corpus") / "small.json"
    corpus.write(path, "S", seed=3, statements=60)
    return path


def _generation(app: Flask) -> str:
    return (Path(app.config["INDEX_DIR"]) / "CURRENT").read_text(encoding="utf-8")


def test_a_large_import_rebuilds_the_index_in_parallel(
    app: Flask, db: Database, small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generations, "PARALLEL_FROM", 20)
    before = _generation(app)
    importer.run(db, [small])
    index = get_index(app)
    # The import touched every document, so a new generation replaced the live one...
    assert _generation(app) != before
    # ...written by several processes, each its own segment.
    with index.open().reader() as reader:
        assert len(reader.leaf_readers()) > 1
    assert index.differences() == []
    assert run_search(index, "").total == 60


def test_a_small_change_is_applied_in_place(
    app: Flask, db: Database, small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    importer.run(db, [small])
    before = _generation(app)
    monkeypatch.setattr(generations, "PARALLEL_FROM", 20)
    statement = {"key": "one-more", "title": "One more", "kind": "appeal", "date": "2023"}
    path = small.with_name("one.json")
    path.write_text(json.dumps({"statements": [statement]}), "utf-8")
    importer.run(db, [path])
    assert _generation(app) == before
    assert get_index(app).differences() == []


def _ensure_current(url: str, folder: str, results: Any) -> None:
    index = SearchIndex(folder, Database(url))
    results.put(index.ensure_current())
    index.close()
    index.database.dispose()


def test_processes_finding_an_unusable_index_rebuild_it_once(
    app: Flask, db: Database, small: Path
) -> None:
    importer.run(db, [small])
    folder = Path(app.config["INDEX_DIR"])
    unusable = folder / "gen-unusable"
    unusable.mkdir()
    (folder / "CURRENT").write_text(unusable.name, encoding="utf-8")
    before = {path.name for path in folder.glob("gen-*")}
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [
        context.Process(
            target=_ensure_current, args=(app.config["DATABASE_URL"], str(folder), results)
        )
        for _ in range(3)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert [p.exitcode for p in processes] == [0, 0, 0]
    # One rebuilt it; the others, having waited for it, used its index ("rebuilt" too), or,
    # started after it, found that index current.
    outcomes = [results.get(timeout=5) for _ in processes]
    assert "rebuilt" in outcomes and set(outcomes) <= {"rebuilt", "current"}, outcomes
    after = {path.name for path in folder.glob("gen-*")}
    (built,) = after - before  # one new generation, however many processes found it unusable
    assert (folder / "CURRENT").read_text(encoding="utf-8") == built
    # The unusable one is dropped; the one before it is kept (searches may read it meanwhile).
    assert after == (before - {unusable.name}) | {built}
    assert get_index(app).differences() == []


def test_columns_are_kept_per_segment_and_equal_a_fresh_read(
    app: Flask, db: Database, small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generations, "PARALLEL_FROM", 20)
    importer.run(db, [small])
    index = get_index(app)
    assert run_search(index, "").total == 60
    before = dict(index.segments)
    assert len(before) > 1
    statement = {"key": "one-more", "title": "One more", "kind": "appeal", "date": "2023"}
    path = small.with_name("one-more.json")
    path.write_text(json.dumps({"statements": [statement]}), "utf-8")
    importer.run(db, [path])
    results = run_search(index, "")
    assert results.total == 61
    searcher = index.searcher()
    leaves = searcher.reader().leaf_readers()
    current = {leaf.segment().segment_id() for leaf, _offset in leaves}
    # Only the segments of the live index are kept; those that were there already are reused.
    assert set(index.segments) == current
    assert current - set(before) and current & set(before)
    for segment_id in current & set(before):
        assert index.segments[segment_id] is before[segment_id]
    kept, fresh = index.columns(searcher), Columns(searcher, {})
    for name in ("doctype", "date", "key", "values"):
        assert getattr(kept, name) == getattr(fresh, name)
    every = list(fresh.key)
    assert kept.count(every) == fresh.count(every)
    assert sum(fresh.count(every)["kind"].values()) == 61
