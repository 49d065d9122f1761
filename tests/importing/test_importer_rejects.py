"""Bad imports are rejected whole: every problem is named, and nothing is written.

Each bad file also holds at least one otherwise-valid new record, and most tests run on the
demo data, so "nothing was written" (the row counts and the dataset version are unchanged) is
a claim that could fail.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from archive.data.database import Database
from archive.data.models import Statement
from archive.importing import importer
from archive.importing.fields import Problem
from archive.importing.readers import CSV_FIELD_LIMIT, FORMAT
from tests.conftest import row_counts

# Keys of the demo data (archive/importing/demo/seed.json).
DEMO_STATEMENT = "2022-09-municipal-deputies-demand-putin-resignation"
KUNIN_STATEMENT = "2022-09-kunin-calls-for-putin-impeachment-for-treason"
DEMO_PERSON = "ksenia-thorstrom"
DEMO_SOURCE = "mirror-2022-09-putin-quit"

# An otherwise-valid new statement: if any bad import wrote anything, it would be this.
NEW_STATEMENT: dict[str, Any] = {
    "key": "2024-03-new-appeal",
    "title": "A new appeal",
    "kind": "appeal",
    "date": "2024-03",
    "districts": ["ru/spb"],
    "sources": [DEMO_SOURCE],
}
STATEMENTS_HEADER = "key,title,kind"
NEW_STATEMENT_ROW = "2024-03-new-appeal,A new appeal,appeal"

Expected = tuple[str, str | None, str]


def sha(text: str) -> str:
    """Return the SHA-256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document(**lists: list[dict[str, Any]]) -> str:
    """Return a JSON import document holding ``lists`` of records."""
    return json.dumps({"format": FORMAT, **lists}, indent=1, ensure_ascii=False)


def write(directory: Path, name: str, content: str | bytes) -> Path:
    """Write ``content`` (text is written as UTF-8, byte for byte) to ``directory/name``."""
    path = directory / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def reject(database: Database, *paths: Path) -> list[Problem]:
    """Import ``paths``, expect it refused, check nothing was written; return the problems."""
    before = row_counts(database)
    with pytest.raises(importer.ImportRejected) as rejected:
        importer.run(database, list(paths))
    assert row_counts(database) == before
    assert rejected.value.problems
    return rejected.value.problems


def assert_problems(problems: list[Problem], expected: list[Expected]) -> None:
    """Assert the problems are exactly ``expected``: where, field, and part of the message."""
    remaining = list(problems)
    for where, field, message in expected:
        found = next(
            (
                problem
                for problem in remaining
                if problem.where == where and problem.field == field and message in problem.message
            ),
            None,
        )
        assert found is not None, f"missing {(where, field, message)} in {problems}"
        remaining.remove(found)
    assert not remaining, f"unexpected problems: {remaining}"


def statement_titles(database: Database) -> dict[str, str]:
    """Return the title of every stored statement by key."""
    with database.session() as session:
        rows = session.execute(select(Statement.key, Statement.title))
        return {key: title for key, title in rows}


# The baseline: the "otherwise-valid" records really are valid.


def test_the_otherwise_valid_records_import(demo: Flask, db: Database, tmp_path: Path) -> None:
    """The new statement used in every bad file imports on its own, in JSON and in CSV."""
    before = row_counts(db)
    importer.run(db, [write(tmp_path, "good.json", document(statements=[NEW_STATEMENT]))])
    after = row_counts(db)
    assert after["statements"] == before["statements"] + 1
    assert after["dataset_version"] > before["dataset_version"]
    other = tmp_path / "csv"
    other.mkdir()
    row = NEW_STATEMENT_ROW.replace("2024-03-new-appeal", "2024-03-other")
    importer.run(db, [write(other, "statements.csv", f"{STATEMENTS_HEADER}\n{row}\n")])
    assert row_counts(db)["statements"] == before["statements"] + 2


# JSON syntax.


def test_invalid_json_names_line_and_column(demo: Flask, db: Database, tmp_path: Path) -> None:
    """A JSON syntax error is reported with its line and column."""
    lines = [
        "{",
        ' "statements": [',
        "  " + json.dumps(NEW_STATEMENT) + ",",
        '  {"key": "no-comma", "title": "T" "kind": "appeal"}',
        " ]",
        "}",
    ]
    column = lines[3].index('"kind"') + 1
    problems = reject(db, write(tmp_path, "broken.json", "\n".join(lines)))
    assert_problems(
        problems, [("broken.json", None, f"line 4, column {column}: not valid JSON: Expecting ','")]
    )


def test_json_that_is_not_an_object_is_rejected(demo: Flask, db: Database, tmp_path: Path) -> None:
    """A JSON document must be an object of lists, not a bare list of records."""
    problems = reject(db, write(tmp_path, "list.json", json.dumps([NEW_STATEMENT])))
    assert_problems(problems, [("list.json", None, "must be a JSON object with lists of records")])


# Required fields.


def test_missing_required_fields_are_named(demo: Flask, db: Database, tmp_path: Path) -> None:
    """A new statement without title and kind, and a stored one emptied of its title."""
    path = write(
        tmp_path,
        "required.json",
        document(
            statements=[
                NEW_STATEMENT,
                {"key": "no-title", "date": "2024"},
                {"key": DEMO_STATEMENT, "title": None},
            ]
        ),
    )
    assert_problems(
        reject(db, path),
        [
            ("required.json: statements[1] (no-title)", "title", "is required"),
            ("required.json: statements[1] (no-title)", "kind", "is required"),
            (f"required.json: statements[2] ({DEMO_STATEMENT})", "title", "is required"),
        ],
    )


def test_missing_required_value_in_csv_names_the_line(
    demo: Flask, db: Database, tmp_path: Path
) -> None:
    """A new statement in a CSV table with an empty title is refused at its line."""
    text = f"{STATEMENTS_HEADER}\n{NEW_STATEMENT_ROW}\nno-title,,appeal\n"
    problems = reject(db, write(tmp_path, "statements.csv", text))
    assert_problems(problems, [("statements.csv: line 3", "title", "is required")])


# References.

UNKNOWN_REFERENCES = [
    pytest.param(
        {"districts": ["ru/atlantis"]}, "", "district 'ru/atlantis'", "districts", id="district"
    ),
    pytest.param(
        {"signatures": [{"person": "nobody-known", "stance": "signed"}]},
        ".signatures[0]",
        "person 'nobody-known'",
        "person",
        id="person",
    ),
    pytest.param(
        {"sources": ["no-such-source"]}, "", "source 'no-such-source'", "sources", id="source"
    ),
]


def _bad_reference_file(tmp_path: Path, extra: dict[str, Any]) -> Path:
    bad = {"key": "bad-reference", "title": "Refers to nothing", "kind": "appeal", **extra}
    return write(tmp_path, "refs.json", document(statements=[NEW_STATEMENT, bad]))


@pytest.mark.parametrize(("extra", "suffix", "unknown", "field"), UNKNOWN_REFERENCES)
def test_unknown_reference_is_rejected(
    demo: Flask,
    db: Database,
    tmp_path: Path,
    extra: dict[str, Any],
    suffix: str,
    unknown: str,
    field: str,
) -> None:
    """A reference to a district, person or source that exists nowhere rolls back the import."""
    problems = reject(db, _bad_reference_file(tmp_path, extra))
    assert len(problems) == 1
    assert problems[0].where == f"refs.json: statements[1] (bad-reference){suffix}"
    assert problems[0].message == f"refers to an unknown {unknown}"


@pytest.mark.parametrize(("extra", "suffix", "unknown", "field"), UNKNOWN_REFERENCES)
def test_unknown_reference_problem_names_the_field(
    demo: Flask,
    db: Database,
    tmp_path: Path,
    extra: dict[str, Any],
    suffix: str,
    unknown: str,
    field: str,
) -> None:
    """The problem for an unknown reference names the field that holds it."""
    problems = reject(db, _bad_reference_file(tmp_path, extra))
    assert [problem.field for problem in problems] == [field]


def test_unknown_reference_in_part_table_names_its_own_line(
    demo: Flask, db: Database, tmp_path: Path
) -> None:
    """A bad source key on line 3 of statement_sources.csv is reported at line 3."""
    text = (
        "statement_key,source_key\n"
        f"{DEMO_STATEMENT},{DEMO_SOURCE}\n"
        f"{DEMO_STATEMENT},no-such-source\n"
    )
    problems = reject(db, write(tmp_path, "statement_sources.csv", text))
    assert [problem.message for problem in problems] == [
        "refers to an unknown source 'no-such-source'"
    ]
    assert problems[0].where == "statement_sources.csv: line 3"


def test_bad_reference_in_one_file_rejects_every_file(
    demo: Flask, db: Database, tmp_path: Path
) -> None:
    """A valid JSON document is not written when a CSV table of the same import is refused."""
    good = write(tmp_path, "good.json", document(statements=[NEW_STATEMENT]))
    events = write(
        tmp_path,
        "events.csv",
        "key,kind,statement_key\n"
        f"2024-new-summons,summoned,{DEMO_STATEMENT}\n"
        "2024-bad-summons,summoned,no-such-statement\n",
    )
    problems = reject(db, good, events)
    assert_problems(
        problems,
        [("events.csv: line 3", "statement", "refers to an unknown statement 'no-such-statement'")],
    )
    assert "2024-03-new-appeal" not in statement_titles(db)


# Dates.


@pytest.mark.parametrize("bad", ["2022-13", "22-09-2022", "2022-02-30", "0999", "2022-9"])
def test_bad_date_is_rejected_in_every_date_field(
    demo: Flask, db: Database, tmp_path: Path, bad: str
) -> None:
    """A bad date in a statement, a source and a signature: all three are listed."""
    path = write(
        tmp_path,
        "dates.json",
        document(
            sources=[{"key": "bad-published", "kind": "news", "published": bad}],
            statements=[
                NEW_STATEMENT,
                {"key": "bad-date", "title": "T", "kind": "appeal", "date": bad},
                {
                    "key": "bad-withdrawal",
                    "title": "T",
                    "kind": "appeal",
                    "signatures": [{"person": DEMO_PERSON, "withdrawn": bad}],
                },
            ],
        ),
    )
    message = f"{bad!r} is not a date"
    assert_problems(
        reject(db, path),
        [
            ("dates.json: sources[0] (bad-published)", "published", message),
            ("dates.json: statements[1] (bad-date)", "date", message),
            ("dates.json: statements[2] (bad-withdrawal).signatures[0]", "withdrawn", message),
        ],
    )


def test_bad_dates_in_csv_are_all_listed(demo: Flask, db: Database, tmp_path: Path) -> None:
    """Bad dates and a precision that does not fit, each at its own line."""
    text = (
        "key,title,kind,date,date_precision\n"
        "2024-03-new-appeal,A new appeal,appeal,2024-03,month\n"
        "month-13,T,appeal,2022-13,month\n"
        "day-first,T,appeal,22-09-2022,day\n"
        "wrong-precision,T,appeal,2022-09,day\n"
    )
    assert_problems(
        reject(db, write(tmp_path, "statements.csv", text)),
        [
            ("statements.csv: line 3", "date", "'2022-13' is not a date"),
            ("statements.csv: line 4", "date", "'22-09-2022' is not a date"),
            ("statements.csv: line 5", "date_precision", "'day' does not fit the date"),
        ],
    )


# Cycles.


def test_district_cycle_within_the_file(demo: Flask, db: Database, tmp_path: Path) -> None:
    """Two new districts that lie within each other are both refused."""
    path = write(
        tmp_path,
        "cycle.json",
        document(
            districts=[
                {
                    "key": "ru/spb/new-okrug",
                    "name": "New",
                    "kind": "municipal_okrug",
                    "parent": "ru/spb",
                },
                {"key": "loop-a", "name": "A", "kind": "other", "parent": "loop-b"},
                {"key": "loop-b", "name": "B", "kind": "other", "parent": "loop-a"},
            ],
            statements=[NEW_STATEMENT],
        ),
    )
    assert_problems(
        reject(db, path),
        [
            (
                "cycle.json: districts[1] (loop-a)",
                "parent",
                "makes a cycle: loop-a -> loop-b -> loop-a",
            ),
            (
                "cycle.json: districts[2] (loop-b)",
                "parent",
                "makes a cycle: loop-b -> loop-a -> loop-b",
            ),
        ],
    )


def test_district_own_parent_is_a_cycle(demo: Flask, db: Database, tmp_path: Path) -> None:
    """A district cannot lie within itself."""
    path = write(
        tmp_path,
        "self.json",
        document(
            districts=[{"key": "ru/spb/kolpino", "parent": "ru/spb/kolpino"}],
            statements=[NEW_STATEMENT],
        ),
    )
    assert_problems(
        reject(db, path),
        [
            (
                "self.json: districts[0] (ru/spb/kolpino)",
                "parent",
                "makes a cycle: ru/spb/kolpino -> ru/spb/kolpino",
            )
        ],
    )


@pytest.mark.parametrize("table", ["json", "csv"])
def test_district_cycle_through_stored_districts(
    demo: Flask, db: Database, tmp_path: Path, table: str
) -> None:
    """Making "ru" a child of "ru/spb/kolpino" closes a cycle through stored districts."""
    if table == "json":
        path = write(
            tmp_path,
            "cycle.json",
            document(
                districts=[
                    {"key": "ru", "parent": "ru/spb/kolpino"},
                    {
                        "key": "ru/spb/new-okrug",
                        "name": "New",
                        "kind": "municipal_okrug",
                        "parent": "ru/spb",
                    },
                ]
            ),
        )
        where = "cycle.json: districts[0] (ru)"
    else:
        path = write(
            tmp_path,
            "districts.csv",
            "key,name,kind,parent_key\n"
            "ru/spb/new-okrug,New,municipal_okrug,ru/spb\n"
            "ru,Russia,country,ru/spb/kolpino\n",
        )
        where = "districts.csv: line 3"
    assert_problems(
        reject(db, path),
        [(where, "parent", "makes a cycle: ru -> ru/spb/kolpino -> ru/spb -> ru")],
    )


def test_source_citation_cycle_through_stored_sources(
    demo: Flask, db: Database, tmp_path: Path
) -> None:
    """A source cannot cite, through a chain of stored sources, itself."""
    path = write(
        tmp_path,
        "cites.json",
        document(
            sources=[
                {"key": "twitter-torstrem-2022-09", "cites": "inkl-mirror-2022-09-putin-quit"}
            ],
            statements=[NEW_STATEMENT],
        ),
    )
    assert_problems(
        reject(db, path),
        [
            (
                "cites.json: sources[0] (twitter-torstrem-2022-09)",
                "cites",
                "makes a cycle: twitter-torstrem-2022-09 -> inkl-mirror-2022-09-putin-quit -> ",
            )
        ],
    )


# Duplicates.


def test_duplicate_key_in_one_json_file(demo: Flask, db: Database, tmp_path: Path) -> None:
    """The same statement key twice with different fields names both places."""
    twin = {**NEW_STATEMENT, "title": "A different title"}
    path = write(tmp_path, "twice.json", document(statements=[NEW_STATEMENT, twin]))
    assert_problems(
        reject(db, path),
        [
            (
                "twice.json: statements[1] (2024-03-new-appeal)",
                None,
                "statement '2024-03-new-appeal' is given twice "
                "(first at twice.json: statements[0] (2024-03-new-appeal))",
            )
        ],
    )


def test_duplicate_key_in_one_csv_file(demo: Flask, db: Database, tmp_path: Path) -> None:
    """The same statement key on two lines of a CSV table names both lines."""
    text = (
        f"{STATEMENTS_HEADER}\n"
        "2024-other,Other,appeal\n"
        f"{NEW_STATEMENT_ROW}\n"
        "2024-03-new-appeal,Another title,petition\n"
    )
    assert_problems(
        reject(db, write(tmp_path, "statements.csv", text)),
        [
            (
                "statements.csv: line 4",
                None,
                "statement '2024-03-new-appeal' is given twice (first at statements.csv: line 3)",
            )
        ],
    )


def test_duplicate_field_in_one_json_object(demo: Flask, db: Database, tmp_path: Path) -> None:
    """An object with the same field twice (JSON would keep the last silently) is refused."""
    text = (
        '{"statements": ['
        + json.dumps(NEW_STATEMENT)
        + ', {"key": "twice", "title": "One", "title": "Two", "kind": "appeal"}]}'
    )
    problems = reject(db, write(tmp_path, "fields.json", text))
    assert_problems(problems, [("fields.json", None, "an object has the field 'title' twice")])


# CSV structure.


def test_csv_ragged_rows_name_their_lines(demo: Flask, db: Database, tmp_path: Path) -> None:
    """Rows with too few or too many cells are each named by line."""
    text = (
        f"{STATEMENTS_HEADER}\n{NEW_STATEMENT_ROW}\nshort,Too short\n\nlong,Too long,appeal,extra\n"
    )
    assert_problems(
        reject(db, write(tmp_path, "statements.csv", text)),
        [
            ("statements.csv: line 3", None, "has 2 cells; the header has 3"),
            ("statements.csv: line 5", None, "has 4 cells; the header has 3"),
        ],
    )


def test_csv_ragged_row_after_multiline_cell_names_its_line(
    demo: Flask, db: Database, tmp_path: Path
) -> None:
    """Line numbers count the lines inside quoted cells, not rows."""
    text = (
        "key,title,kind,text\n"
        '2024-03-new-appeal,A new appeal,appeal,"first line\nsecond line\nthird line"\n'
        "short,Too short\n"
    )
    assert_problems(
        reject(db, write(tmp_path, "statements.csv", text)),
        [("statements.csv: line 5", None, "has 2 cells; the header has 4")],
    )


CSV_SYNTAX_ERRORS = [
    pytest.param('quoted,"a"b,appeal', "',' expected after '\"'", id="text-after-quote"),
    pytest.param('unterminated,"no end,appeal', "unexpected end of data", id="unterminated"),
    pytest.param(
        "oversized," + "x" * (CSV_FIELD_LIMIT + 1) + ",appeal",
        "field larger than field limit (1048576)",
        id="oversized-cell",
    ),
]


@pytest.mark.parametrize(("row", "message"), CSV_SYNTAX_ERRORS)
def test_csv_syntax_error_names_the_line_it_is_on(
    demo: Flask, db: Database, tmp_path: Path, row: str, message: str
) -> None:
    """A CSV syntax error in the row on line 3 is reported at line 3."""
    text = f"{STATEMENTS_HEADER}\n{NEW_STATEMENT_ROW}\n{row}\n"
    problems = reject(db, write(tmp_path, "statements.csv", text))
    assert [problem.message for problem in problems] == [f"not valid CSV: {message}"]
    assert problems[0].where == "statements.csv: line 3"


def test_oversized_csv_cell_is_rejected_cleanly_by_the_cli(
    demo: Flask, db: Database, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    """A cell over 1 MiB is refused with an error line, exit 1 and no traceback."""
    limit_before = csv.field_size_limit()
    big = "x" * (CSV_FIELD_LIMIT + 1)
    path = write(
        tmp_path, "statements.csv", f"{STATEMENTS_HEADER}\n{NEW_STATEMENT_ROW}\nbig,{big},appeal\n"
    )
    before = row_counts(db)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert re.search(
        r"^error: statements\.csv: line \d+: not valid CSV: field larger than field limit",
        result.stderr,
        re.MULTILINE,
    )
    assert "nothing was written" in result.stderr
    assert row_counts(db) == before
    assert csv.field_size_limit() == limit_before


def test_csv_cell_of_exactly_one_mebibyte_is_accepted(
    demo: Flask, db: Database, tmp_path: Path
) -> None:
    """A cell of exactly 1 << 20 characters is within the limit, and the limit is restored."""
    limit_before = csv.field_size_limit()
    text = "x" * CSV_FIELD_LIMIT
    path = write(tmp_path, "statements.csv", f"key,title,kind,text\nlong-text,Long,appeal,{text}\n")
    importer.run(db, [path])
    with db.session() as session:
        stored = session.scalar(select(Statement.text).where(Statement.key == "long-text"))
    assert stored is not None and len(stored) == CSV_FIELD_LIMIT
    assert csv.field_size_limit() == limit_before


# Encodings and bytes.

CP1251_CSV = f"{STATEMENTS_HEADER}\n{NEW_STATEMENT_ROW}\nkolpino-appeal,Колпино,appeal\n"
CP1251_JSON = (
    "{\n"
    ' "statements": [\n'
    "  " + json.dumps(NEW_STATEMENT) + ",\n"
    '  {"key": "kolpino-appeal", "title": "Колпино", "kind": "appeal"}\n'
    " ]\n"
    "}\n"
)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param(
            "statements.csv",
            CP1251_CSV.encode("cp1251"),
            "line 3: bytes ca ee eb ef are not UTF-8; the file looks like cp1251",
            id="cp1251-csv",
        ),
        pytest.param(
            "legacy.json",
            CP1251_JSON.encode("cp1251"),
            "line 4: bytes ca ee eb ef are not UTF-8; the file looks like cp1251",
            id="cp1251-json",
        ),
        pytest.param(
            "statements.csv",
            CP1251_CSV.encode("utf-16"),
            "the file is UTF-16; save it as UTF-8",
            id="utf16-bom-csv",
        ),
        pytest.param(
            "wide.json",
            CP1251_JSON.encode("utf-16"),
            "the file is UTF-16; save it as UTF-8",
            id="utf16-bom-json",
        ),
        pytest.param(
            "statements.csv",
            CP1251_CSV.encode("utf-16-be"),
            "line 1: the file contains NUL bytes",
            id="utf16-no-bom-csv",
        ),
        pytest.param(
            "wide.json",
            CP1251_JSON.encode("utf-16-le"),
            "line 1: the file contains NUL bytes",
            id="utf16-no-bom-json",
        ),
    ],
)
def test_wrong_encoding_is_rejected(
    demo: Flask, db: Database, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    """Files in cp1251 or UTF-16 are refused with a message saying what to do."""
    problems = reject(db, write(tmp_path, name, content))
    assert_problems(problems, [(name, None, message)])


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param("statements.csv", CP1251_CSV, id="csv"),
        pytest.param("bom.json", CP1251_JSON, id="json"),
    ],
)
def test_utf8_bom_is_accepted(
    demo: Flask, db: Database, tmp_path: Path, name: str, text: str
) -> None:
    """A UTF-8 file with a byte-order mark imports, its first column name intact."""
    before = row_counts(db)
    importer.run(db, [write(tmp_path, name, b"\xef\xbb\xbf" + text.encode("utf-8"))])
    after = row_counts(db)
    assert after["statements"] == before["statements"] + 2
    assert after["dataset_version"] > before["dataset_version"]
    titles = statement_titles(db)
    assert titles["kolpino-appeal"] == "Колпино"
    assert titles["2024-03-new-appeal"] == "A new appeal"


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        pytest.param(
            "statements.csv",
            f"{STATEMENTS_HEADER}\n{NEW_STATEMENT_ROW}\nnul,Ti\x00tle,appeal\n",
            3,
            id="csv",
        ),
        pytest.param(
            "nul.json", CP1251_JSON.replace("kolpino-appeal", "kolpino\x00appeal"), 4, id="json"
        ),
    ],
)
def test_nul_bytes_are_rejected(
    demo: Flask, db: Database, tmp_path: Path, name: str, content: str, line: int
) -> None:
    """A NUL byte in a file is refused at its line."""
    problems = reject(db, write(tmp_path, name, content))
    assert_problems(problems, [(name, None, f"line {line}: the file contains NUL bytes")])


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("empty.json", b"", id="json-0-bytes"),
        pytest.param("blank.json", b" \n\t\r\n  ", id="json-whitespace"),
        pytest.param("statements.csv", b"", id="csv-0-bytes"),
        pytest.param("statements.csv", b"\r\n\r\n   \n", id="csv-whitespace"),
        pytest.param("statements.csv", b"\xef\xbb\xbf\n", id="csv-bom-only"),
    ],
)
def test_empty_file_is_rejected(
    demo: Flask, db: Database, tmp_path: Path, name: str, content: bytes
) -> None:
    """An empty file is refused, and the valid file imported with it is not written."""
    good = write(tmp_path, "good.json", document(statements=[NEW_STATEMENT]))
    problems = reject(db, good, write(tmp_path, name, content))
    assert_problems(problems, [(name, None, "the file is empty")])


# Unknown fields, columns, tables and lists.


def test_unknown_json_fields_are_rejected(demo: Flask, db: Database, tmp_path: Path) -> None:
    """Unknown fields in a record, a signature, an inline person, and an unknown list."""
    text = json.dumps(
        {
            "statements": [
                NEW_STATEMENT,
                {
                    "key": "coloured",
                    "title": "T",
                    "kind": "appeal",
                    "colour": "red",
                },
                {
                    "key": "odd-signatures",
                    "title": "T",
                    "kind": "appeal",
                    "signatures": [
                        {"person": DEMO_PERSON, "signed_on": "2024"},
                        {"person": {"name": "Ivan Petrov", "age": 40}},
                    ],
                },
            ],
            "petitions": [],
        }
    )
    assert_problems(
        reject(db, write(tmp_path, "unknown.json", text)),
        [
            ("unknown.json", "petitions", "unknown list (expected one of: districts, people"),
            ("unknown.json: statements[1] (coloured)", "colour", "unknown field (a statement has:"),
            (
                "unknown.json: statements[2] (odd-signatures).signatures[0]",
                "signed_on",
                "unknown field (a signature has:",
            ),
            (
                "unknown.json: statements[2] (odd-signatures).signatures[1].person",
                "age",
                "unknown field (a person has:",
            ),
        ],
    )


def test_unknown_csv_column_is_rejected(demo: Flask, db: Database, tmp_path: Path) -> None:
    """An unknown column and a column named twice are refused by the header."""
    text = f"{STATEMENTS_HEADER},colour,title\n{NEW_STATEMENT_ROW},red,Again\n"
    assert_problems(
        reject(db, write(tmp_path, "statements.csv", text)),
        [
            ("statements.csv", "colour", "unknown column"),
            ("statements.csv", None, "the header names a column twice"),
        ],
    )


def test_csv_without_its_key_column_is_rejected(demo: Flask, db: Database, tmp_path: Path) -> None:
    """A signatures table must name both the statement and the person of each row."""
    text = f"statement_key,stance\n{DEMO_STATEMENT},signed\n"
    assert_problems(
        reject(db, write(tmp_path, "signatures.csv", text)),
        [("signatures.csv", "person_key", "required column is missing")],
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param(
            "petitions.csv", "not a table of the archive (expected: districts.csv", id="csv"
        ),
        pytest.param("statements.txt", "not a .json or .csv file", id="txt"),
    ],
)
def test_unknown_table_name_is_rejected(
    demo: Flask, db: Database, tmp_path: Path, name: str, message: str
) -> None:
    """A table the archive does not have is refused, and the valid table beside it too."""
    good = write(tmp_path, "statements.csv", f"{STATEMENTS_HEADER}\n{NEW_STATEMENT_ROW}\n")
    bad = write(tmp_path, name, f"{STATEMENTS_HEADER}\n2024-other,Other,petition\n")
    assert_problems(reject(db, good, bad), [(name, None, message)])


# Vocabularies and captures.


def test_unknown_stance_is_rejected_in_json(demo: Flask, db: Database, tmp_path: Path) -> None:
    """A signature whose stance is not in the vocabulary is refused."""
    statement = {
        **NEW_STATEMENT,
        "signatures": [
            {"person": DEMO_PERSON, "stance": "signed"},
            {"person": "kunin-vasily-evgenievich", "stance": "supported"},
        ],
    }
    path = write(tmp_path, "stance.json", document(statements=[statement]))
    assert_problems(
        reject(db, path),
        [
            (
                "stance.json: statements[0] (2024-03-new-appeal).signatures[1]",
                "stance",
                "'supported' is not one of: signed, authored, voted_for, abstained, withdrawn",
            )
        ],
    )


def test_unknown_stance_is_rejected_in_csv(demo: Flask, db: Database, tmp_path: Path) -> None:
    """A signatures.csv row with a stance outside the vocabulary is refused at its line."""
    text = (
        "statement_key,person_key,stance\n"
        f"{KUNIN_STATEMENT},{DEMO_PERSON},signed\n"
        f"{DEMO_STATEMENT},{DEMO_PERSON},maybe\n"
    )
    assert_problems(
        reject(db, write(tmp_path, "signatures.csv", text)),
        [("signatures.csv: line 3", "stance", "'maybe' is not one of: signed")],
    )


@pytest.mark.parametrize("given", ["text", "file", "csv"])
def test_capture_digest_that_does_not_match_is_rejected(
    demo: Flask, db: Database, tmp_path: Path, given: str
) -> None:
    """A capture whose SHA-256 is not that of its text is refused, naming both digests."""
    captured, wrong = "The article as captured.", sha("Another article.")
    good_source = {"key": "new-source", "kind": "news", "url": "https://example.org/new"}
    if given == "csv":
        path = write(
            tmp_path,
            "sources.csv",
            "key,kind,url,capture_sha256,capture_text\n"
            "new-source,news,https://example.org/new,,\n"
            f'bad-capture,news,,{wrong},"{captured}"\n',
        )
        where = "sources.csv: line 3"
    else:
        capture: dict[str, str] = {"sha256": wrong}
        if given == "text":
            capture["text"] = captured
        else:
            write(tmp_path, "capture.txt", captured)
            capture["file"] = "capture.txt"
        bad_source = {"key": "bad-capture", "kind": "news", "capture": capture}
        path = write(tmp_path, "capture.json", document(sources=[good_source, bad_source]))
        where = "capture.json: sources[1] (bad-capture)"
    assert_problems(
        reject(db, path),
        [
            (
                where,
                "capture_sha256",
                f"{wrong} does not match the captured text, whose SHA-256 is {sha(captured)}",
            )
        ],
    )


@pytest.mark.parametrize("given", ["text", "file"])
def test_empty_capture_does_not_skip_the_digest_check(
    demo: Flask, db: Database, tmp_path: Path, given: str
) -> None:
    """An empty captured text does not match the digest of a non-empty article."""
    wrong = sha("The article as captured.\n")
    capture: dict[str, str] = {"sha256": wrong}
    if given == "text":
        capture["text"] = ""
    else:
        write(tmp_path, "empty.txt", b"")
        capture["file"] = "empty.txt"
    source = {"key": "bad-capture", "kind": "news", "capture": capture}
    path = write(tmp_path, "capture.json", document(sources=[source], statements=[NEW_STATEMENT]))
    problems = reject(db, path)
    assert [(p.where, p.field) for p in problems] == [
        ("capture.json: sources[0] (bad-capture)", "capture_sha256")
    ]


# Many problems at once.


def test_every_reading_problem_is_listed(demo: Flask, db: Database, tmp_path: Path) -> None:
    """Problems in several records of two files are all listed, not just the first."""
    json_path = write(
        tmp_path,
        "many.json",
        document(
            statements=[
                NEW_STATEMENT,
                {"key": "bad-date", "title": "T", "kind": "appeal", "date": "2022-13"},
                {"key": "bad-kind", "title": "T", "kind": "manifesto"},
                {"key": "Bad Key", "title": "T", "kind": "appeal"},
            ],
            people=[{"key": "new-person", "name": "Line one\nline two"}],
        ),
    )
    csv_path = write(tmp_path, "events.csv", "key,kind\n2024-new-event,summoned\nshort\n")
    assert_problems(
        reject(db, json_path, csv_path),
        [
            ("many.json: people[0] (new-person)", "name", "must be on one line"),
            ("many.json: statements[1] (bad-date)", "date", "'2022-13' is not a date"),
            ("many.json: statements[2] (bad-kind)", "kind", "'manifesto' is not one of"),
            ("many.json: statements[3] (Bad Key)", "key", "'Bad Key' is not a key"),
            ("events.csv: line 3", None, "has 1 cells; the header has 2"),
        ],
    )


def test_every_database_problem_is_listed(demo: Flask, db: Database, tmp_path: Path) -> None:
    """References, required fields and cycles found in the transaction are all listed."""
    path = write(
        tmp_path,
        "checks.json",
        document(
            districts=[{"key": "ru", "parent": "ru/spb/kolpino"}],
            statements=[
                NEW_STATEMENT,
                {"key": "no-title", "kind": "appeal"},
                {"key": "nowhere", "title": "T", "kind": "appeal", "districts": ["ru/atlantis"]},
            ],
            events=[{"key": "2024-event", "kind": "fined", "people": ["nobody-known"]}],
        ),
    )
    assert_problems(
        reject(db, path),
        [
            ("checks.json: districts[0] (ru)", "parent", "makes a cycle"),
            ("checks.json: statements[1] (no-title)", "title", "is required"),
            ("checks.json: statements[2] (nowhere)", "districts", "unknown district 'ru/atlantis'"),
            ("checks.json: events[0] (2024-event)", "people", "unknown person 'nobody-known'"),
        ],
    )


def test_problem_in_a_statement_does_not_hide_its_signatures_problems(
    demo: Flask, db: Database, tmp_path: Path
) -> None:
    """A bad date in a statement and a bad stance in its signature are both listed."""
    statement = {
        "key": "two-problems",
        "title": "T",
        "kind": "appeal",
        "date": "2022-13",
        "signatures": [{"person": DEMO_PERSON, "stance": "maybe"}],
    }
    path = write(tmp_path, "hidden.json", document(statements=[NEW_STATEMENT, statement]))
    assert_problems(
        reject(db, path),
        [
            ("hidden.json: statements[1] (two-problems)", "date", "'2022-13' is not a date"),
            (
                "hidden.json: statements[1] (two-problems).signatures[0]",
                "stance",
                "'maybe' is not one of",
            ),
        ],
    )


# Inputs that must be refused, not crash.


def test_huge_json_integer_is_rejected_not_raised(
    demo: Flask, db: Database, tmp_path: Path
) -> None:
    """An integer of 5000 digits (over Python's int-string limit) is a problem, not a crash."""
    text = document(statements=[NEW_STATEMENT, {"key": "huge", "title": "T", "kind": "appeal"}])
    text = text.replace(
        '"key": "huge",', '"key": "huge", "reported_signatories": ' + "9" * 5000 + ","
    )
    problems = reject(db, write(tmp_path, "huge.json", text))
    assert len(problems) == 1
    assert problems[0].where.startswith("huge.json")


def test_demand_longer_than_its_column_is_rejected_not_raised(
    demo: Flask, db: Database, tmp_path: Path
) -> None:
    """A demand tag is stored in 64 characters: a longer one is a problem, on every database
    (PostgreSQL would refuse the row; SQLite would store it whatever its length)."""
    fits = {"key": "fits", "title": "T", "kind": "appeal", "demands": ["d" * 64]}
    too_long = {"key": "too-long", "title": "T", "kind": "appeal", "demands": ["end", "d" * 65]}
    problems = reject(
        db, write(tmp_path, "demands.json", document(statements=[NEW_STATEMENT, fits, too_long]))
    )
    assert_problems(
        problems,
        [
            (
                "demands.json: statements[2] (too-long)",
                "demands",
                "item 2: is 65 characters long; at most 64 are allowed",
            )
        ],
    )
    importer.run(db, [write(tmp_path, "fits.json", document(statements=[fits]))])
    with db.session() as session:
        assert session.scalar(select(Statement.key).where(Statement.key == "fits")) == "fits"


@pytest.mark.parametrize(
    "count", [pytest.param("²", id="superscript-two"), pytest.param("9" * 5000, id="5000-digits")]
)
def test_bad_count_in_csv_is_rejected_not_raised(
    demo: Flask, db: Database, tmp_path: Path, count: str
) -> None:
    """A count that str.isdigit() accepts but int() does not is a problem, not a crash."""
    text = (
        "key,title,kind,reported_signatories\n"
        "2024-03-new-appeal,A new appeal,appeal,18\n"
        f"bad-count,T,appeal,{count}\n"
    )
    problems = reject(db, write(tmp_path, "statements.csv", text))
    assert [(p.where, p.field) for p in problems] == [
        ("statements.csv: line 3", "reported_signatories")
    ]


@pytest.mark.parametrize("field", ["title", "capture"])
def test_lone_surrogate_is_rejected_not_raised(
    demo: Flask, db: Database, tmp_path: Path, field: str
) -> None:
    """Text with a lone UTF-16 surrogate (a broken \\ud83d escape) is a problem, not a crash."""
    if field == "title":
        lists: dict[str, Any] = {
            "statements": [
                NEW_STATEMENT,
                {"key": "broken", "title": "Emoji \ud83d", "kind": "appeal"},
            ]
        }
        where = "broken.json: statements[1] (broken)"
    else:
        bad = {"key": "broken", "kind": "news", "capture": {"text": "Emoji \ud83d"}}
        lists = {"statements": [NEW_STATEMENT], "sources": [bad]}
        where = "broken.json: sources[0] (broken)"
    text = json.dumps(lists)  # ensure_ascii: the surrogate is written as the escape \ud83d
    problems = reject(db, write(tmp_path, "broken.json", text))
    assert [p.where for p in problems] == [where]


# Through the command line.


@pytest.mark.parametrize(
    ("actor", "message"),
    [("x" * 301, "at most 300 are allowed"), ("a\nb", "one line"), (" ", "must not be empty")],
)
def test_cli_refuses_an_actor_that_is_not_a_name(
    demo: Flask, db: Database, runner: FlaskCliRunner, tmp_path: Path, actor: str, message: str
) -> None:
    """The actor is stored like a name (300 characters on one line), so it is checked as one."""
    path = write(tmp_path, "new.json", document(statements=[NEW_STATEMENT]))
    before = row_counts(db)
    result = runner.invoke(args=["import", "--actor", actor, str(path)])
    assert result.exit_code == 2, result.output
    assert "--actor" in result.output
    assert message in result.output
    assert row_counts(db) == before


def test_cli_lists_every_problem_and_writes_nothing(
    demo: Flask, db: Database, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    """The import command prints an error line per problem, says nothing was written, exits 1."""
    path = write(
        tmp_path,
        "cli.json",
        document(
            statements=[
                NEW_STATEMENT,
                {"key": "no-title", "kind": "appeal"},
                {"key": "nowhere", "title": "T", "kind": "appeal", "districts": ["ru/atlantis"]},
            ]
        ),
    )
    before = row_counts(db)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert sorted(errors) == [
        "error: cli.json: statements[1] (no-title): title: is required",
        "error: cli.json: statements[2] (nowhere): districts: "
        "refers to an unknown district 'ru/atlantis'",
    ]
    assert "import rejected: 2 problem(s); nothing was written" in result.stderr
    assert "created" not in result.output
    assert row_counts(db) == before


def test_cli_rejects_ragged_csv(
    demo: Flask, db: Database, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    """The import command refuses a CSV table with a ragged row, naming its line."""
    text = f"{STATEMENTS_HEADER}\n{NEW_STATEMENT_ROW}\nshort,Too short\n"
    path = write(tmp_path, "statements.csv", text)
    before = row_counts(db)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert "error: statements.csv: line 3: has 2 cells; the header has 3" in result.stderr
    assert "nothing was written" in result.stderr
    assert row_counts(db) == before
