"""The two evaluation letters and the synthetic population: deterministic, in the import format,
importable, and saying truly who signed both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive.bench import letters, population
from archive.bench.letters_names import SYSTEMS, feminine, romanise
from archive.data.database import Database
from archive.importing import importer
from archive.importing.fields import person_key_for
from tests.conftest import row_counts

SMALL = (4, 300, 80, 30, 5)  # seed, first size, second size, in both, namesakes


@pytest.fixture(scope="module")
def small() -> letters.Letters:
    """Return two small letters."""
    return letters.generate(*SMALL)


def test_the_same_seed_gives_the_same_letters(small: letters.Letters) -> None:
    assert letters.generate(*SMALL) == small
    assert letters.generate(5, *SMALL[1:]) != small


def test_sizes_and_the_people_in_both(small: letters.Letters) -> None:
    first = small.first["statements"][0]["signatures"]
    second = small.second["statements"][0]["signatures"]
    assert (len(first), len(second)) == (300, 80)
    assert len(small.same) == 30
    assert len(small.namesakes) == 5
    assert not set(small.same) & small.namesakes
    assert len(set(small.same.values())) >= 5  # written in many ways


def test_the_letters_are_import_documents_of_inline_people(small: letters.Letters) -> None:
    for document in (small.first, small.second):
        assert document["format"] == letters.FORMAT
        districts = {district["key"] for district in document["districts"]}
        (statement,) = document["statements"]
        assert statement["kind"] == "open_letter"
        for signature in statement["signatures"]:
            assert set(signature["person"]) <= {"name", "description"}
            assert signature.get("district", "ru") in districts
            assert signature["stance"] == "signed"
        keys = [person_key_for(s["person"]["name"]) for s in statement["signatures"]]
        assert len(keys) == len(set(keys))  # the importer's keys: one person per signature


def test_namesakes_bear_the_name_and_live_elsewhere(small: letters.Letters) -> None:
    first = small.first["statements"][0]["signatures"]
    second = small.second["statements"][0]["signatures"]
    for one, other in small.namesakes:
        assert first[one].get("district") != second[other].get("district")


def test_each_letter_imports_cleanly(db: Database, small: letters.Letters, tmp_path: Path) -> None:
    for name, document in (("a.json", small.first), ("b.json", small.second)):
        path = tmp_path / name
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        importer.run(db, [path])
    counts = row_counts(db)
    assert counts["signatures"] == counts["people"] == 380  # namesakes are people of their own


def test_imported_into_an_archive_the_letters_give_the_engine_s_candidates(
    small: letters.Letters, tmp_path: Path
) -> None:
    """Import matching and the database's reads lose no pair."""
    direct = letters.evaluate(small)
    imported = letters.evaluate_imported(small, tmp_path)
    assert (imported.found, imported.missed) == (direct.found, direct.missed)
    assert [w[:3] for w in imported.wrong] == [w[:3] for w in direct.wrong]
    assert imported.recall >= 0.8 and imported.precision >= 0.8


def test_people_of_the_letters_are_one_per_signature(small: letters.Letters) -> None:
    people, signers = letters.people_of(small)
    assert len(people) == 380
    assert [len(keys) for keys in signers.values()] == [300, 80]
    assert people[0].key == "a-0000" and people[300].key == "b-0000"
    assert people[0].statements == {"it-workers-letter-a"}


@pytest.mark.parametrize(
    ("word", "spellings"),
    [
        ("Дмитрий", ["Dmitrii", "Dmitriy", "Dmitry"]),
        ("Евгений", ["Evgenii", "Yevgeniy", "Evgeny"]),
        ("Григорьев", ["Grigorev", "Grigoryev", "Grigoryev"]),
        ("Александр", ["Aleksandr", "Aleksandr", "Alexander"]),
        ("Семёнов", ["Semenov", "Semyonov", "Semyonov"]),
    ],
)
def test_romanisations(word: str, spellings: list[str]) -> None:
    assert [romanise(word, system) for system in SYSTEMS] == spellings


@pytest.mark.parametrize(
    ("surname", "hers"),
    [
        ("Иванов", "Иванова"),
        ("Островский", "Островская"),
        ("Толстой", "Толстая"),
        ("Черных", "Черных"),
    ],
)
def test_a_womans_surname(surname: str, hers: str) -> None:
    assert feminine(surname) == hers


def test_the_population_is_deterministic_and_signed() -> None:
    first, again = population.generate(2_000, seed=3), population.generate(2_000, seed=3)
    assert first == again
    assert len(first.people) == 2_000
    assert all(person.statements for person in first.people)
    signed = sum(len(keys) for keys in first.signers.values())
    assert signed >= 2 * 2_000
    assert max(len(keys) for keys in first.signers.values()) <= population.LARGEST_STATEMENT


def test_the_population_is_measured() -> None:
    measured = population.measure(population.generate(2_000, seed=3))
    assert measured.people == 2_000
    assert measured.proposed <= measured.scored <= measured.formed
    assert measured.proposed > 0
