"""The export: tidy CSV tables that pandas reads with their declared types, that import back
into an empty archive and export again byte for byte, that keep awkward text exactly (and
neutralise formulas for spreadsheets), that do not depend on the time zone or locale, and that
stream in chunks of rows in key order.

Most tests run on the demo data plus ``RICH``: several statements, translations, a withdrawn
signature, events with people and sources, names in Cyrillic, and text full of quotes, commas,
newlines and leading formula characters.
"""

from __future__ import annotations

import csv
import importlib
import io
import itertools
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import Select, create_mock_engine, func, select
from sqlalchemy.orm import Session

from archive.data import models
from archive.data.database import Database
from archive.data.revisions import dataset_version
from archive.export import dialects, rows
from archive.importing import importer
from archive.importing.readers import FORMAT
from archive.importing.tables import TABLES
from archive.web.context import get_db
from tests.conftest import close, make_app, new_database, row_counts

# pandas ships without type information; it is a test dependency (pyproject's [test] extra).
pd: Any = importlib.import_module("pandas")

TABLE_NAMES = [table.name for table in TABLES]
BOM = b"\xef\xbb\xbf"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Awkward text: Cyrillic, quotes, commas, \n and \r\n inside a field, leading formula characters.
# Names (one line) and free text (any lines), already as the importer stores them (trimmed, NFC).
NAME_EQ = '=Ёлкин Пётр, "депутат"'
ROLE_PLUS = '+муниципальный депутат, "Фрунзенский район"'
ADDRESSEE_AT = '@Президент, "Кремль", Москва'
TRANSLATOR_MINUS = '-Translator, "T." & Co'
TITLE_EQ = '=HYPERLINK("https://evil.example/?a=1,2","Нажмите"), «Ёлки»'
SUMMARY_MINUS = "-1+1: a summary, with commas,\nand a second line"
TEXT_PLUS = '+7 Мы, "депутаты",\r\n«требуем»\n— отставки; «немедленно»'
DESCRIPTION_MINUS = '-Муниципальный депутат,\n"Фрунзенский" район\r\n(Минск)'
NOTE_AT = '@note: said, "I didn\'t sign"\nline two\r\nline three'
TRANSLATION_EQ = '=1+2, "We", demand\r\nthe resignation'
EVENT_EQ = '=event, "quoted"\r\n«задержан», оштрафован'
# Captured text is kept exactly: leading tab, trailing newline, CRLF and all.
CAPTURE = '\t=cmd|" /C calc"!A0\r\n«Кириллица», "кавычки"\n\n'

RICH: dict[str, Any] = {
    "format": FORMAT,
    "districts": [
        {"key": "by", "name": "Belarus", "kind": "country", "names": {"be": "Беларусь"}},
        {
            "key": "by/minsk",
            "name": "Minsk",
            "kind": "city",
            "parent": "by",
            "names": {"be": "Мінск", "ru": "Минск"},
            "aliases": ["Mensk", "Менск"],
        },
        {
            "key": "by/minsk/frunzensky",
            "name": "Frunzensky",
            "kind": "district",
            "parent": "by/minsk",
            "names": {"ru": "Фрунзенский район"},
        },
    ],
    "people": [
        {
            "key": "yolkin-pyotr",
            "name": NAME_EQ,
            "names": {"ru": "Ёлкин Пётр"},
            "aliases": ["Jolkin", "Yolkin"],
            "description": DESCRIPTION_MINUS,
            "identifiers": [
                {"scheme": "wikidata", "value": "Q4115189"},
                {"scheme": "telegram", "value": "=yolkin"},
            ],
        },
        {
            "key": "anna-kovaleva",
            "name": "Анна Ковалёва",
            "names": {"be": "Ганна Кавалёва", "ru": "Анна Ковалёва"},
            "aliases": ["Anna Kovalyova"],
        },
        {
            "key": "ivan-petrov",
            "name": "Иван Петров",
            "identifiers": [{"scheme": "orcid", "value": "0000-0002-1825-0097"}],
        },
        {
            "key": "olga_sidorova",
            "name": "Ольга Сидорова",
            "description": "Deputy.",
            "merged_keys": ["olga-sidorova", "olga-sidorova-2"],
        },
    ],
    "sources": [
        {
            "key": "src-post",
            "kind": "social_media_post",
            "publisher": "Telegram",
            "author": "Анна Ковалёва",
            "published": "2023",
        },
        {
            "key": "src-news",
            "kind": "news",
            "url": "https://news.example.org/новости/2023,05",
            "publisher": "Example News",
            "author": "A. Reporter",
            "title": TITLE_EQ,
            "published": "2023-05-17",
            "accessed": "2023-05-18",
            "archive_url": "https://archive.example.org/news.example.org/2023",
            "cites": "src-post",
            "capture": {"text": CAPTURE},
        },
        {
            "key": "src-withdrawal",
            "kind": "news",
            "url": "https://news.example.org/withdrawal",
            "published": "2023-06",
        },
        {"key": "src-translation", "kind": "primary_text", "title": "Перевод"},
    ],
    "statements": [
        {
            "key": "2023-05-minsk-appeal",
            "title": "Minsk deputies appeal for the release of prisoners",
            "kind": "appeal",
            "date": "2023-05-17",
            "language": "ru",
            "text": "Мы требуем освободить политических заключённых.",
            "translations": [
                {
                    "language": "en",
                    "text": "We demand the release of political prisoners.",
                    "translator": "Example News",
                    "source": "src-translation",
                },
                {"language": "be", "text": "Мы патрабуем вызваліць палітвязняў."},
                {"language": "de", "text": "Wir fordern die Freilassung.", "translator": "X"},
            ],
            "demands": ["release_prisoners", "end_war"],
            "addressee": "Лукашенко",
            "reported_signatories": 120,
            "summary": "Deputies of Minsk appeal.",
            "districts": ["by/minsk", "by/minsk/frunzensky"],
            "sources": ["src-news", "src-post"],
            "signatures": [
                {
                    "person": "anna-kovaleva",
                    "role": "депутат",
                    "district": "by/minsk",
                    "stance": "authored",
                    "sources": ["src-post"],
                },
                {"person": "ivan-petrov", "stance": "signed"},
                {
                    "person": "olga_sidorova",
                    "stance": "withdrawn",
                    "withdrawn": "2023-06-02",
                    "withdrawal_source": "src-withdrawal",
                    "note": "Said her name was added in error.",
                    "sources": ["src-news", "src-withdrawal"],
                },
                {
                    "person": "yolkin-pyotr",
                    "role": ROLE_PLUS,
                    "district": "by/minsk/frunzensky",
                    "note": NOTE_AT,
                },
            ],
        },
        {
            "key": "2023-06-open-letter",
            "title": "An open letter",
            "kind": "open_letter",
            "date": "2023-06",
            "reported_signatories": 0,
            "demands": ["free_elections"],
            "signatures": [
                {"person": "ivan-petrov", "position": 5},
                {"person": "olga_sidorova", "stance": "voted_for", "position": 7},
            ],
        },
        {
            "key": "2023-tricky",
            "title": TITLE_EQ,
            "kind": "statement",
            "date": "2023",
            "language": "ru",
            "addressee": ADDRESSEE_AT,
            "summary": SUMMARY_MINUS,
            "text": TEXT_PLUS,
            "translations": [
                {"language": "en", "text": TRANSLATION_EQ, "translator": TRANSLATOR_MINUS}
            ],
            "districts": ["by"],
            "sources": ["src-news"],
        },
        {"key": "2024-petition", "title": "A petition", "kind": "petition"},
    ],
    "events": [
        {
            "key": "2023-06-minsk-detained",
            "date": "2023-06-10",
            "kind": "detained",
            "statement": "2023-05-minsk-appeal",
            "people": ["anna-kovaleva", "ivan-petrov"],
            "sources": ["src-news", "src-withdrawal"],
            "description": EVENT_EQ,
        },
        {"key": "2023-fined", "date": "2023", "kind": "fined", "people": ["olga_sidorova"]},
        {"key": "2024-left", "kind": "left_country"},
    ],
}

# The SQL table (or model) behind each CSV table: its rows are counted against the file's.
COUNTED: dict[str, Any] = {
    "districts": models.District,
    "district_names": models.DistrictName,
    "people": models.Person,
    "aliases": models.PersonName,
    "identifiers": models.PersonIdentifier,
    "merged_keys": models.MergedKey,
    "sources": models.Source,
    "statements": models.Statement,
    "statement_districts": models.statement_districts,
    "translations": models.Translation,
    "statement_sources": models.statement_sources,
    "signatures": models.Signature,
    "signature_sources": models.signature_sources,
    "events": models.Event,
    "event_people": models.event_people,
    "event_sources": models.event_sources,
}
# Each table's key: the columns its rows are ordered by (aliases and names have no primary key,
# since an empty language marks a variant spelling: they are ordered by every column).
ORDER_KEYS: dict[str, list[str]] = {
    "districts": ["key"],
    "district_names": ["district_key", "language", "name"],
    "people": ["key"],
    "aliases": ["person_key", "language", "name"],
    "identifiers": ["person_key", "scheme", "value"],
    "merged_keys": ["person_key", "key"],
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


# Helpers, shared with test_export_package.


def load(database: Database, folder: Path, document: dict[str, Any], name: str) -> None:
    """Import a JSON document (written to ``folder``) into ``database``."""
    path = folder / name
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    importer.run(database, [path], actor="test")


def export_cli(runner: FlaskCliRunner, folder: Path, spreadsheet: bool = False) -> Result:
    """Run ``archive export --out folder`` and check that it succeeded."""
    args = ["export", "--out", str(folder)] + (["--spreadsheet"] if spreadsheet else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return result


def table_files(folder: Path) -> dict[str, bytes]:
    """Return the bytes of every table file of an export, by table name."""
    return {name: (folder / f"{name}.csv").read_bytes() for name in TABLE_NAMES}


def parse(data: bytes, encoding: str = "utf-8") -> list[dict[str, str]]:
    """Parse a table file with the csv module (strict, no newline translation)."""
    reader = csv.DictReader(io.StringIO(data.decode(encoding), newline=""), strict=True)
    return list(reader)


def sql_counts(database: Database) -> dict[str, int]:
    """Return the number of rows behind each CSV table, counted in SQL."""
    with database.session() as session:
        return {
            name: session.scalar(select(func.count()).select_from(table)) or 0
            for name, table in COUNTED.items()
        }


def without_created(folder: Path) -> dict[str, Any]:
    """Return an export's datapackage.json without its ``created`` time (checked for form)."""
    package: dict[str, Any] = json.loads((folder / "datapackage.json").read_text("utf-8"))
    created = package.pop("created")
    assert datetime.fromisoformat(created.replace("Z", "+00:00")).tzinfo is not None
    return package


@pytest.fixture
def rich(demo: Flask, db: Database, tmp_path: Path) -> Flask:
    """Return the app with the demo data and RICH loaded (records created, none changed)."""
    load(db, tmp_path, RICH, "rich.json")
    return demo


# 1. pandas reads every table with the declared types; row counts equal the database's.


PANDAS_DTYPES = {"string": "string", "integer": "Int64"}


def read_with_pandas(folder: Path, resource: dict[str, Any]) -> Any:
    """Read one table of an export with pandas, with the types its table schema declares."""
    fields = resource["schema"]["fields"]
    dtypes = {field["name"]: PANDAS_DTYPES[field["type"]] for field in fields}
    return pd.read_csv(
        folder / resource["path"],
        dtype=dtypes,
        keep_default_na=False,
        na_values=[""],
        encoding=resource["encoding"],
    )


@pytest.mark.parametrize("dataset", ["demo", "rich"])
def test_pandas_reads_every_table_with_declared_types_and_row_counts(
    dataset: str, request: pytest.FixtureRequest, db: Database, tmp_path: Path
) -> None:
    request.getfixturevalue(dataset)
    runner = request.getfixturevalue("runner")
    folder = tmp_path / "export"
    export_cli(runner, folder)
    package = json.loads((folder / "datapackage.json").read_text("utf-8"))
    counts = sql_counts(db)
    assert set(COUNTED) == set(TABLE_NAMES)
    frames = {}
    for resource in package["resources"]:
        frame = read_with_pandas(folder, resource)
        fields = resource["schema"]["fields"]
        assert list(frame.columns) == [field["name"] for field in fields]
        for field in fields:
            assert str(frame[field["name"]].dtype) == PANDAS_DTYPES[field["type"]], field
        assert len(frame) == counts[resource["name"]], resource["name"]
        frames[resource["name"]] = frame
    assert "integer" in {f["type"] for r in package["resources"] for f in r["schema"]["fields"]}

    statements, signatures = frames["statements"], frames["signatures"]
    with db.session() as session:
        assert int(statements["reported_signatories"].sum()) == session.scalar(
            select(func.sum(models.Statement.reported_signatories))
        )
        assert int(statements["reported_signatories"].isna().sum()) == session.scalar(
            select(func.count()).where(models.Statement.reported_signatories.is_(None))
        )
        assert int(signatures["position"].sum()) == session.scalar(
            select(func.sum(models.Signature.position))
        )
        # Demands are joined into one cell per statement: every tag is there.
        tags = statements["demands"].dropna().str.split(";").explode()
        assert len(tags) == session.scalar(select(func.count()).select_from(models.Demand))
        texts = {
            key: text
            for key, text in session.execute(select(models.Statement.key, models.Statement.text))
        }
    # Every cell of text, with its quotes, commas and line ends, reads back as stored.
    read_texts = dict(zip(statements["key"], statements["text"], strict=True))
    assert {k: (None if v is pd.NA else v) for k, v in read_texts.items()} == texts
    if dataset == "rich":
        assert all(counts.values()), counts  # every table has rows: each count is a real check
        assert read_texts["2023-tricky"] == TEXT_PLUS


# 3. Export, import into an empty archive, export again: the same bytes.


def test_round_trip_through_an_empty_archive_is_byte_identical(
    rich: Flask, runner: FlaskCliRunner, db: Database, tmp_path: Path, migrated_file: Path
) -> None:
    first = tmp_path / "A"
    export_cli(runner, first)
    (tmp_path / "second").mkdir()
    second_app = make_app(tmp_path / "second", migrated_file)
    try:
        second_db = get_db(second_app)
        assert row_counts(second_db)["dataset_version"] == 0  # an empty archive
        second_runner = second_app.test_cli_runner()
        result = second_runner.invoke(args=["import", str(first)])
        assert result.exit_code == 0, result.output
        again = tmp_path / "B"
        export_cli(second_runner, again)
        assert sql_counts(second_db) == sql_counts(db)
    finally:
        close(second_app)

    assert sorted(p.name for p in first.iterdir()) == sorted(p.name for p in again.iterdir())
    exported, reimported = table_files(first), table_files(again)
    for name in TABLE_NAMES:
        assert exported[name] == reimported[name], name
    # Only records were created, in both archives: the dataset versions agree too. Their
    # histories differ (the demo, then RICH, there; one import of the export here), and so do
    # the chain heads, which stand for the history, not the tables.
    first_package, again_package = without_created(first), without_created(again)
    assert first_package.pop("chain_head") != again_package.pop("chain_head")
    assert first_package == again_package


# 4. Awkward text survives exactly; formulas are neutralised for spreadsheets.


def _awkward_cells() -> dict[tuple[str, str, str], str]:
    """Return (table, row key, column) -> the value imported, for every awkward cell."""
    return {
        ("people", "yolkin-pyotr", "name"): NAME_EQ,
        ("people", "yolkin-pyotr", "description"): DESCRIPTION_MINUS,
        ("aliases", "yolkin-pyotr/ru", "name"): "Ёлкин Пётр",
        ("sources", "src-news", "title"): TITLE_EQ,
        ("sources", "src-news", "url"): "https://news.example.org/новости/2023,05",
        ("sources", "src-news", "capture_text"): CAPTURE,
        ("statements", "2023-tricky", "title"): TITLE_EQ,
        ("statements", "2023-tricky", "addressee"): ADDRESSEE_AT,
        ("statements", "2023-tricky", "summary"): SUMMARY_MINUS,
        ("statements", "2023-tricky", "text"): TEXT_PLUS,
        ("translations", "2023-tricky/en", "text"): TRANSLATION_EQ,
        ("translations", "2023-tricky/en", "translator"): TRANSLATOR_MINUS,
        ("signatures", "2023-05-minsk-appeal/yolkin-pyotr", "role"): ROLE_PLUS,
        ("signatures", "2023-05-minsk-appeal/yolkin-pyotr", "note"): NOTE_AT,
        ("events", "2023-06-minsk-detained", "description"): EVENT_EQ,
    }


def _find(rows: list[dict[str, str]], table: str, key: str) -> dict[str, str]:
    if table in {"people", "sources", "statements", "events"}:
        matches = [row for row in rows if row["key"] == key]
    else:
        first, second = key.split("/", 1)
        matches = [row for row in rows if list(row.values())[:2] == [first, second]]
    assert len(matches) == 1, (table, key)
    return matches[0]


def test_awkward_text_survives_plain_and_is_neutralised_for_spreadsheets(
    rich: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    plain_folder, sheet_folder = tmp_path / "plain", tmp_path / "sheet"
    export_cli(runner, plain_folder)
    export_cli(runner, sheet_folder, spreadsheet=True)
    plain, sheet = table_files(plain_folder), table_files(sheet_folder)
    awkward = _awkward_cells()
    assert {value[0] for value in awkward.values()} >= {"=", "+", "-", "@", "\t"}
    assert any("\r\n" in v for v in awkward.values())
    assert any("\n" in v.replace("\r\n", "") for v in awkward.values())

    for name in TABLE_NAMES:
        # The plain dialect: no BOM, CRLF after every record (a writer with CRLF line ends
        # gives back the same bytes), and the cells exactly as imported.
        assert not plain[name].startswith(BOM), name
        rows = list(csv.reader(io.StringIO(plain[name].decode("utf-8"), newline="")))
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\r\n").writerows(rows)
        assert buffer.getvalue().encode("utf-8") == plain[name], name
        assert plain[name].endswith(b"\r\n")

        # The spreadsheet dialect: a BOM, then every cell that a spreadsheet would run as a
        # formula has an apostrophe before it; every other cell is as in the plain file.
        assert sheet[name].startswith(BOM), name
        sheet_rows = list(csv.reader(io.StringIO(sheet[name].decode("utf-8-sig"), newline="")))
        expected = [rows[0]] + [
            [f"'{value}" if value.startswith(FORMULA_STARTS) else value for value in row]
            for row in rows[1:]
        ]
        assert sheet_rows == expected, name

    for (table, key, column), value in awkward.items():
        plain_row = _find(parse(plain[table]), table, key)
        assert plain_row[column] == value, (table, key, column)
        sheet_row = _find(parse(sheet[table], "utf-8-sig"), table, key)
        neutralised = "'" + value if value.startswith(FORMULA_STARTS) else value
        assert sheet_row[column] == neutralised, (table, key, column)
    # The raw bytes keep a CRLF inside a quoted cell, as well as a lone LF.
    assert b'"+7 \xd0\x9c\xd1\x8b, ""' in plain["statements"]
    assert "\r\n«требуем»\n— отставки".encode() in plain["statements"]


def test_cell_writes_values_and_neutralises_only_text_for_spreadsheets() -> None:
    assert dialects.cell(None) == "" and dialects.cell(None, spreadsheet=True) == ""
    assert dialects.cell(0) == "0" and dialects.cell(120, spreadsheet=True) == "120"
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert dialects.cell(f"{start}1+1") == f"{start}1+1"
        assert dialects.cell(f"{start}1+1", spreadsheet=True) == f"'{start}1+1"
    assert dialects.cell("a=1", spreadsheet=True) == "a=1"
    assert dialects.cell('Ёлки, "да"', spreadsheet=True) == 'Ёлки, "да"'


def test_stream_csv_writes_each_value_as_its_cell() -> None:
    """The plain dialect leaves values to the csv writer: it must write what cell() would."""
    body = [(None, 0, -5, 1.5, "=1+1", 'a, "b"', "x\r\ny", "")]
    for spreadsheet in (False, True):
        expected = io.StringIO()
        writer = csv.writer(expected, lineterminator="\r\n")
        writer.writerows([["h"] * 8, [dialects.cell(value, spreadsheet) for value in body[0]]])
        bom = dialects.BOM if spreadsheet else ""
        assert (
            "".join(dialects.stream_csv(["h"] * 8, body, spreadsheet)) == bom + expected.getvalue()
        )
    plain = "".join(dialects.stream_csv(["h"] * 8, body))
    assert plain == 'h,h,h,h,h,h,h,h\r\n,0,-5,1.5,=1+1,"a, ""b""","x\r\ny",\r\n'


def test_stream_csv_yields_no_empty_chunk() -> None:
    chunks = list(dialects.stream_csv(["n"], ([n] for n in range(2 * rows.CHUNK_ROWS))))
    assert len(chunks) == 2 and all(chunk.endswith("\r\n") for chunk in chunks)


# 5. The same dataset version exports the same bytes in any time zone and locale.


@pytest.fixture(scope="session")
def other_locale(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    """Return a locale other than C (Russian, compiled here if the system lacks it) and the
    environment that makes it available; ("", {}) when none can be had."""
    listed = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False)
    available = listed.stdout.split()
    for name in available:
        if name.lower().replace("-", "") in {"ru_ru.utf8"}:
            return name, {}
    localedef = shutil.which("localedef")
    if localedef is not None:
        folder = tmp_path_factory.mktemp("locales")
        made = subprocess.run(
            [localedef, "-i", "ru_RU", "-f", "UTF-8", str(folder / "ru_RU.UTF-8")],
            capture_output=True,
            check=False,
        )
        if made.returncode == 0:
            return "ru_RU.UTF-8", {"LOCPATH": str(folder)}
    for name in available:
        if name not in {"C", "POSIX"} and not name.lower().startswith("c."):
            return name, {}
    return "", {}


def _run_export(
    database_url: str, folder: Path, index: Path, settings: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LC_", "LANG", "TZ", "ARCHIVE_", "LOCPATH"))
    }
    environment.update(
        ARCHIVE_DATABASE_URL=database_url,
        ARCHIVE_INDEX_DIR=str(index),
        ARCHIVE_INSTANCE_DIR=str(index.parent / "instance"),
        **settings,
    )
    command = Path(sys.executable).parent / "archive"
    return subprocess.run(
        [str(command), "export", "--out", str(folder)],
        env=environment,
        cwd=index.parent,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=300,
    )


def test_exports_in_other_time_zones_and_locales_are_identical(
    rich: Flask, tmp_path: Path, other_locale: tuple[str, dict[str, str]]
) -> None:
    database_url = rich.config["DATABASE_URL"]
    name, extra = other_locale
    here = {"TZ": "UTC", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    there = {"TZ": "Pacific/Auckland", "LANG": name or "ru_RU.UTF-8", **extra}
    if name:
        there["LC_ALL"] = name
        # The locale really is in effect for the second export.
        probe = subprocess.run(
            [sys.executable, "-c", "import locale; print(locale.setlocale(locale.LC_ALL, ''))"],
            env={**os.environ, **there},
            capture_output=True,
            text=True,
            check=True,
        )
        assert probe.stdout.strip() == name
    runs = {}
    for label, settings in (("utc", here), ("auckland", there)):
        folder = tmp_path / label
        done = _run_export(database_url, folder, tmp_path / f"index-{label}", settings)
        assert done.returncode == 0, done.stderr
        runs[label] = folder
    assert table_files(runs["utc"]) == table_files(runs["auckland"])
    assert without_created(runs["utc"]) == without_created(runs["auckland"])
    # Both tell the time of export in UTC.
    for folder in runs.values():
        created = json.loads((folder / "datapackage.json").read_text("utf-8"))["created"]
        assert created.endswith("Z")


# 7. Streaming: chunks of rows, in key order.


def _many_people(count: int) -> list[dict[str, Any]]:
    """Return ``count`` people whose keys order differently bytewise and by locale, shuffled."""
    people = []
    for number in range(count // 4):
        for separator in ("-", "_", "", "0"):
            people.append(
                {
                    "key": f"k{separator}{number}",
                    "name": f"Человек {number}{separator}",
                    "aliases": [f"Chelovek {number}"],
                }
            )
    people.reverse()
    return people


def test_table_csv_streams_in_chunks_of_rows_in_key_order(
    app: Flask, runner: FlaskCliRunner, db: Database, tmp_path: Path
) -> None:
    load(db, tmp_path, {"format": FORMAT, "people": _many_people(1200)}, "people.json")
    folder = tmp_path / "export"
    export_cli(runner, folder)
    with db.session() as session:
        chunks = list(dialects.table_csv(session, "people"))
    assert len(chunks) > 1
    assert len(chunks) >= 1200 // rows.CHUNK_ROWS
    for chunk in chunks:
        assert chunk.endswith("\r\n")  # a chunk holds whole rows
    assert "".join(chunks).encode("utf-8") == (folder / "people.csv").read_bytes()
    assert chunks[0].count("\r\n") == rows.CHUNK_ROWS + 1  # the header and a chunk of rows

    keys = [row["key"] for row in parse((folder / "people.csv").read_bytes())]
    assert len(keys) == 1200
    assert keys == sorted(keys, key=lambda key: key.encode("utf-8"))
    assert keys[:4] == ["k-0", "k-1", "k-10", "k-100"]  # "-" < "0" < "_" < letters, bytewise
    assert keys.index("k-5") < keys.index("k05") < keys.index("k5") < keys.index("k_5")
    with db.session() as session:
        assert [row[0] for row in rows.rows(session, "people")] == keys


def test_rows_of_every_table_come_in_key_order(rich: Flask, db: Database) -> None:
    assert set(ORDER_KEYS) == set(TABLE_NAMES)
    with db.session() as session:
        for table in TABLES:
            columns = [column.name for column in table.columns]
            positions = [columns.index(name) for name in ORDER_KEYS[table.name]]
            keys = [
                tuple(dialects.cell(row[i]).encode("utf-8") for i in positions)
                for row in rows.rows(session, table.name)
            ]
            assert keys, table.name
            # Strictly increasing: in bytewise order, and no key twice.
            assert all(a < b for a, b in itertools.pairwise(keys)), table.name


def test_on_postgresql_rows_are_ordered_bytewise_with_no_language_first() -> None:
    """PostgreSQL orders by its locale and puts NULL last: the queries ask for bytes, and
    for the empty language (a variant spelling) first, as on SQLite."""
    engine = create_mock_engine("postgresql://", lambda *args, **kwargs: None)
    session = Session(bind=cast(Any, engine))
    for table in TABLES:
        query = rows.ROWS[table.name](session)
        if not isinstance(query, Select):
            continue  # statements: two queries merged as they are read
        terms = str(query.compile(dialect=engine.dialect)).split("ORDER BY", 1)[1].split(",")
        assert len(terms) == len(ORDER_KEYS[table.name]), table.name
        assert all('COLLATE "C"' in term for term in terms), (table.name, terms)
        if table.name in {"aliases", "district_names"}:
            assert 'language COLLATE "C"' in terms[1], terms
            assert terms[1].endswith("NULLS FIRST"), terms


# The command: progress per table on stderr, the dataset version on stdout.


def test_export_command_reports_each_table_and_the_dataset_version(
    rich: Flask, runner: FlaskCliRunner, db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    result = export_cli(runner, folder)
    with db.session() as session:
        version = dataset_version(session)
    assert version > 0
    assert result.stdout.strip() == f"exported dataset version {version} to {folder}"
    lines = result.stderr.splitlines()
    assert len(lines) == len(TABLES)
    for line, table in zip(lines, TABLES, strict=True):
        size = (folder / f"{table.name}.csv").stat().st_size
        assert line.split() == [f"{table.name}.csv", f"{size:,}", "bytes"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{name}.csv" for name in TABLE_NAMES] + ["datapackage.json"]
    )


def test_export_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    from archive import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": new_database(tmp_path, "empty"),
            "INDEX_DIR": str(tmp_path / "index"),
        }
    )
    try:
        result = app.test_cli_runner().invoke(args=["export", "--out", str(tmp_path / "out")])
        assert result.exit_code != 0
        assert "archive migrate" in result.output
        assert not (tmp_path / "out" / "people.csv").exists()
    finally:
        close(app)
