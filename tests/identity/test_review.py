"""The candidates list over the archive: from the command line and as a page with twins; namesakes
of one letter, another order, a given-name variant and another script are proposed, a pair
decided "not the same person" never is."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from archive import reads
from archive.data.database import Database
from archive.identity import review as review_module
from archive.identity.candidates import find_candidates
from tests.conftest import row_counts
from tests.importing.test_people import letter, write

SPB = "ru/spb"
PEOPLE: dict[str, Any] = {
    "districts": [
        {"key": "ru", "name": "Russia", "kind": "country"},
        {"key": SPB, "name": "Saint Petersburg", "kind": "federal_city", "parent": "ru"},
    ],
    "people": [
        {"key": "pavel-zvyagintsov", "name": "Pavel Zvyagintsov"},
        {"key": "zvyagintsov-pavel", "name": "Звягинцов Павел"},
        {"key": "alexander-ivanov", "name": "Alexander Ivanov"},
        {"key": "aleksandr-ivanov", "name": "Aleksandr Ivanov"},
        {"key": "ksenia-thorstrom", "name": "Ksenia Thorstrom"},
        {"key": "kseniya-torstrem", "name": "Ксения Торстрем"},
        {"key": "pavel-petrov", "name": "Pavel Petrov"},
        {"key": "ivan-sidorov", "name": "Ivan Sidorov"},
    ],
    "statements": [
        {
            "key": f"letter-{n}",
            "title": f"Letter {n}",
            "kind": "open_letter",
            "signatures": [{"person": key, "district": SPB, "role": "municipal deputy"}],
        }
        for n, key in enumerate(
            [
                "pavel-zvyagintsov",
                "zvyagintsov-pavel",
                "alexander-ivanov",
                "aleksandr-ivanov",
                "ksenia-thorstrom",
                "kseniya-torstrem",
                "pavel-petrov",
                "ivan-sidorov",
            ]
        )
    ],
}
EXPECTED = {
    ("pavel-zvyagintsov", "zvyagintsov-pavel"),
    ("aleksandr-ivanov", "alexander-ivanov"),
    ("ksenia-thorstrom", "kseniya-torstrem"),
}


@pytest.fixture
def archive(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> Flask:
    """Return the app with pairs of records that are one person written two ways."""
    path = write(tmp_path, "people.json", PEOPLE)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    return app


def candidates(runner: FlaskCliRunner, *args: str) -> dict[str, Any]:
    result = runner.invoke(args=["people", "candidates", "--json", *args])
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.output)
    return found


def pairs(found: dict[str, Any]) -> set[tuple[str, str]]:
    return {(pair["person"]["key"], pair["other"]["key"]) for pair in found["pairs"]}


def test_candidates_find_another_order_a_given_name_variant_and_another_script(
    archive: Flask, db: Database, runner: FlaskCliRunner
) -> None:
    found = candidates(runner)
    assert pairs(found) == EXPECTED
    assert found["total"] == 3
    assert found["dataset_version"] == row_counts(db)["dataset_version"]
    scores = [pair["score"] for pair in found["pairs"]]
    assert scores == sorted(scores, reverse=True)
    for pair in found["pairs"]:
        assert 0 < pair["score"] <= 1
        assert any("ru/spb" in reason for reason in pair["reasons"]), pair
    assert len(candidates(runner, "--limit", "1")["pairs"]) == 1
    text = runner.invoke(args=["people", "candidates"]).output
    assert "3 pair(s) may be one person" in text
    assert "zvyagintsov-pavel (Звягинцов Павел)" in text


def test_a_pair_marked_not_the_same_never_comes_back(
    archive: Flask, db: Database, runner: FlaskCliRunner, client: Any
) -> None:
    before = client.get("/people/candidates.json").get_json()
    assert before["total"] == 3
    result = runner.invoke(
        args=["people", "distinct", "alexander-ivanov", "aleksandr-ivanov", "--reason", "Twins"]
    )
    assert result.exit_code == 0, result.output
    assert pairs(candidates(runner)) == EXPECTED - {("aleksandr-ivanov", "alexander-ivanov")}
    after = client.get("/people/candidates.json").get_json()  # a new dataset version
    assert after["total"] == 2
    assert "alexander-ivanov" not in json.dumps(after)


def test_namesakes_of_one_letter_are_two_people_and_a_candidate_pair(
    app: Flask, db: Database, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    kazan = {"name": "Ivan Petrov", "description": "Teacher in Kazan"}
    omsk = {"name": "Ivan Petrov", "description": "Doctor in Omsk"}
    path = write(tmp_path, "letter.json", letter("a", kazan, omsk))
    assert runner.invoke(args=["import", str(path)]).exit_code == 0
    assert row_counts(db)["people"] == 2
    found = candidates(runner)
    assert pairs(found) == {("ivan-petrov", "ivan-petrov-2")}
    (pair,) = found["pairs"]
    assert any("same statement" in reason for reason in pair["reasons"]), pair


def test_the_candidates_page_and_its_twins(archive: Flask, client: Any) -> None:
    page = client.get("/people/candidates")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "3 pairs of people may be one person" in html
    assert 'href="/people/zvyagintsov-pavel"' in html and "Звягинцов Павел" in html
    data = client.get("/people/candidates.json").get_json()
    assert (data["total"], data["page"], data["pages"]) == (3, 1, 1)
    first = data["items"][0]
    assert first["person"]["url"] == f"/people/{first['person']['key']}"
    table = client.get("/people/candidates.csv")
    assert table.status_code == 200
    rows = list(csv.DictReader(io.StringIO(table.get_data(as_text=True))))
    assert [row["rank"] for row in rows] == ["1", "2", "3"]
    assert {(row["person_key"], row["other_key"]) for row in rows} == EXPECTED
    assert all(row["reasons"] and row["dataset_version"] for row in rows)
    assert client.get("/people/candidates/").status_code == 308
    assert client.get("/people/candidates?page=x").status_code == 200
    assert "no pairs on this page" in client.get("/people/candidates?page=9").get_data(as_text=True)


def test_the_list_over_the_archive_is_the_engine_s_over_every_person(
    archive: Flask, db: Database, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    kazan = {"name": "Ivan Petrov", "description": "Teacher in Kazan"}
    for key, person in (("y", kazan), ("z", {"name": "Петров Иван"})):
        path = write(tmp_path, f"{key}.json", letter(key, person))
        assert runner.invoke(args=["import", str(path)]).exit_code == 0
    with db.session() as session:
        names = review_module._names(session)
        every, signers = review_module._facts(session, sorted(names), names)
        whole = find_candidates(every, signers, reads.people.distinct_pairs(session))
        found = review_module.review(session)
    assert found.candidates == whole
    assert len(whole) > len(EXPECTED)
