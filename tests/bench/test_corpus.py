"""The synthetic corpus: deterministic, importable, skewed like real data."""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner

from archive.bench import corpus
from archive.data.database import Database
from archive.importing import importer
from tests.conftest import row_counts

CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, corpus.Counts]:
    """Return a 200-statement corpus written to a file, and its counts."""
    path = tmp_path_factory.mktemp("corpus") / "small.json"
    counts, files = corpus.write(path, "S", seed=7, statements=200)
    assert files == [path]
    return path, counts


def _document(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def test_same_seed_gives_same_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    counts, _files = corpus.write(first, "S", seed=1)
    corpus.write(second, "S", seed=1)
    corpus.write(other, "S", seed=2)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()
    assert counts.statements == 1_000
    assert counts.signatures == 10_000


def test_write_and_generate_agree(small: tuple[Path, corpus.Counts]) -> None:
    path, counts = small
    document = corpus.generate("S", seed=7, statements=200)
    assert document == _document(path)
    assert corpus.counts_of(document) == counts
    assert document["format"] == corpus.FORMAT


def test_imports_cleanly_with_matching_row_counts(
    db: Database, small: tuple[Path, corpus.Counts]
) -> None:
    path, counts = small
    result = importer.run(db, [path])
    rows = row_counts(db)
    assert rows["statements"] == counts.statements == 200
    assert rows["people"] == counts.people
    assert rows["districts"] == counts.districts
    assert rows["sources"] == counts.sources
    assert rows["signatures"] == counts.signatures == 2_000
    assert rows["events"] == counts.events > 0
    assert rows["translations"] == counts.translations > 0
    assert result.tally.counts["statement"]["created"] == 200


def test_names_are_cyrillic_and_latin(small: tuple[Path, corpus.Counts]) -> None:
    document = _document(small[0])
    for person in document["people"]:
        assert LATIN.search(person["name"]) and not CYRILLIC.search(person["name"])
        assert CYRILLIC.search(person["names"]["ru"])
        assert 1 <= len(person.get("aliases", [])) <= 3
    for district in document["districts"]:
        assert CYRILLIC.search(district["names"]["ru"])
    texts = {s["language"]: s["text"] for s in document["statements"]}
    assert CYRILLIC.search(texts["ru"]) and LATIN.search(texts["en"])


def test_signatures_per_statement_are_skewed(small: tuple[Path, corpus.Counts]) -> None:
    counts = [len(s["signatures"]) for s in _document(small[0])["statements"]]
    assert sum(counts) == 2_000
    assert min(counts) >= 1
    assert max(counts) >= 5 * statistics.median(counts)


def test_district_tree_depth_and_parents(small: tuple[Path, corpus.Counts]) -> None:
    districts = _document(small[0])["districts"]
    keys = {d["key"] for d in districts}
    depths = {d["key"].count("/") + 1 for d in districts}
    assert depths == {1, 2, 3, 4}
    for district in districts[1:]:
        assert district["parent"] in keys
        assert district["key"].rsplit("/", 1)[0] == district["parent"]


def test_citation_chains_and_withdrawals(small: tuple[Path, corpus.Counts]) -> None:
    document = _document(small[0])
    cites = {s["key"]: s.get("cites") for s in document["sources"]}

    def length(key: str | None) -> int:
        return 0 if key is None else 1 + length(cites[key])

    assert max(length(key) for key in cites) >= 3
    withdrawn = [
        sig
        for s in document["statements"]
        for sig in s["signatures"]
        if sig["stance"] == "withdrawn"
    ]
    assert withdrawn
    assert all(sig["withdrawn"] and sig["withdrawal_source"] in cites for sig in withdrawn)


def test_cli_writes_the_document(runner: FlaskCliRunner, tmp_path: Path) -> None:
    out = tmp_path / "corpus.json"
    result = runner.invoke(args=["corpus", "--size", "S", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "statements" in result.output and "1,000" in result.output
    assert _document(out)["format"] == corpus.FORMAT


def test_unknown_size_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown size"):
        corpus.targets("XL")


def test_a_large_corpus_is_written_in_several_documents_imported_together(
    db: Database, small: tuple[Path, corpus.Counts], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(corpus, "STATEMENTS_PER_FILE", 70)
    path = small[0].with_name("split.json")
    counts, files = corpus.write(path, "S", seed=7, statements=200)
    assert counts == small[1]
    assert [f.name for f in files] == ["split.json", "split.2.json", "split.3.json"]
    documents = [_document(f) for f in files]
    assert [len(d["statements"]) for d in documents] == [70, 70, 60]
    assert "sources" in documents[-1] and "sources" not in documents[0]
    # Together, the same records as the single document.
    whole = _document(small[0])
    assert [s for d in documents for s in d["statements"]] == whole["statements"]
    assert documents[-1]["sources"] == whole["sources"]
    importer.run(db, files)
    assert row_counts(db)["statements"] == 200
    assert row_counts(db)["sources"] == counts.sources
