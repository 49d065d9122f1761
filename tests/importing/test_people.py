"""Who a person given inline is: namesakes stay apart, the same file twice changes nothing,
identifiers and the name rule match across letters, and nothing is renamed by accident."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from archive.data.database import Database
from archive.data.models import Person, Revision, Signature, Statement
from archive.data.revisions import absorb
from archive.data.snapshots import Rows, snapshot
from archive.importing import importer
from archive.importing.people import agrees
from tests.conftest import row_counts

DISTRICTS = [
    {"key": "ru", "name": "Russia", "kind": "country"},
    {"key": "ru/spb", "name": "Saint Petersburg", "kind": "federal_city", "parent": "ru"},
    {"key": "ru/kazan", "name": "Kazan", "kind": "city", "parent": "ru"},
]


def letter(key: str, *people: dict[str, Any], district: str | None = None) -> dict[str, Any]:
    """Return an import document of one open letter signed by ``people`` given inline."""
    signatures = [
        {"person": person, "stance": "signed"} | ({"district": district} if district else {})
        for person in people
    ]
    statement = {"key": key, "title": f"Letter {key}", "kind": "open_letter"}
    return {"districts": DISTRICTS, "statements": [statement | {"signatures": signatures}]}


def write(folder: Path, name: str, document: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def people(db: Database) -> dict[str, dict[str, Any]]:
    """Return every stored person as a whole record, by key."""
    with db.session() as session:
        keys = session.scalars(select(Person.key)).all()
        rows = Rows(session).load("person", keys)
        return {key: snapshot("person", row) for key, row in rows.items()}


def signers(db: Database, statement: str) -> list[str]:
    with db.session() as session:
        query = (
            select(Person.key)
            .join(Signature, Signature.person_id == Person.id)
            .join(Statement, Signature.statement_id == Statement.id)
            .where(Statement.key == statement)
            .order_by(Signature.position)
        )
        return list(session.scalars(query))


KAZAN = {"name": "Ivan Petrov", "description": "Teacher in Kazan"}
OMSK = {"name": "Ivan Petrov", "description": "Doctor in Omsk"}


def test_two_namesakes_in_one_letter_are_two_people_and_a_second_import_changes_nothing(
    app: Any, db: Database, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    """Two namesakes were 'given twice' and the whole letter refused."""
    path = write(tmp_path, "letter.json", letter("a", KAZAN, OMSK, {"name": "Anna Ivanova"}))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "inline:     3 new, matched none" in result.output
    assert "1 new people share a name with another person (ivan-petrov-2)" in result.output
    counts = row_counts(db)
    assert (counts["people"], counts["signatures"]) == (3, 3)
    stored = people(db)
    assert stored["ivan-petrov"]["description"] == "Teacher in Kazan"
    assert stored["ivan-petrov-2"]["description"] == "Doctor in Omsk"
    assert signers(db, "a") == ["ivan-petrov", "ivan-petrov-2", "anna-ivanova"]

    again = runner.invoke(args=["import", str(path)])
    assert again.exit_code == 0, again.output
    assert "inline:     0 new, matched 3 by statement" in again.output
    assert row_counts(db) == counts  # the dataset version too
    assert people(db) == stored


def test_the_same_name_in_another_letter_is_a_new_person_not_a_silent_merge(
    app: Any, db: Database, tmp_path: Path
) -> None:
    importer.run(db, [write(tmp_path, "a.json", letter("a", {"name": "Ivan Petrov"}))])
    second = importer.run(db, [write(tmp_path, "b.json", letter("b", {"name": "Ivan Petrov"}))])
    assert second.people.namesakes == ["ivan-petrov-2"]
    assert (signers(db, "a"), signers(db, "b")) == (["ivan-petrov"], ["ivan-petrov-2"])
    counts = row_counts(db)
    for name in ("a.json", "b.json"):  # each letter again: the same people, nothing written
        again = importer.run(db, [tmp_path / name])
        assert again.people.matched == {"statement": 1} and again.people.new == []
    assert row_counts(db) == counts


def test_namesakes_across_two_letters_in_one_import_are_kept_apart(
    app: Any, db: Database, tmp_path: Path
) -> None:
    document = letter("a", {"name": "Ivan Petrov"})
    document["statements"] += letter("b", {"name": "Ivan Petrov"})["statements"]
    result = importer.run(db, [write(tmp_path, "both.json", document)])
    assert result.people.new == ["ivan-petrov", "ivan-petrov-2"]
    counts = row_counts(db)
    assert importer.run(db, [tmp_path / "both.json"]).people.matched == {"statement": 2}
    assert row_counts(db) == counts


def test_another_spelling_in_a_later_letter_adds_an_alias_and_renames_nothing(
    app: Any, db: Database, tmp_path: Path
) -> None:
    """A later letter renamed the stored person and lost the first spelling."""
    first = letter("a", {"name": "Фёдор Ложкин"}, district="ru/spb")
    importer.run(db, [write(tmp_path, "a.json", first)])
    (key,) = people(db)
    before = row_counts(db)
    second = write(tmp_path, "b.json", letter("b", {"name": "Федор Ложкин"}, district="ru/spb"))
    result = importer.run(db, [second], match_people="name")
    assert result.people.matched == {"name": 1} and result.people.new == []
    after = row_counts(db)
    assert after["people"] == before["people"] == 1
    assert after["signatures"] == before["signatures"] + 1
    assert after["dataset_version"] > before["dataset_version"]
    person = people(db)[key]
    assert person["name"] == "Фёдор Ложкин"
    assert person["aliases"] == ["Федор Ложкин"]
    assert signers(db, "b") == [key]
    with db.session() as session:
        revision = session.scalars(
            select(Revision).where(Revision.record_type == "person", Revision.action == "update")
        ).one()
    assert revision.before is not None and revision.after is not None
    assert (revision.before["aliases"], revision.after["aliases"]) == ([], ["Федор Ложкин"])
    assert revision.after["name"] == "Фёдор Ложкин"


def test_the_name_rule_needs_the_same_district_and_words_in_any_order_meet(
    app: Any, db: Database, tmp_path: Path
) -> None:
    importer.run(
        db, [write(tmp_path, "a.json", letter("a", {"name": "Павел Звягинцов"}, district="ru/spb"))]
    )
    elsewhere = letter("b", {"name": "Звягинцов Павел"}, district="ru/kazan")
    result = importer.run(db, [write(tmp_path, "b.json", elsewhere)], match_people="name")
    assert result.people.matched == {} and len(result.people.new) == 1
    same = letter("c", {"name": "Zvyagintsov Pavel"}, district="ru/spb")
    result = importer.run(db, [write(tmp_path, "c.json", same)], match_people="name")
    assert result.people.matched == {"name": 1}
    assert signers(db, "c") == signers(db, "a")
    assert people(db)[signers(db, "a")[0]]["aliases"] == ["Zvyagintsov Pavel"]


def test_the_name_rule_makes_a_new_person_with_a_warning_when_two_people_fit(
    app: Any, db: Database, tmp_path: Path
) -> None:
    two = letter("a", KAZAN, OMSK, district="ru/spb")
    importer.run(db, [write(tmp_path, "a.json", two)])
    result = importer.run(
        db,
        [write(tmp_path, "b.json", letter("b", {"name": "Petrov Ivan"}, district="ru/spb"))],
        match_people="name",
    )
    assert result.people.matched == {}
    assert [w.message for w in result.warnings] == [
        "the same name and district as 'ivan-petrov', 'ivan-petrov-2': a new person is made"
    ]


WIKIDATA = {"scheme": "wikidata", "value": "Q4115189"}


def test_an_identifier_matches_across_letters_whatever_the_name(
    app: Any, db: Database, tmp_path: Path
) -> None:
    first = letter("a", {"name": "Pavel Zvyagintsov", "identifiers": [WIKIDATA]})
    importer.run(db, [write(tmp_path, "a.json", first)])
    before = row_counts(db)
    second = letter("b", {"name": "Звягинцов П. Д.", "identifiers": [WIKIDATA]})
    result = importer.run(db, [write(tmp_path, "b.json", second)])
    assert result.people.matched == {"identifier": 1} and result.people.new == []
    after = row_counts(db)
    assert (after["people"], after["person_identifiers"]) == (1, 1)
    assert after["signatures"] == before["signatures"] + 1
    assert signers(db, "a") == signers(db, "b") == ["pavel-zvyagintsov"]
    person = people(db)["pavel-zvyagintsov"]
    assert (person["name"], person["aliases"]) == ("Pavel Zvyagintsov", ["Звягинцов П. Д."])
    assert person["identifiers"] == [WIKIDATA]


def test_an_identifier_given_to_two_people_is_refused(
    app: Any, db: Database, tmp_path: Path
) -> None:
    importer.run(db, [write(tmp_path, "a.json", letter("a", KAZAN | {"identifiers": [WIKIDATA]}))])
    before = row_counts(db)
    keyed = {"people": [{"key": "someone", "name": "Someone", "identifiers": [WIKIDATA]}]}
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.run(db, [write(tmp_path, "b.json", keyed)])
    assert [str(p) for p in rejected.value.problems] == [
        "b.json: people[0] (someone): identifiers: wikidata Q4115189 already names person "
        "'ivan-petrov'; one person at most has it"
    ]
    orcid = {"scheme": "orcid", "value": "0000-0002-1825-0097"}
    importer.run(db, [write(tmp_path, "c.json", letter("c", OMSK | {"identifiers": [orcid]}))])
    before = row_counts(db)
    both = letter("d", {"name": "Ivan P.", "identifiers": [WIKIDATA, orcid]})
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.run(db, [write(tmp_path, "d.json", both)])
    assert [p.message for p in rejected.value.problems] == [
        "its identifiers name two people: 'ivan-petrov' and 'ivan-petrov-2'"
    ]
    assert row_counts(db) == before


@pytest.mark.parametrize(
    ("identifier", "message"),
    [
        ({"scheme": "wikidata", "value": "42"}, "'42' is not a Wikidata item such as Q42"),
        ({"scheme": "Wiki Data", "value": "Q1"}, "is not a scheme"),
        ({"scheme": "orcid", "value": "1234"}, "is not an ORCID"),
        ({"scheme": "vk"}, "value is required"),
        ("Q42", "must be an object"),
    ],
)
def test_a_malformed_identifier_is_refused(
    app: Any, db: Database, tmp_path: Path, identifier: Any, message: str
) -> None:
    document = {"people": [{"key": "p", "name": "P", "identifiers": [identifier]}]}
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.run(db, [write(tmp_path, "p.json", document)])
    (problem,) = rejected.value.problems
    assert problem.field == "identifiers" and message in problem.message


def test_the_key_of_the_candidates_page_is_no_person_s(
    app: Any, db: Database, tmp_path: Path
) -> None:
    document = {"people": [{"key": "candidates", "name": "Candidates"}]}
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.run(db, [write(tmp_path, "p.json", document)])
    assert [str(p) for p in rejected.value.problems] == [
        "p.json: people[0] (candidates): key: is the address of a page (/people/candidates), "
        "not a key a person may have"
    ]


def test_an_inline_person_whose_name_has_no_letters_is_refused(
    app: Any, db: Database, tmp_path: Path
) -> None:
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.run(db, [write(tmp_path, "a.json", letter("a", {"name": "!!!"}))])
    assert [p.field for p in rejected.value.problems] == ["name"]


RECORD = {
    "key": "fedor-lozhkin",
    "name": "Фёдор Ложкин",
    "description": None,
    "names": {"en": "Fyodor Lozhkin"},
    "aliases": ["Fedor Lozhkin"],
    "identifiers": [WIKIDATA],
}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"name": "Фёдор Ложкин"}, True),
        ({"name": "Fedor Lozhkin"}, True),
        ({"name": "Fyodor Lozhkin", "names": {"en": "Fyodor Lozhkin"}}, True),
        ({"name": "Федор Ложкин"}, False),
        ({"name": "Фёдор Ложкин", "description": "Kazan"}, False),
        ({"name": "Фёдор Ложкин", "identifiers": [WIKIDATA]}, True),
        ({"name": "Фёдор Ложкин", "identifiers": [{"scheme": "vk", "value": "x"}]}, False),
    ],
)
def test_agrees_means_every_given_field_is_the_person_s(given: Any, expected: bool) -> None:
    assert agrees(RECORD, given) is expected


def test_absorb_adds_spellings_and_identifiers_and_renames_nothing() -> None:
    given = {
        "name": "Федор Ложкин",
        "names": {"en": "Fedor Lozhkin", "ru": "Фёдор Ложкин"},
        "description": "Deputy",
        "identifiers": [{"scheme": "vk", "value": "lozhkin"}],
    }
    after = absorb(RECORD, given)
    assert after["name"] == "Фёдор Ложкин"
    assert after["names"] == {"en": "Fyodor Lozhkin", "ru": "Фёдор Ложкин"}
    assert after["aliases"] == ["Fedor Lozhkin", "Федор Ложкин"]
    assert after["description"] == "Deputy"
    assert after["identifiers"] == [{"scheme": "vk", "value": "lozhkin"}, WIKIDATA]
    assert absorb(after, {"description": "Other"})["description"] == "Deputy"
