"""The export as a data package: datapackage.json (keys, references, a codebook, the dataset
version), Frictionless validation of both CSV dialects, and the zip of the whole archive."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from frictionless import Report, validate

from archive.data.database import Database
from archive.data.revisions import chain_head, dataset_version
from archive.export import package
from tests.export.test_rows import (
    RICH,
    TABLE_NAMES,
    export_cli,
    load,
    sql_counts,
    table_files,
)

# What the package must declare, written out here rather than read from archive.export.
PRIMARY_KEYS: dict[str, list[str]] = {
    "districts": ["key"],
    "people": ["key"],
    "identifiers": ["scheme", "value"],
    "merged_keys": ["key"],
    "sources": ["key"],
    "statements": ["key"],
    "statement_districts": ["statement_key", "district_key"],
    "translations": ["statement_key", "language"],
    "statement_sources": ["statement_key", "source_key"],
    "signatures": ["statement_key", "person_key"],
    "signature_sources": ["statement_key", "person_key", "source_key"],
    "events": ["key"],
    "event_people": ["event_key", "person_key"],
    "event_sources": ["event_key", "source_key"],
}
Reference = tuple[tuple[str, ...], str, tuple[str, ...]]
FOREIGN_KEYS: dict[str, set[Reference]] = {
    "districts": {(("parent_key",), "districts", ("key",))},
    "district_names": {(("district_key",), "districts", ("key",))},
    "people": set(),
    "aliases": {(("person_key",), "people", ("key",))},
    "identifiers": {(("person_key",), "people", ("key",))},
    "merged_keys": {(("person_key",), "people", ("key",))},
    "sources": {(("cites_key",), "sources", ("key",))},
    "statements": set(),
    "statement_districts": {
        (("statement_key",), "statements", ("key",)),
        (("district_key",), "districts", ("key",)),
    },
    "translations": {
        (("statement_key",), "statements", ("key",)),
        (("source_key",), "sources", ("key",)),
    },
    "statement_sources": {
        (("statement_key",), "statements", ("key",)),
        (("source_key",), "sources", ("key",)),
    },
    "signatures": {
        (("statement_key",), "statements", ("key",)),
        (("person_key",), "people", ("key",)),
        (("district_key",), "districts", ("key",)),
        (("withdrawal_source_key",), "sources", ("key",)),
    },
    "signature_sources": {
        (("statement_key", "person_key"), "signatures", ("statement_key", "person_key")),
        (("source_key",), "sources", ("key",)),
    },
    "events": {(("statement_key",), "statements", ("key",))},
    "event_people": {(("event_key",), "events", ("key",)), (("person_key",), "people", ("key",))},
    "event_sources": {
        (("event_key",), "events", ("key",)),
        (("source_key",), "sources", ("key",)),
    },
}
INTEGER_FIELDS = {("statements", "reported_signatories"), ("signatures", "position")}
DATE_FIELDS = {
    ("sources", "published"),
    ("sources", "accessed"),
    ("statements", "date"),
    ("signatures", "withdrawn"),
    ("events", "date"),
}
CREATED = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def rich(demo: Flask, db: Database, tmp_path: Path) -> Flask:
    """Return the app with the demo data and RICH loaded."""
    load(db, tmp_path, RICH, "rich.json")
    return demo


def _package(folder: Path) -> dict[str, Any]:
    package: dict[str, Any] = json.loads((folder / "datapackage.json").read_text("utf-8"))
    return package


def _problems(report: Report) -> list[list[Any]]:
    problems: list[list[Any]] = report.flatten(
        ["taskNumber", "rowNumber", "fieldName", "type", "note"]
    )
    return problems


# The descriptor.


@pytest.mark.parametrize("spreadsheet", [False, True], ids=["plain", "spreadsheet"])
def test_datapackage_declares_keys_references_codebook_and_version(
    spreadsheet: bool, demo: Flask, runner: FlaskCliRunner, db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    before = datetime.now(UTC).replace(microsecond=0)
    export_cli(runner, folder, spreadsheet=spreadsheet)
    after = datetime.now(UTC)
    package = _package(folder)
    with db.session() as session:
        version, head = dataset_version(session), chain_head(session)
    assert version > 0
    assert package["dataset_version"] == version
    assert package["chain_head"] == head  # which a citation names beside the version
    assert package["version"] == f"{version}.0.0"
    assert package["profile"] == "tabular-data-package"
    created = package["created"]
    assert created.endswith("Z")
    assert before <= datetime.fromisoformat(created.replace("Z", "+00:00")) <= after

    assert [resource["name"] for resource in package["resources"]] == TABLE_NAMES
    for resource in package["resources"]:
        name, schema = resource["name"], resource["schema"]
        assert resource["path"] == f"{name}.csv"
        assert resource["encoding"] == ("utf-8-sig" if spreadsheet else "utf-8")
        assert resource["dialect"]["lineTerminator"] == "\r\n"
        fields = schema["fields"]
        with (folder / resource["path"]).open(encoding=resource["encoding"], newline="") as f:
            header = next(csv.reader(f))
        assert [field["name"] for field in fields] == header, name
        for field in fields:
            assert isinstance(field["description"], str) and field["description"].strip(), (
                name,
                field["name"],
            )
            integer = (name, field["name"]) in INTEGER_FIELDS
            assert field["type"] == ("integer" if integer else "string"), (name, field)
            if (name, field["name"]) in DATE_FIELDS:
                assert field["constraints"]["pattern"] == r"\d{4}(-\d{2}(-\d{2})?)?"
        assert schema.get("primaryKey") == PRIMARY_KEYS.get(name), name
        for column in schema.get("primaryKey", []):
            assert next(f for f in fields if f["name"] == column)["constraints"]["required"]
        references = {
            (
                tuple(fk["fields"]),
                fk["reference"]["resource"],
                tuple(fk["reference"]["fields"]),
            )
            for fk in schema.get("foreignKeys", [])
        }
        assert references == FOREIGN_KEYS[name], name
        for _fields, target, target_fields in references:
            # Every reference is to the primary key of a table in the package.
            assert list(target_fields) == PRIMARY_KEYS[target]


def test_datapackage_tells_the_time_of_export_in_utc() -> None:
    auckland = datetime(2024, 3, 1, 12, 0, 30, 123456, tzinfo=ZoneInfo("Pacific/Auckland"))
    described = package.datapackage(7, "ab" * 32, auckland)
    assert described["created"] == "2024-02-29T23:00:30Z"
    assert described["dataset_version"] == 7
    assert described["chain_head"] == "ab" * 32
    assert {r["encoding"] for r in package.datapackage(7, None, auckland, True)["resources"]} == {
        "utf-8-sig"
    }


# Frictionless validation.


@pytest.mark.parametrize("spreadsheet", [False, True], ids=["plain", "spreadsheet"])
@pytest.mark.parametrize("dataset", ["demo", "rich"])
def test_frictionless_validates_the_package(
    dataset: str,
    spreadsheet: bool,
    request: pytest.FixtureRequest,
    runner: FlaskCliRunner,
    db: Database,
    tmp_path: Path,
) -> None:
    request.getfixturevalue(dataset)
    folder = tmp_path / "export"
    export_cli(runner, folder, spreadsheet=spreadsheet)
    report = validate(folder / "datapackage.json")
    assert report.valid, _problems(report)
    # Every table was read whole, with its types, keys and references checked.
    counts = sql_counts(db)
    assert [task.name for task in report.tasks] == TABLE_NAMES
    assert {task.name: task.stats.get("rows", 0) for task in report.tasks} == counts
    if spreadsheet:
        # Neutralised cells are in text columns only, so integers and dates still validate;
        # the rich data does have neutralised cells.
        neutralised = [
            cell
            for data in table_files(folder).values()
            for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
            for cell in row
            if cell.startswith("'")
        ]
        assert bool(neutralised) == (dataset == "rich")


def _edit(path: Path, change: Any) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)


def _set(column: str, value: str) -> Any:
    def change(rows: list[list[str]]) -> None:
        rows[1][rows[0].index(column)] = value

    return change


TAMPERING: dict[str, tuple[str, Any, str]] = {
    "unknown person": (
        "signatures",
        lambda rows: rows.append(
            [rows[1][0], "nobody", "9", "", "", "signed", "", "", ""],
        ),
        "foreign-key",
    ),
    "unknown parent district": ("districts", _set("parent_key", "ru/nowhere"), "foreign-key"),
    "not an integer": ("statements", _set("reported_signatories", "eighteen"), "type-error"),
    "negative integer": ("signatures", _set("position", "-1"), "constraint-error"),
    "not a date": ("sources", _set("published", "Sept 2022"), "constraint-error"),
    "no key": ("people", _set("key", ""), "constraint-error"),
    "no district": ("statement_districts", _set("district_key", ""), "constraint-error"),
    "no language": ("translations", _set("language", ""), "constraint-error"),
    "key twice": ("people", lambda rows: rows.append(list(rows[1])), "primary-key"),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_frictionless_finds_a_broken_table(
    case: str, demo: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    export_cli(runner, folder)
    assert validate(folder / "datapackage.json").valid
    tampered = tmp_path / "tampered"
    shutil.copytree(folder, tampered)
    table, change, error = TAMPERING[case]
    _edit(tampered / f"{table}.csv", change)
    report = validate(tampered / "datapackage.json")
    assert not report.valid
    assert error in {row[3] for row in _problems(report)}, _problems(report)


# The zip.


@pytest.mark.parametrize("spreadsheet", [False, True], ids=["plain", "spreadsheet"])
def test_zip_holds_the_cli_export_and_is_reproducible(
    spreadsheet: bool, rich: Flask, runner: FlaskCliRunner, db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    export_cli(runner, folder, spreadsheet=spreadsheet)
    with db.session() as session:
        chunks = list(package.stream_zip(session, CREATED, spreadsheet=spreadsheet))
    with db.session() as session:
        again = b"".join(package.stream_zip(session, CREATED, spreadsheet=spreadsheet))
    data = b"".join(chunks)
    assert len(chunks) > 1  # streamed, not built whole
    assert data == again

    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert archive.namelist() == [f"{name}.csv" for name in TABLE_NAMES] + ["datapackage.json"]
    files = table_files(folder)
    for name in TABLE_NAMES:
        assert archive.read(f"{name}.csv") == files[name], name
    # datapackage.json is the CLI's, byte for byte, but for the time of export.
    written = (folder / "datapackage.json").read_text("utf-8")
    created = json.loads(written)["created"]
    zipped = archive.read("datapackage.json").decode("utf-8")
    assert json.loads(zipped)["created"] == "2024-01-02T03:04:05Z"
    assert zipped == written.replace(created, "2024-01-02T03:04:05Z")
    for info in archive.infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)

    # Another time of export changes datapackage.json alone.
    with db.session() as session:
        later = b"".join(package.stream_zip(session, datetime(2025, 6, 1, tzinfo=UTC), spreadsheet))
    later_archive = zipfile.ZipFile(io.BytesIO(later))
    for name in TABLE_NAMES:
        assert later_archive.read(f"{name}.csv") == files[name], name
    assert later_archive.read("datapackage.json") != archive.read("datapackage.json")
