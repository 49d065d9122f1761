"""Importing: the demo data, idempotence, updates with revisions, CSV tables, inline people."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from archive.data.database import Database
from archive.data.models import Changeset, Person, Revision, Signature, Source, Statement
from archive.data.snapshots import snapshot
from archive.importing import importer
from archive.importing.importer import DEMO
from tests.conftest import row_counts

RESIGNATION = "2022-09-municipal-deputies-demand-putin-resignation"


def _write_json(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def _demo_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DEMO.read_text(encoding="utf-8"))
    return document


def test_demo_loads_what_the_article_states(demo: Any, db: Database) -> None:
    counts = row_counts(db)
    assert counts["statements"] == 3
    assert counts["people"] == 2
    assert counts["districts"] == 5
    assert counts["sources"] == 4
    assert counts["events"] == 1
    assert counts["signatures"] == 2
    with db.session() as session:
        statement = session.scalars(select(Statement).where(Statement.key == RESIGNATION)).one()
        assert statement.date == "2022-09"
        assert statement.reported_signatories == 18
        assert [s.person.name for s in statement.signatures] == ["Ksenia Thorstrom"]
        assert [d.key for d in statement.districts] == ["ru/moscow", "ru/spb", "ru/spb/kolpino"]
        inkl = session.scalars(select(Source).where(Source.publisher == "inkl")).one()
        chain = [inkl.publisher]
        source: Source | None = inkl
        while source is not None and source.cites is not None:
            source = source.cites
            chain.append(source.publisher or "")
        assert chain == ["inkl", "Daily Mirror", "Daily Mail", "Twitter"]
        article = (DEMO.parent / "seed-article.txt").read_bytes()
        assert inkl.capture_text is not None
        assert inkl.capture_text.encode("utf-8") == article
        assert inkl.capture_sha256 == hashlib.sha256(article).hexdigest()


def test_second_import_writes_no_row_and_no_revision(demo: Any, db: Database, runner: Any) -> None:
    before = row_counts(db)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 3 unchanged" in result.output
    assert row_counts(db) == before


def test_edited_file_updates_and_writes_revision(demo: Any, db: Database, tmp_path: Path) -> None:
    document = _demo_document()
    document["statements"][0]["title"] = "Corrected title"
    path = _write_json(tmp_path / "edited.json", document)
    # The capture file is named relative to the document.
    (tmp_path / "seed-article.txt").write_bytes((DEMO.parent / "seed-article.txt").read_bytes())
    result = importer.run(db, [path], actor="editor")
    assert result.tally.counts["statement"] == {"updated": 1, "unchanged": 2}
    assert result.version_after == result.version_before + 1
    with db.session() as session:
        revision = session.scalars(select(Revision).order_by(Revision.id.desc())).first()
        assert revision is not None
        assert (revision.record_type, revision.record_key, revision.action) == (
            "statement",
            RESIGNATION,
            "update",
        )
        assert revision.before is not None and revision.after is not None
        assert revision.before["title"] == "Municipal deputies demand Vladimir Putin's resignation"
        assert revision.after["title"] == "Corrected title"
        assert revision.after["reported_signatories"] == 18
        assert session.get(Changeset, revision.changeset_id).actor == "editor"  # type: ignore[union-attr]


def test_fields_left_out_keep_their_stored_values(demo: Any, db: Database, tmp_path: Path) -> None:
    path = _write_json(
        tmp_path / "patch.json", {"statements": [{"key": RESIGNATION, "summary": None}]}
    )
    importer.run(db, [path])
    with db.session() as session:
        statement = session.scalars(select(Statement).where(Statement.key == RESIGNATION)).one()
        assert statement.summary is None
        assert statement.title == "Municipal deputies demand Vladimir Putin's resignation"
        assert [d.demand for d in statement.demands] == ["resignation"]


def test_signature_left_out_of_a_listed_set_is_deleted_with_revision(
    demo: Any, db: Database, tmp_path: Path
) -> None:
    path = _write_json(
        tmp_path / "nosig.json", {"statements": [{"key": RESIGNATION, "signatures": []}]}
    )
    result = importer.run(db, [path])
    assert result.tally.counts["signature"] == {"deleted": 1}
    with db.session() as session:
        assert session.scalars(select(Signature)).all().__len__() == 1
        revision = session.scalars(select(Revision).order_by(Revision.id.desc())).first()
        assert revision is not None and revision.action == "delete"
        assert revision.before is not None and revision.before["person"] == "ksenia-thorstrom"
        assert revision.after is None


def test_inline_person_gets_a_derived_key(demo: Any, db: Database) -> None:
    with db.session() as session:
        keys = session.scalars(select(Signature).order_by(Signature.id)).all()
        assert [s.person.key for s in keys] == ["ksenia-thorstrom", "kunin-vasily-evgenievich"]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Kunin Vasily Evgenievich", "kunin-vasily-evgenievich"),
        ("Ксения Торстрем", "kseniya-torstrem"),
        ("Jean-Luc  O'Brien", "jean-luc-o-brien"),
    ],
)
def test_person_key_rule(name: str, key: str) -> None:
    from archive.importing.fields import person_key_for

    assert person_key_for(name) == key


def test_csv_tables_import_and_reimport_unchanged(app: Any, db: Database, tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(
        "key,name,description\r\n"
        'ivan-petrov,Ivan Petrov,"Deputy, ""Kolpino"""\r\n'
        "anna-ivanova,Anna Ivanova,\r\n",
        encoding="utf-8",
    )
    (tmp_path / "aliases.csv").write_text(
        "person_key,language,name\r\nivan-petrov,ru,Иван Петров\r\nivan-petrov,,Ivan Petroff\r\n",
        encoding="utf-8",
    )
    first = importer.run(db, [tmp_path])
    assert first.tally.counts["person"] == {"created": 2}
    with db.session() as session:
        from archive.data.snapshots import Rows, snapshot

        ivan = snapshot("person", Rows(session).get("person", "ivan-petrov"))
    assert ivan == {
        "key": "ivan-petrov",
        "name": "Ivan Petrov",
        "description": 'Deputy, "Kolpino"',
        "names": {"ru": "Иван Петров"},
        "aliases": ["Ivan Petroff"],
        "identifiers": [],
        "merged_keys": [],
    }
    before = row_counts(db)
    second = importer.run(db, [tmp_path / "people.csv", tmp_path / "aliases.csv"])
    assert second.tally.counts["person"] == {"unchanged": 2}
    assert row_counts(db) == before


def test_csv_part_table_replaces_the_list_of_the_records_it_covers(
    app: Any, db: Database, tmp_path: Path
) -> None:
    (tmp_path / "people.csv").write_text("key,name\nivan-petrov,Ivan Petrov\n", encoding="utf-8")
    (tmp_path / "aliases.csv").write_text(
        "person_key,language,name\nivan-petrov,,Ivan Petroff\n", encoding="utf-8"
    )
    importer.run(db, [tmp_path])
    (tmp_path / "aliases.csv").write_text("person_key,language,name\n", encoding="utf-8")
    result = importer.run(db, [tmp_path])
    assert result.tally.counts["person"] == {"updated": 1}


def test_url_of_another_source_is_refused(demo: Any, db: Database, tmp_path: Path) -> None:
    document = {
        "sources": [
            {"key": "a", "kind": "news", "url": "https://example.org/x"},
            {"key": "b", "kind": "news", "url": "https://example.org/x"},
        ]
    }
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.run(db, [_write_json(tmp_path / "urls.json", document)])
    assert [str(p) for p in rejected.value.problems] == [
        "urls.json: sources[1] (b): url: https://example.org/x already belongs to source 'a'"
    ]


def _person(db: Database, key: str) -> dict[str, Any]:
    with db.session() as session:
        person = session.scalars(select(Person).where(Person.key == key)).one()
        return snapshot("person", person)


def test_a_new_name_keeps_the_former_one_as_an_alias(
    app: Any, db: Database, tmp_path: Path
) -> None:
    """A later letter spelled the name anew: the first spelling was lost (no alias)."""
    first = {
        "people": [{"key": "fedor-lozhkin", "name": "Фёдор Ложкин", "aliases": ["F. Lozhkin"]}]
    }
    importer.run(db, [_write_json(tmp_path / "first.json", first)])
    second = {"people": [{"key": "fedor-lozhkin", "name": "Федор Ложкин"}]}
    result = importer.run(db, [_write_json(tmp_path / "second.json", second)])
    assert result.tally.counts["person"] == {"updated": 1}
    person = _person(db, "fedor-lozhkin")
    assert (person["name"], person["aliases"]) == ("Федор Ложкин", ["F. Lozhkin", "Фёдор Ложкин"])
    with db.session() as session:
        revision = session.scalars(select(Revision).order_by(Revision.id.desc())).first()
    assert revision is not None and revision.record_key == "fedor-lozhkin"
    assert revision.before is not None and revision.before["aliases"] == ["F. Lozhkin"]
    assert revision.after is not None and revision.after["aliases"] == person["aliases"]
    before = row_counts(db)
    importer.run(db, [_write_json(tmp_path / "second.json", second)])
    assert row_counts(db) == before  # the same file again changes nothing
    # Back to a spelling that is an alias: the two trade places, neither is lost.
    importer.run(
        db,
        [
            _write_json(
                tmp_path / "first-again.json",
                {"people": [first["people"][0] | {"aliases": ["F. Lozhkin"]}]},
            )
        ],
    )
    person = _person(db, "fedor-lozhkin")
    assert (person["name"], person["aliases"]) == ("Фёдор Ложкин", ["F. Lozhkin", "Федор Ложкин"])


def test_a_former_name_that_is_a_name_in_a_language_is_not_also_an_alias(
    app: Any, db: Database, tmp_path: Path
) -> None:
    first = {
        "people": [{"key": "ksenia", "name": "Ксения Торстрем", "names": {"ru": "Ксения Торстрем"}}]
    }
    importer.run(db, [_write_json(tmp_path / "first.json", first)])
    second = {"people": [{"key": "ksenia", "name": "Ksenia Thorstrom"}]}
    importer.run(db, [_write_json(tmp_path / "second.json", second)])
    person = _person(db, "ksenia")
    assert (person["name"], person["names"], person["aliases"]) == (
        "Ksenia Thorstrom",
        {"ru": "Ксения Торстрем"},
        [],
    )


def _letter(*signatures: dict[str, Any]) -> dict[str, Any]:
    statement = {"key": "letter", "title": "A letter", "kind": "open_letter"}
    return {"statements": [statement | {"signatures": list(signatures)}]}


def test_a_signatory_listed_twice_the_same_way_is_one_signature_with_a_warning(
    app: Any, db: Database, runner: Any, tmp_path: Path
) -> None:
    """One person signed twice: the whole letter was refused ("given twice")."""
    ivan = {"name": "Ivan Petrov", "description": "Kazan"}
    document = _letter(
        {"person": ivan, "role": "teacher"},
        {"person": {"name": "Anna Ivanova"}},
        {"person": dict(ivan), "role": "teacher"},
    )
    path = _write_json(tmp_path / "letter.json", document)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert (
        "warning: letter.json: statements[0] (letter).signatures[2]: person: "
        "'Ivan Petrov' (given inline) is listed twice (first at letter.json: statements[0] (letter)"
        ".signatures[0]); one signature kept"
    ) in result.output
    counts = row_counts(db)
    assert (counts["people"], counts["signatures"]) == (2, 2)
    with db.session() as session:
        kept = session.execute(select(Signature.position, Signature.role)).all()
    assert sorted(kept) == [(1, "teacher"), (2, None)]
    again = runner.invoke(args=["import", str(path)])
    assert again.exit_code == 0 and row_counts(db) == counts


def test_a_signatory_listed_twice_differently_is_a_problem_naming_both_places(
    app: Any, db: Database, tmp_path: Path
) -> None:
    before = row_counts(db)
    document = _letter(
        {"person": {"name": "Ivan Petrov"}, "role": "teacher"},
        {"person": {"name": "Ivan Petrov"}, "role": "doctor", "stance": "authored"},
    )
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.run(db, [_write_json(tmp_path / "letter.json", document)])
    assert [str(p) for p in rejected.value.problems] == [
        "letter.json: statements[0] (letter).signatures[1]: person: 'Ivan Petrov' (given "
        "inline) is listed twice, the second time with another role, stance (first at letter.json: "
        "statements[0] (letter).signatures[0]): keep one entry"
    ]
    assert row_counts(db) == before


EQUIVALENT_URLS = (
    "https://news.example.org/letter-café",
    "https://news.example.org/letter-caf%C3%A9",
    "https://NEWS.Example.org/letter-café",
    "https://news.example.org:443/letter-café",
)


def test_equivalent_urls_in_one_import_are_refused_naming_the_first(
    demo: Any, db: Database, tmp_path: Path
) -> None:
    before = row_counts(db)
    sources = [
        {"key": f"letter-{n}", "kind": "news", "url": url} for n, url in enumerate(EQUIVALENT_URLS)
    ]
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.run(db, [_write_json(tmp_path / "urls.json", {"sources": sources})])
    assert [str(p) for p in rejected.value.problems] == [
        f"urls.json: sources[{n}] (letter-{n}): url: {url} already belongs to source "
        f"'letter-0' (written {EQUIVALENT_URLS[0]})"
        for n, url in enumerate(EQUIVALENT_URLS)
        if n
    ]
    assert row_counts(db) == before


def test_a_stored_source_s_address_in_another_spelling_is_refused(
    demo: Any, db: Database, tmp_path: Path
) -> None:
    first = {"sources": [{"key": "letter", "kind": "news", "url": EQUIVALENT_URLS[0]}]}
    importer.run(db, [_write_json(tmp_path / "first.json", first)])
    before = row_counts(db)
    for n, url in enumerate(EQUIVALENT_URLS[1:]):
        second = {"sources": [{"key": "letter-again", "kind": "news", "url": url}]}
        with pytest.raises(importer.ImportRejected) as rejected:
            importer.run(db, [_write_json(tmp_path / f"second-{n}.json", second)])
        assert [p.message for p in rejected.value.problems] == [
            f"{url} already belongs to source 'letter' (written {EQUIVALENT_URLS[0]})"
        ]
    assert row_counts(db) == before
    # The source itself may be given again in any spelling: it keeps its own address.
    again = {"sources": [{"key": "letter", "kind": "news", "url": EQUIVALENT_URLS[2]}]}
    result = importer.run(db, [_write_json(tmp_path / "again.json", again)])
    assert result.tally.counts["source"] == {"updated": 1}


def test_long_urls_are_accepted(app: Any, db: Database, tmp_path: Path) -> None:
    ascii_url = "https://registry.example.org/signatures?" + "&".join(
        f"id{n:04d}=x" for n in range(162)
    )
    cyrillic_url = "https://пример.рф/" + "подписи/" * 247
    assert 1_450 < len(ascii_url) <= 1_500 and 1_980 < len(cyrillic_url) <= 2_000
    sources = [
        {"key": "registry", "kind": "official_document", "url": ascii_url},
        {"key": "letter", "kind": "primary_text", "url": cyrillic_url, "archive_url": ascii_url},
    ]
    importer.run(db, [_write_json(tmp_path / "long.json", {"sources": sources})])
    with db.session() as session:
        stored = dict(session.execute(select(Source.key, Source.url)).all())
    assert stored == {"registry": ascii_url, "letter": cyrillic_url}
    too_long = {"sources": [{"key": "longer", "kind": "news", "url": ascii_url + "x" * 600}]}
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.run(db, [_write_json(tmp_path / "longer.json", too_long)])
    assert [p.message for p in rejected.value.problems] == [
        f"is {len(ascii_url) + 600} characters long; at most 2000 are allowed"
    ]


def test_large_import_shows_progress_and_summary(app: Any, runner: Any, tmp_path: Path) -> None:
    people = [{"key": f"person-{n:05d}", "name": f"Person {n}"} for n in range(2500)]
    path = _write_json(tmp_path / "people.json", {"people": people})
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "importing" in result.stderr
    assert "person:     2500 created, 0 updated, 0 unchanged, 0 deleted" in result.stdout
    assert "dataset version 0 -> 2500" in result.stdout


def test_empty_folder_is_refused(app: Any, runner: Any, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = runner.invoke(args=["import", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert "the folder holds no .csv table" in result.stderr


def test_signatures_csv_is_the_whole_list_for_the_statements_it_covers(
    demo: Any, db: Database, tmp_path: Path
) -> None:
    (tmp_path / "statements.csv").write_text(f"key\n{RESIGNATION}\n", encoding="utf-8")
    (tmp_path / "signatures.csv").write_text("statement_key,person_key\n", encoding="utf-8")
    result = importer.run(db, [tmp_path])
    assert result.tally.counts["signature"] == {"deleted": 1}
    assert result.tally.counts["statement"] == {"unchanged": 1}


def test_an_import_the_index_could_not_take_in_says_so_and_exits_1(
    app: Any, db: Database, runner: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import printed a traceback and exited 0, leaving search silently behind."""
    from archive.index.generations import SearchIndex

    def unwritable(self: SearchIndex, wait: float = 0) -> int:
        raise PermissionError(13, "Permission denied", str(self.folder))

    monkeypatch.setattr(SearchIndex, "catch_up", unwritable)
    path = _write_json(tmp_path / "letter.json", _letter({"person": {"name": "Ivan Petrov"}}))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1, result.output
    version = row_counts(db)["dataset_version"]
    assert version > 0, result.output  # the data is saved
    assert (
        f"error: the data is saved (dataset version {version}), but the search index could not "
        "take it in (it shows version 0): run `archive reindex --catch-up`"
    ) in result.output
    assert "Traceback" not in result.output
    monkeypatch.undo()
    again = runner.invoke(args=["reindex", "--catch-up"])
    assert again.exit_code == 0, again.output
    assert runner.invoke(args=["import", str(path)]).exit_code == 0
