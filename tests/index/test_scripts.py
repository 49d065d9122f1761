"""Words in every script: marks inside words, apostrophes and Latin letters that do not
decompose are found by the index, the query and the highlighter alike (the highlighter marks
the word as it is written)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from flask import Flask

from archive.data.database import Database
from archive.importing import importer
from archive.index.highlight import highlight
from archive.index.search import run_search
from archive.web.context import get_index


def decomposed(text: str) -> str:
    """Return the text with every letter and its marks apart (as some keyboards type it)."""
    return unicodedata.normalize("NFD", text)


# Each statement's text holds the words of one kind, written as the kind's example has them.
TEXTS = {
    "arabic-marks": "هذا كِتَابٌ مفتوح إلى الحكومة",
    "russian-stress": "Наше заявле́ние для избирателей",
    "vietnamese-decomposed": decomposed("Thư của ông Nguyễn gửi chính quyền"),
    "yoruba-marks": decomposed("Ìwé àwọn aráàlú sí ìjọba"),
    "ukrainian-apostrophe": "Лист підписала Дарʼя з Києва",
    "curly-apostrophe": "Against Putin’s war in Ukraine",
    "polish-letter": "Apel mieszkańców Wrocławia i Łodzi",
    "danish-letter": "Brev fra Søren og Ærø",
    "german-letter": "Aufruf von der Hauptstraße",
}
# (query, the statement it finds, the words the highlighter marks in that statement's text)
FOUND = [
    ("كتاب", "arabic-marks", "كِتَابٌ"),
    ("заявление", "russian-stress", "заявле́ние"),
    ("Nguyen", "vietnamese-decomposed", decomposed("Nguyễn")),
    ("Nguyễn", "vietnamese-decomposed", decomposed("Nguyễn")),
    ("iwe", "yoruba-marks", decomposed("Ìwé")),
    ("Дар'я", "ukrainian-apostrophe", "Дарʼя"),
    ("Дар’я", "ukrainian-apostrophe", "Дарʼя"),
    ('"Putin\'s war"', "curly-apostrophe", "Putin’s war"),
    ("Wroclawia", "polish-letter", "Wrocławia"),
    ("Lodzi", "polish-letter", "Łodzi"),
    ("Soren", "danish-letter", "Søren"),
    ("Aero", "danish-letter", "Ærø"),
    ("Hauptstrasse", "german-letter", "Hauptstraße"),
]


@pytest.fixture
def scripts(demo: Flask, db: Database, tmp_path: Path) -> Flask:
    """Return the app with the demo data and a statement for each kind of word."""
    statements = [
        {"key": key, "title": f"Letter {key}", "kind": "open_letter", "text": text}
        for key, text in TEXTS.items()
    ]
    people = [{"key": "darya-ivanenko", "name": "Дар’я Іваненко"}]
    path = tmp_path / "scripts.json"
    path.write_text(
        json.dumps({"people": people, "statements": statements}, ensure_ascii=False), "utf-8"
    )
    importer.run(db, [path])
    return demo


@pytest.mark.parametrize(("query", "key", "written"), FOUND)
def test_every_kind_of_word_is_found_and_marked_as_written(
    scripts: Flask, query: str, key: str, written: str
) -> None:
    with scripts.app_context():
        found = run_search(get_index(), query)
    assert found.keys == [key], query
    marked = [piece for piece, matched in highlight(TEXTS[key], found.terms) if matched]
    assert marked == written.split()


@pytest.mark.parametrize("query", ["Darya", "Дарья", "Дарʼя", "Daria Ivanenko"])
def test_a_name_with_an_apostrophe_is_found_in_any_spelling(scripts: Flask, query: str) -> None:
    with scripts.app_context():
        assert run_search(get_index(), query).people == ["darya-ivanenko"]


def test_a_word_is_not_cut_at_its_marks(scripts: Flask) -> None:
    """Before, "заявле́ние" was indexed as "заявле" and "ние": a search for the second half
    found it."""
    with scripts.app_context():
        assert run_search(get_index(), "ние").keys == []
