"""The search index: names in any script, words in any form, sync, rebuild and check."""

from __future__ import annotations

import gc
import json
import multiprocessing
import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from archive import create_app
from archive.data.database import Database
from archive.data.models import Statement
from archive.data.revisions import dataset_version
from archive.importing import importer
from archive.index import search
from archive.index.generations import Freshness, IndexUnavailable, SearchIndex
from archive.index.search import run_search
from archive.web.context import get_db, get_index
from tests.conftest import close, make_app

RESIGNATION = "2022-09-municipal-deputies-demand-putin-resignation"
KUNIN = "2022-09-kunin-calls-for-putin-impeachment-for-treason"
SMOLNINSKOYE = "smolninskoye-councillors-call-for-putin-treason-charges"

FIXTURE = {
    "districts": [
        {"key": "ru", "name": "Russia", "kind": "country"},
        {
            "key": "ru/tver",
            "name": "Tver",
            "kind": "city",
            "parent": "ru",
            "names": {"ru": "Тверь"},
        },
    ],
    "people": [{"key": "olga-yolkina", "name": "Olga Yolkina", "names": {"ru": "Ольга Ёлкина"}}],
    "statements": [
        {
            "key": "tver-appeal",
            "title": "Обращение депутатов Твери",
            "kind": "appeal",
            "date": "2023-03-05",
            "language": "ru",
            "text": "Мы требуем отставки губернатора и прекращения войны.",
            "demands": ["resignation", "end_war"],
            "districts": ["ru/tver"],
            "signatures": [{"person": "olga-yolkina", "role": "deputy", "district": "ru/tver"}],
        },
        {
            "key": "order-a",
            "title": "Letter A",
            "kind": "open_letter",
            "date": "2021",
            "language": "en",
            "text": "We demand the resignation of the mayor.",
        },
        {
            "key": "order-b",
            "title": "Letter B",
            "kind": "open_letter",
            "date": "2021-06",
            "language": "en",
            "text": "The resignation we demand is overdue.",
        },
    ],
}


def _keys(app: Flask, query: str, **filters: str) -> list[str]:
    with app.app_context():
        return sorted(run_search(get_index(), query, filters).keys)


def _people(app: Flask, query: str) -> list[str]:
    with app.app_context():
        return run_search(get_index(), query).people


def _import(db: Database, tmp_path: Path, document: dict[str, Any], name: str = "f.json") -> None:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    importer.run(db, [path])


@pytest.fixture
def fixture(demo: Flask, db: Database, tmp_path: Path) -> Flask:
    """Return the app with the demo data and a few statements of our own."""
    _import(db, tmp_path, FIXTURE)
    return demo


@pytest.mark.parametrize(
    "query",
    ["Torstrem", "Торстрем", "Xenia Torstrem", "Ksenia Thorstrom", "Torstream", "Ксения Торстрем"],
)
def test_a_name_in_any_script_or_spelling_finds_statement_and_person(
    demo: Flask, query: str
) -> None:
    assert _keys(demo, query) == [RESIGNATION]
    assert _people(demo, query) == ["ksenia-thorstrom"]


def test_romanisation_variants_meet(fixture: Flask) -> None:
    for query in ("Yolkina", "Jolkina", "Ёлкина", "Елкина", "Olga Iolkina", "Тверь", "Tver"):
        assert _keys(fixture, query) == ["tver-appeal"], query


def test_russian_and_english_words_meet_in_any_form(fixture: Flask) -> None:
    assert _keys(fixture, "отставка") == ["tver-appeal"]  # the text has only отставки
    assert _keys(fixture, "отставку войны") == ["tver-appeal"]
    assert _keys(fixture, "resign") == sorted([RESIGNATION, "order-a", "order-b"])


def test_treason_finds_both_treason_statements_only(demo: Flask) -> None:
    assert _keys(demo, "treason") == sorted([KUNIN, SMOLNINSKOYE])


def test_a_phrase_finds_only_the_exact_phrase(fixture: Flask) -> None:
    assert _keys(fixture, '"demand the resignation"') == sorted(["order-a", RESIGNATION])
    assert _keys(fixture, '"demand resignation"') == []
    assert _keys(fixture, '"resignation we demand"') == ["order-b"]
    assert _keys(fixture, "demand resignation") == sorted(["order-a", "order-b", RESIGNATION])


def test_exclusion_or_prefix_and_fields(fixture: Flask) -> None:
    # The Tver appeal demands a resignation (a demand tag), in Russian.
    assert _keys(fixture, "resignation -mayor") == sorted([RESIGNATION, "order-b", "tver-appeal"])
    assert _keys(fixture, "Kunin OR Yolkina") == sorted([KUNIN, "tver-appeal"])
    assert _keys(fixture, "resig*") == sorted([RESIGNATION, "order-a", "order-b"])
    assert _keys(fixture, "kind:appeal") == sorted([KUNIN, SMOLNINSKOYE, "tver-appeal"])
    assert _keys(fixture, "demand:end_war") == ["tver-appeal"]
    assert _keys(fixture, "lang:ru") == ["tver-appeal"]
    assert _keys(fixture, "person:Torstrem") == [RESIGNATION]
    assert _keys(fixture, "district:Kolpino") == [RESIGNATION]
    assert _keys(fixture, "title:letter") == ["order-a", "order-b"]
    assert _keys(fixture, "source:mirror") == sorted([RESIGNATION, KUNIN, SMOLNINSKOYE])
    assert _keys(fixture, "date:2021") == ["order-a", "order-b"]
    assert _keys(fixture, "date:2021-06..2023") == sorted(
        ["order-a", "order-b", "tver-appeal", RESIGNATION, KUNIN]
    )


def test_district_filter_includes_everything_below(fixture: Flask) -> None:
    assert _keys(fixture, "", district="ru/spb") == sorted([RESIGNATION, KUNIN, SMOLNINSKOYE])
    assert _keys(fixture, "", district="ru/spb/kolpino") == [RESIGNATION]
    assert _keys(fixture, "", district="ru") == sorted(
        [RESIGNATION, KUNIN, SMOLNINSKOYE, "tver-appeal"]
    )


def test_facets_count_kind_year_district(fixture: Flask) -> None:
    with fixture.app_context():
        results = run_search(get_index(), "")
        assert results.total == 6
        assert results.facets["kind"] == {"statement": 1, "appeal": 3, "open_letter": 2}
        assert results.facets["year"] == {"2021": 2, "2022": 2, "2023": 1}
        assert results.facets["district"]["ru/spb"] == 3
        assert results.facets["district"]["ru"] == 4
        filtered = run_search(get_index(), "", {"kind": "appeal", "year": "2022"})
        assert filtered.keys == [KUNIN]
        assert filtered.facets["kind"] == {"appeal": 1}


def test_sort_by_date_and_pages(fixture: Flask) -> None:
    with fixture.app_context():
        results = run_search(get_index(), "", sort="date", per_page=2, page=1)
        assert results.keys == ["tver-appeal", KUNIN]
        # Undated statements come last.
        assert run_search(get_index(), "", sort="date", per_page=2, page=3).keys == [
            "order-a",
            SMOLNINSKOYE,
        ]


def test_misspelt_word_gets_a_suggestion(demo: Flask) -> None:
    with demo.app_context():
        assert run_search(get_index(), "treasn").suggestion == "treason"
        assert run_search(get_index(), "treason").suggestion is None


BAD_QUERIES = [
    '"unbalanced',
    "OR",
    "AND OR -",
    "*",
    "*a*",
    "a*",
    "**",
    "word~5",
    "[a TO z]",
    "title:[a TO z]",
    "(" * 3000 + "x" + ")" * 3000,
    "x" * 10_000,
    "a\x00b\x07c",
    "\u200f\u202eTorstrem\u202c",
    "-",
    '""',
    "date:garbage",
    "foo:bar",
    "~",
    "?",
]


# Queries of nothing but operators: dropped without a note, as there is nothing to say.
SILENT = ("OR", "AND OR -", "-", '""', "~")


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_bad_queries_give_results_and_say_what_changed(demo: Flask, query: str) -> None:
    with demo.app_context():
        results = run_search(get_index(), query)
    assert len(results.keys) == min(results.total, results.per_page)
    assert bool(results.messages) == (query not in SILENT), results.messages


def test_bad_query_messages(demo: Flask) -> None:
    with demo.app_context():
        index = get_index()
        assert any("Wildcards" in m for m in run_search(index, "*a*").messages)
        assert any("one letter" in m for m in run_search(index, "word~5").messages)
        assert any("cut" in m for m in run_search(index, "x " * 5000).messages)
        assert any("Invisible" in m for m in run_search(index, "\u202eTorstrem").messages)
        assert run_search(index, "\u202eTorstrem").keys == [RESIGNATION]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=300))
def test_any_string_is_a_query(demo: Flask, query: str) -> None:
    with demo.app_context():
        results = run_search(get_index(), query)
    assert results.total == len(set(results.keys)) or results.total > len(results.keys)


def test_rolled_back_transaction_leaves_nothing_in_the_index(demo: Flask, db: Database) -> None:
    with pytest.raises(RuntimeError), db.writing() as session:
        session.add(Statement(key="ghost", title="Ghost statement", kind="other"))
        session.flush()
        raise RuntimeError("roll back")
    assert _keys(demo, "ghost") == []
    with demo.app_context():
        assert get_index().differences() == []


def test_full_reindex_gives_the_same_results_as_incremental_sync(
    demo: Flask, db: Database, tmp_path: Path
) -> None:
    _import(db, tmp_path, FIXTURE)
    edited = json.loads(json.dumps(FIXTURE))
    edited["statements"][1]["text"] = "We demand a new mayor."
    edited["people"][0]["aliases"] = ["Olya Elkina"]
    _import(db, tmp_path, edited, "edited.json")
    queries = ["resignation", "Olya", "Торстрем", "mayor", "", "kind:open_letter", "Tver"]
    with demo.app_context():
        index = get_index()
        assert index.differences() == []
        incremental = [(run_search(index, q).keys, run_search(index, q).facets) for q in queries]
        index.rebuild()
        assert [(run_search(index, q).keys, run_search(index, q).facets) for q in queries] == (
            incremental
        )


def test_a_deleted_index_is_rebuilt_in_the_background_not_by_the_search(demo: Flask) -> None:
    folder = Path(demo.config["INDEX_DIR"])
    shutil.rmtree(folder)
    app = create_app({**demo.config})
    assert not folder.exists()  # making the app leaves the index as it is
    with app.app_context():
        index = get_index()
        with pytest.raises(IndexUnavailable):
            run_search(index, "Torstrem")  # the search answers at once, without an index
        assert index.settle(timeout=120)  # the background rebuilds it
    assert (folder / "CURRENT").exists()
    assert _keys(app, "Torstrem") == [RESIGNATION]
    close(app)


def test_check_finds_a_planted_difference(demo: Flask, runner: Any) -> None:
    assert runner.invoke(args=["check"]).exit_code == 0
    with demo.app_context():
        writer = get_index().open().writer()
        writer.delete_by_term("id", f"statement:{KUNIN}")
        writer.commit()
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert f"statement:{KUNIN} is missing from the index" in result.stderr
    assert runner.invoke(args=["reindex"]).exit_code == 0
    assert runner.invoke(args=["check"]).exit_code == 0


def test_check_reports_a_lagging_index_as_it_is_and_repair_catches_it_up(
    demo: Flask, db: Database, runner: Any, tmp_path: Path
) -> None:
    db.after_commit.clear()  # the writer died after its commit, before the index caught up
    _import(db, tmp_path, FIXTURE)
    with db.session() as session:
        current = dataset_version(session)
    with demo.app_context():
        indexed = get_index().version()
    checked = runner.invoke(args=["check"])
    assert checked.exit_code == 1
    assert f"the index lags {current - indexed} change(s) behind the database" in checked.stderr
    assert "statement:tver-appeal is missing from the index" in checked.stderr
    assert "run `archive check --repair`" in checked.stderr
    with demo.app_context():
        assert get_index().version() == indexed  # checking changed nothing
    repaired = runner.invoke(args=["check", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert "index caught up" in repaired.stderr
    assert runner.invoke(args=["check"]).exit_code == 0
    assert _keys(demo, "отставка") == ["tver-appeal"]


def test_check_reports_a_missing_index_and_repair_rebuilds_it(demo: Flask, runner: Any) -> None:
    with demo.app_context():
        get_index().close()
    shutil.rmtree(demo.config["INDEX_DIR"])
    checked = runner.invoke(args=["check"])
    assert checked.exit_code == 1
    assert "cannot be used: there is none" in checked.stderr
    assert not Path(demo.config["INDEX_DIR"]).exists()  # checking built nothing
    repaired = runner.invoke(args=["check", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert "index rebuilt" in repaired.stderr
    assert _keys(demo, "Torstrem") == [RESIGNATION]


def _ignore(_value: object) -> None:
    """Drop a return value (an after-commit callback returns nothing)."""


def _write_statements(database_url: str, index_dir: str, worker: int, count: int) -> None:
    """Import statements one file at a time, each import followed by an index catch-up."""
    database = Database(database_url, busy_timeout=60)
    index = SearchIndex(index_dir, database)
    database.after_commit.append(lambda: _ignore(index.catch_up()))
    folder = Path(index_dir).parent / f"worker-{worker}"
    folder.mkdir()
    for n in range(count):
        statement = {
            "key": f"w{worker}-{n}",
            "title": f"Worker {worker} number {n}",
            "kind": "other",
        }
        path = folder / f"{n}.json"
        path.write_text(json.dumps({"statements": [statement]}), encoding="utf-8")
        importer.run(database, [path])
    index.close()
    database.dispose()


def test_two_processes_writing_leave_a_complete_index(demo: Flask) -> None:
    url, folder = demo.config["DATABASE_URL"], demo.config["INDEX_DIR"]
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_write_statements, args=(url, folder, w, 15)) for w in range(2)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert [p.exitcode for p in processes] == [0, 0]
    with demo.app_context():
        assert get_index().differences() == []
        assert run_search(get_index(), "worker").total == 30


def test_search_page_data_after_import_through_the_app(fixture: Flask) -> None:
    with fixture.app_context():
        database = get_db()
        with database.session() as session:
            assert session.scalar(select(Statement.key).where(Statement.key == "tver-appeal"))
        assert get_index().differences() == []


def test_make_app_helper_is_used(tmp_path: Path, migrated_file: Path) -> None:
    app = make_app(tmp_path, migrated_file)
    assert _keys(app, "anything") == []
    close(app)


# Whoosh leaves the file of a table of contents it cannot read open; collected in this test.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_unreadable_index_is_rebuilt_in_the_background(demo: Flask) -> None:
    folder = Path(demo.config["INDEX_DIR"])
    generation = folder / (folder / "CURRENT").read_text(encoding="utf-8")
    for table_of_contents in generation.glob("_MAIN_*.toc"):
        table_of_contents.write_bytes(b"not an index")
    app = create_app({**demo.config})
    with app.app_context():
        with pytest.raises(IndexUnavailable):
            run_search(get_index(), "Torstrem")
        assert get_index().settle(timeout=120)
    assert _keys(app, "Torstrem") == [RESIGNATION]
    close(app)
    gc.collect()


# Whoosh leaves the file of a table of contents it cannot read open; collected in this test.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_previous_generation_answers_while_a_damaged_one_is_rebuilt(demo: Flask) -> None:
    folder = Path(demo.config["INDEX_DIR"])
    with demo.app_context():
        get_index().rebuild()  # a second generation: the first is kept as the previous one
    previous, damaged = sorted(path.name for path in folder.glob("gen-*"))
    assert (folder / "CURRENT").read_text(encoding="utf-8") == damaged
    for table_of_contents in (folder / damaged).glob("_MAIN_*.toc"):
        table_of_contents.write_bytes(b"not an index")
    app = create_app({**demo.config})
    with app.app_context():
        index = get_index()
        found = run_search(index, "Torstrem")  # from the previous generation, no 503
        assert found.keys == [RESIGNATION]
        assert found.freshness.behind == 0  # nothing was written since it was built
        assert index.settle(timeout=120)
        rebuilt = (folder / "CURRENT").read_text(encoding="utf-8")
        assert sorted(path.name for path in folder.glob("gen-*")) == [previous, rebuilt]
        assert run_search(index, "Torstrem").keys == [RESIGNATION]
        assert index.differences() == []
    close(app)
    gc.collect()


def test_a_stale_index_says_how_far_behind_it_is_and_catches_up_in_the_background(
    demo: Flask, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db.after_commit.clear()  # as if the process had died between commit and catch-up
    _import(db, tmp_path, FIXTURE)
    monkeypatch.setattr(search, "SEARCH_CATCH_UP_LIMIT", 2)  # more than a search applies
    app = create_app({**demo.config})
    with app.app_context():
        index = get_index()
        before = index.version()
        with db.session() as session:
            current = dataset_version(session)
        assert index.differences()[0].startswith(f"the index lags {current - before} change(s)")
        lagging = run_search(index, "отставка")
        assert lagging.freshness == Freshness(before, current)
        assert lagging.freshness.behind == current - before > 2
        assert index.settle(timeout=120)
        assert index.differences() == []
        caught_up = run_search(index, "отставка")
    assert caught_up.keys == ["tver-appeal"]
    assert caught_up.freshness == Freshness(current, current)
    close(app)


def test_a_search_applies_a_small_backlog_itself(demo: Flask, db: Database, tmp_path: Path) -> None:
    db.after_commit.clear()
    _import(db, tmp_path, FIXTURE)
    with demo.app_context():
        found = run_search(get_index(), "отставка")
        assert found.freshness.behind == 0
        assert found.keys == ["tver-appeal"]
