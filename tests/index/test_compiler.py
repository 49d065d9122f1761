"""Every search is bounded: too costly queries are refused at once, ranking stops in time."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from archive.bench import corpus
from archive.data.database import Database
from archive.importing import importer
from archive.index import compiler, querylang, search
from archive.index.search import run_search
from archive.web.context import get_index


@pytest.fixture
def filled(app: Flask, db: Database, tmp_path: Path) -> Flask:
    """Return an app holding an 80-statement synthetic corpus."""
    path = tmp_path / "corpus.json"
    corpus.write(path, "S", seed=5, statements=80)
    importer.run(db, [path])
    return app


def _common_words(app: Flask, count: int) -> list[str]:
    """Return the words found in the most statements' texts."""
    reader = get_index(app).searcher().reader()  # the shared searcher's: not to be closed
    frequent = sorted(
        ((reader.doc_frequency("words", word), word) for word in reader.lexicon("words")),
        reverse=True,
    )
    return [word.decode() if isinstance(word, bytes) else word for _n, word in frequent[:count]]


def test_a_query_reading_too_much_of_the_index_is_refused(filled: Flask) -> None:
    words = [w for w in _common_words(filled, 60) if w.isalpha() and len(w) > 3][:12]
    assert len(words) == 12
    results = run_search(get_index(filled), " OR ".join(words))
    assert results.total == 0
    assert any("read too much of the index" in message for message in results.messages)
    # One of those words alone is within the budget.
    assert run_search(get_index(filled), words[0]).total > 0


def test_many_prefixes_are_refused_before_matching(filled: Flask) -> None:
    words = [w for w in _common_words(filled, 80) if w.isalpha() and len(w) > 3]
    prefixes = " ".join(dict.fromkeys(f"{w[:3]}*" for w in words))
    results = run_search(get_index(filled), prefixes)
    assert results.total == 0
    assert any("read too much" in m or "stands for many" in m for m in results.messages)


def test_ranking_stops_at_the_deadline_with_what_it_found(
    filled: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = get_index(filled)
    word = _common_words(filled, 1)[0]
    found = search._select(index, word, None)
    assert len(found.matched) > 20
    # A query of words is scored as it is matched; others are ranked by Whoosh's matchers.
    assert found.scored is not None
    found.scored = None
    monkeypatch.setattr(search, "MIN_RANKING_TIME", 0.0)
    found.deadline = time.monotonic() - 1  # the search's time is up before ranking starts
    ranked = search._ranked(found, frozenset(found.matched), 10)
    assert len(ranked) < len(found.matched)
    assert "Ranking took too long" in " ".join(found.parsed.messages)
    # With time, the same ranking finds the ten best without a note.
    again = search._select(index, word, None)
    scored = search._ranked(again, frozenset(again.matched), 10)
    again.scored = None
    assert search._ranked(again, frozenset(again.matched), 10) == scored
    assert len(scored) == 10
    assert not again.parsed.messages


def test_the_statement_filter_holds_when_ranking_is_cut(
    filled: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = get_index(filled)
    word = _common_words(filled, 1)[0]
    found = search._select(index, word, None)
    some = frozenset(sorted(found.matched)[:5])
    ranked = search._ranked(found, some, 10)
    keys = {found.columns.key[d] for d in some}
    assert set(ranked) == keys


def test_many_fuzzy_words_are_refused_as_they_are_expanded(
    filled: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = [w for w in _common_words(filled, 60) if w.isalpha() and len(w) > 4][:12]
    scanned: list[str] = []
    original = compiler.Compiler._expand

    def counting(self: compiler.Compiler, field_name: str, found: Any) -> list[str]:
        scanned.append(field_name)
        return original(self, field_name, found)

    monkeypatch.setattr(compiler.Compiler, "_expand", counting)
    monkeypatch.setattr(querylang, "MAX_FUZZY_WORDS", len(words))
    results = run_search(get_index(filled), " ".join(f"{word}~" for word in words))
    assert results.total == 0
    assert any("read too much of the index" in m for m in results.messages)
    # It stopped before expanding every word (two fields a word).
    assert len(scanned) < 2 * len(words)


def test_only_the_first_fuzzy_words_allow_a_mistake() -> None:
    parsed = querylang.parse("alpha~ bravo~ charlie~ delta~ echo~ foxtrot~")
    kinds = [clause.kind for clause in parsed.clauses()]
    assert kinds == ["fuzzy"] * querylang.MAX_FUZZY_WORDS + ["word"] * 2
    assert f"Only the first {querylang.MAX_FUZZY_WORDS} words~" in " ".join(parsed.messages)
    assert [c.text for c in parsed.clauses()][-1] == "foxtrot"
