"""Merge, split and "not the same person": every record moved, revisions written, merged keys
redirected for good, refusals that write nothing, and the data surviving a round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from archive.data.database import Database
from archive.data.models import Changeset, Decision, MergedKey, Revision
from archive.web.context import get_db
from tests.conftest import close, make_app, row_counts
from tests.importing.test_people import letter, people, signers, write

WIKIDATA = {"scheme": "wikidata", "value": "Q4115189"}
ORCID = {"scheme": "orcid", "value": "0000-0002-1825-0097"}
DOCUMENT: dict[str, Any] = {
    "districts": [{"key": "ru", "name": "Russia", "kind": "country"}],
    "sources": [{"key": "news", "kind": "news", "url": "https://news.example.org/a"}],
    "people": [
        {
            "key": "ivan-petrov",
            "name": "Ivan Petrov",
            "aliases": ["I. Petrov"],
            "identifiers": [WIKIDATA],
        },
        {
            "key": "ivan-petrov-2",
            "name": "Иван Петров",
            "names": {"en": "Ivan Petroff"},
            "description": "Deputy in Kazan",
            "identifiers": [ORCID],
        },
        {"key": "anna", "name": "Anna Ivanova"},
    ],
    "statements": [
        {
            "key": "a",
            "title": "Letter A",
            "kind": "open_letter",
            "signatures": [{"person": "ivan-petrov"}, {"person": "anna"}],
        },
        {
            "key": "b",
            "title": "Letter B",
            "kind": "open_letter",
            "signatures": [
                {"person": "ivan-petrov-2", "role": "deputy", "district": "ru", "sources": ["news"]}
            ],
        },
    ],
    "events": [
        {"key": "summoned", "kind": "summoned", "people": ["ivan-petrov-2", "anna"]},
        {"key": "fined", "kind": "fined", "people": ["ivan-petrov", "ivan-petrov-2"]},
    ],
}


@pytest.fixture
def two(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> Flask:
    """Return the app with two records of (maybe) one person and a third person."""
    path = tmp_path / "people.json"
    path.write_text(json.dumps(DOCUMENT, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    return app


def cli(runner: FlaskCliRunner, *args: str) -> Any:
    return runner.invoke(args=["people", *args])


def test_merge_moves_everything_and_writes_revisions(
    two: Flask, db: Database, runner: FlaskCliRunner
) -> None:
    before = row_counts(db)
    result = cli(
        runner, "merge", "ivan-petrov", "ivan-petrov-2", "--reason", "Same deputy", "--actor", "Ola"
    )
    assert result.exit_code == 0, result.output
    after = row_counts(db)
    assert after["people"] == before["people"] - 1
    assert after["signatures"] == before["signatures"]
    assert after["person_identifiers"] == before["person_identifiers"] == 2
    assert (after["merged_keys"], after["person_decisions"]) == (1, 1)
    assert after["dataset_version"] > before["dataset_version"]
    assert f"dataset version {after['dataset_version']}" in result.output

    person = people(db)["ivan-petrov"]
    assert person["name"] == "Ivan Petrov"
    assert person["names"] == {"en": "Ivan Petroff"}
    assert person["aliases"] == ["I. Petrov", "Иван Петров"]
    assert person["identifiers"] == [ORCID, WIKIDATA]
    assert person["description"] == "Deputy in Kazan"
    assert "ivan-petrov-2" not in people(db)
    assert signers(db, "b") == ["ivan-petrov"]
    with db.session() as session:
        changes = session.execute(
            select(Revision.record_type, Revision.record_key, Revision.action, Revision.after)
            .where(Revision.id > before["dataset_version"])
            .order_by(Revision.id)
        ).all()
        changeset = session.scalars(select(Changeset).order_by(Changeset.id.desc())).first()
        merged = session.scalars(select(MergedKey)).one()
        decision = session.scalars(select(Decision)).one()
    assert changeset is not None and (changeset.actor, changeset.summary) == ("Ola", "Same deputy")
    assert [(kind, key, action) for kind, key, action, _after in changes] == [
        ("signature", "b/ivan-petrov-2", "delete"),
        ("signature", "b/ivan-petrov", "insert"),
        ("event", "fined", "update"),
        ("event", "summoned", "update"),
        ("person", "ivan-petrov-2", "delete"),
        ("decision", "ivan-petrov|ivan-petrov-2", "insert"),
        ("person", "ivan-petrov", "update"),
    ]
    moved = changes[1][3]
    assert (moved["role"], moved["district"], moved["sources"]) == ("deputy", "ru", ["news"])
    assert [after["people"] for kind, _key, _action, after in changes if kind == "event"] == [
        ["ivan-petrov"],
        ["anna", "ivan-petrov"],
    ]
    assert merged.key == "ivan-petrov-2" and merged.record["name"] == "Иван Петров"
    assert (decision.decision, decision.person_key, decision.other_key) == (
        "merge",
        "ivan-petrov",
        "ivan-petrov-2",
    )


def test_a_merged_key_redirects_for_good_in_html_and_twins(
    two: Flask, runner: FlaskCliRunner, client: Any
) -> None:
    assert cli(runner, "merge", "ivan-petrov", "ivan-petrov-2", "--reason", "Same").exit_code == 0
    for suffix in ("", ".json", ".csv"):
        response = client.get(f"/people/ivan-petrov-2{suffix}?page=2")
        assert response.status_code == 308
        assert response.headers["Location"] == f"/people/ivan-petrov{suffix}?page=2"
    slash = client.get("/people/ivan-petrov-2/")
    assert slash.status_code == 308 and slash.headers["Location"] == "/people/ivan-petrov-2"
    assert client.get("/people/ivan-petrov-3").status_code == 404
    page = client.get("/people/ivan-petrov").get_data(as_text=True)
    assert "ivan-petrov-2</code> merged into <code>ivan-petrov</code>" in page
    assert ": Same</li>" in page
    data = client.get("/people/ivan-petrov.json").get_json()
    assert data["merged_keys"] == ["ivan-petrov-2"]
    assert [(d["decision"], d["other"], d["actor"], d["reason"]) for d in data["decisions"]] == [
        ("merge", "ivan-petrov-2", "curator", "Same")
    ]
    assert [s["key"] for s in data["statements"]] == ["a", "b"]


def test_a_merge_into_a_person_that_is_merged_later_still_redirects(
    two: Flask, runner: FlaskCliRunner, client: Any
) -> None:
    assert cli(runner, "merge", "ivan-petrov-2", "ivan-petrov").exit_code == 0
    assert cli(runner, "merge", "anna", "ivan-petrov-2").exit_code != 0  # both signed nothing
    # anna and ivan-petrov-2 signed different letters only after a split: merge them now
    assert cli(runner, "split", "ivan-petrov-2", "--signatures", "a", "--key", "x").exit_code == 0
    assert cli(runner, "merge", "anna", "ivan-petrov-2").exit_code == 0
    for old in ("ivan-petrov", "ivan-petrov-2"):
        response = client.get(f"/people/{old}")
        assert (response.status_code, response.headers["Location"]) == (308, "/people/anna")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["merge", "ivan-petrov", "nobody"], "there is no person with the key 'nobody'"),
        (["merge", "ivan-petrov", "ivan-petrov"], "a person is named twice"),
        (["merge", "ivan-petrov", "anna"], "'ivan-petrov' and 'anna' both signed 'a'"),
        (["split", "ivan-petrov", "--signatures", "b"], "'ivan-petrov' did not sign 'b'"),
        (
            ["split", "ivan-petrov", "--signatures", "a", "--key", "anna"],
            "'anna' is already a person's key",
        ),
        (["split", "ivan-petrov", "--signatures", "a", "--key", "Bad Key"], "is not a key"),
        (["distinct", "anna", "anna"], "name two different people"),
        (
            ["split", "ivan-petrov", "--signatures", "a", "--key", "candidates"],
            "'candidates' is the address of a page",
        ),
        (["merge", "ivan-petrov", "ivan-petrov-2", "--reason", "a\x00b"], "control character"),
    ],
)
def test_a_curation_that_would_lose_or_overwrite_something_is_refused(
    two: Flask, db: Database, runner: FlaskCliRunner, args: list[str], message: str
) -> None:
    before = row_counts(db)
    result = cli(runner, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert row_counts(db) == before


def test_not_the_same_person_is_kept_and_stops_a_merge(
    two: Flask, db: Database, runner: FlaskCliRunner, client: Any, tmp_path: Path
) -> None:
    result = cli(runner, "distinct", "ivan-petrov-2", "ivan-petrov", "--reason", "Kazan, not Omsk")
    assert result.exit_code == 0, result.output
    before = row_counts(db)
    again = cli(runner, "distinct", "ivan-petrov", "ivan-petrov-2")
    assert "already decided not the same person" in again.output
    merge = cli(runner, "merge", "ivan-petrov", "ivan-petrov-2")
    assert merge.exit_code != 0
    assert "were decided not the same person (curator, " in merge.output
    assert "Kazan, not Omsk; nothing was written" in merge.output
    assert row_counts(db) == before
    page = client.get("/people/ivan-petrov-2").get_data(as_text=True)
    assert "are not the same person" in page and "Kazan, not Omsk" in page
    # Nor may the two be merged into a third.
    path = write(tmp_path, "third.json", {"people": [{"key": "third", "name": "Ivan P."}]})
    assert runner.invoke(args=["import", str(path)]).exit_code == 0
    into_third = cli(runner, "merge", "third", "ivan-petrov", "ivan-petrov-2")
    assert "'ivan-petrov' and 'ivan-petrov-2' were decided not the same" in into_third.output


def test_split_moves_the_named_signatures_to_a_new_person(
    two: Flask, db: Database, runner: FlaskCliRunner, client: Any
) -> None:
    cli(runner, "merge", "ivan-petrov", "ivan-petrov-2")
    before = row_counts(db)
    result = cli(runner, "split", "ivan-petrov", "--signatures", "b", "--reason", "Two people")
    assert result.exit_code == 0, result.output
    after = row_counts(db)
    assert after["people"] == before["people"] + 1
    assert after["signatures"] == before["signatures"]
    # ivan-petrov-2 is reserved by the merge: the new person takes the next free key
    assert signers(db, "b") == ["ivan-petrov-3"]
    assert signers(db, "a") == ["ivan-petrov", "anna"]
    new = people(db)["ivan-petrov-3"]
    assert (new["name"], new["aliases"], new["identifiers"]) == ("Ivan Petrov", [], [])
    data = client.get("/people/ivan-petrov-3.json").get_json()
    assert [(d["decision"], d["person"], d["reason"]) for d in data["decisions"]] == [
        ("split", "ivan-petrov", "Two people")
    ]


def test_a_merge_survives_export_and_import_into_an_empty_archive(
    two: Flask,
    db: Database,
    runner: FlaskCliRunner,
    tmp_path: Path,
    migrated_file: Path,
) -> None:
    assert cli(runner, "merge", "ivan-petrov", "ivan-petrov-2").exit_code == 0
    first = tmp_path / "A"
    assert runner.invoke(args=["export", "--out", str(first)]).exit_code == 0
    (tmp_path / "second").mkdir()
    second = make_app(tmp_path / "second", migrated_file)
    try:
        second_runner = second.test_cli_runner()
        result = second_runner.invoke(args=["import", str(first)])
        assert result.exit_code == 0, result.output
        again = tmp_path / "B"
        assert second_runner.invoke(args=["export", "--out", str(again)]).exit_code == 0
        assert people(get_db(second)) == people(db)
        response = second.test_client().get("/people/ivan-petrov-2.json")
        assert (response.status_code, response.headers["Location"]) == (
            308,
            "/people/ivan-petrov.json",
        )
    finally:
        close(second)
    tables = sorted(p.name for p in first.iterdir() if p.suffix == ".csv")
    assert tables == sorted(p.name for p in again.iterdir() if p.suffix == ".csv")
    for name in tables:
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
    assert "Q4115189" in (first / "identifiers.csv").read_text(encoding="utf-8")
    assert (first / "merged_keys.csv").read_bytes().decode("utf-8") == (
        "person_key,key\r\nivan-petrov,ivan-petrov-2\r\n"
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"people": [{"key": "ivan-petrov-2", "name": "Ivan"}]},
            "key: person 'ivan-petrov-2' was merged into 'ivan-petrov': use that key",
        ),
        (
            {"events": [{"key": "e", "kind": "fined", "people": ["ivan-petrov-2"]}]},
            "person: person 'ivan-petrov-2' was merged into 'ivan-petrov': use that key",
        ),
        (
            {"people": [{"key": "ivan-petrov", "merged_keys": []}]},
            "merged_keys: 'ivan-petrov-2' stays reserved for good: keep it listed",
        ),
        (
            {"people": [{"key": "ivan-petrov", "merged_keys": ["anna", "ivan-petrov-2"]}]},
            "merged_keys: 'anna' is a person's key, not one merged into another person",
        ),
        (
            {"people": [{"key": "anna", "merged_keys": ["ivan-petrov-2"]}]},
            "merged_keys: 'ivan-petrov-2' is merged into 'ivan-petrov' already",
        ),
    ],
)
def test_an_import_cannot_undo_a_merge(
    two: Flask, db: Database, runner: FlaskCliRunner, tmp_path: Path, document: Any, message: str
) -> None:
    assert cli(runner, "merge", "ivan-petrov", "ivan-petrov-2").exit_code == 0
    before = row_counts(db)
    path = tmp_path / "undo.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert message in result.output, result.output
    assert row_counts(db) == before


def test_re_importing_letters_after_their_signatories_were_merged_changes_nothing(
    app: Flask, db: Database, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    teacher = {"name": "Ivan Petrov", "description": "Teacher in Kazan"}
    deputy = {"name": "Ivan Petrov", "description": "Deputy in Kazan"}
    paths = [
        write(tmp_path, "a.json", letter("a", teacher)),
        write(tmp_path, "b.json", letter("b", deputy)),
    ]
    for path in paths:
        assert runner.invoke(args=["import", str(path)]).exit_code == 0
    assert cli(runner, "merge", "ivan-petrov", "ivan-petrov-2").exit_code == 0
    before = row_counts(db)
    for path in paths:
        result = runner.invoke(args=["import", str(path)])
        assert "inline:     0 new, matched 1 by statement" in result.output, result.output
    assert row_counts(db) == before
    assert signers(db, "a") == signers(db, "b") == ["ivan-petrov"]
