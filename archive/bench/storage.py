"""The benchmark's measures of the data: import, index build and export.

Each is measured against an anchor run in the same process on the same data: plain ``sqlite3``
``executemany`` for the import, SQLite FTS5 for the index (searched in
:mod:`archive.bench.searches`), and the ``sqlite3`` command-line tool for the export. The exports
run in child processes, each reporting its own peak resident memory.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from archive.bench.report import Row
from archive.data import migrations
from archive.data.database import Base, Database
from archive.export import dialects, package, rows
from archive.importing import importer
from archive.importing.tables import TABLES, TABLES_BY_NAME
from archive.index.generations import SearchIndex

# The pragmas the archive's own connections set (archive.data.database), so that only the
# code differs.
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL")
MISSING_TOOL = "sqlite3 command-line tool absent (apt-get install -y sqlite3)"

FTS_SCHEMA = """
CREATE VIRTUAL TABLE fts USING fts5(
    key UNINDEXED, title, text, demands, names, districts,
    tokenize = 'unicode61 remove_diacritics 2'
)
"""
# The same text the archive indexes for a statement: title; text, summary, addressee and
# translations; demands; every name of every signatory; every name of the statement's and
# its signatories' districts and of all their ancestors.
FTS_FILL = """
WITH RECURSIVE
lineage(statement_id, district_id) AS (
    SELECT statement_id, district_id FROM a.statement_districts
    UNION SELECT statement_id, district_id FROM a.signatures WHERE district_id IS NOT NULL
    UNION SELECT l.statement_id, d.parent_id FROM lineage AS l
        JOIN a.districts AS d ON d.id = l.district_id WHERE d.parent_id IS NOT NULL
),
district_names(district_id, name) AS (
    SELECT id, name FROM a.districts UNION ALL SELECT district_id, name FROM a.district_names
),
places AS (
    SELECT l.statement_id, group_concat(n.name, char(10)) AS names
    FROM lineage AS l JOIN district_names AS n USING (district_id) GROUP BY l.statement_id
),
person_names(person_id, name) AS (
    SELECT id, name FROM a.people UNION ALL SELECT person_id, name FROM a.person_names
),
signatories AS (
    SELECT g.statement_id, group_concat(n.name, char(10)) AS names
    FROM a.signatures AS g JOIN person_names AS n USING (person_id) GROUP BY g.statement_id
),
tags AS (
    SELECT statement_id, group_concat(demand, ' ') AS demands
    FROM a.statement_demands GROUP BY statement_id
),
translated AS (
    SELECT statement_id, group_concat(text, char(10)) AS texts
    FROM a.translations GROUP BY statement_id
)
INSERT INTO fts (rowid, key, title, text, demands, names, districts)
SELECT s.id, s.key, s.title,
    coalesce(s.text, '') || char(10) || coalesce(s.summary, '') || char(10)
        || coalesce(s.addressee, '') || char(10) || coalesce(t.texts, ''),
    g.demands, p.names, pl.names
FROM a.statements AS s
LEFT JOIN translated AS t ON t.statement_id = s.id
LEFT JOIN tags AS g ON g.statement_id = s.id
LEFT JOIN signatories AS p ON p.statement_id = s.id
LEFT JOIN places AS pl ON pl.statement_id = s.id
"""
# The statements table of the export (demands joined, date precision derived) in plain SQL.
STATEMENTS_SQL = """
SELECT s.key AS key, s.title AS title, s.kind AS kind, s.date AS date,
    CASE length(s.date) WHEN 4 THEN 'year' WHEN 7 THEN 'month' WHEN 10 THEN 'day' END
        AS date_precision,
    s.language AS language, s.addressee AS addressee,
    s.reported_signatories AS reported_signatories,
    coalesce((SELECT group_concat(demand, ';') FROM (SELECT demand FROM statement_demands AS d
              WHERE d.statement_id = s.id ORDER BY d.position)), '') AS demands,
    s.summary AS summary, s.text AS text
FROM statements AS s ORDER BY s.key
"""
EXPORT_CHILD = (
    "import sys; from archive.bench.storage import export_child; export_child(*sys.argv[1:])"
)


def sqlite_url(path: Path) -> str:
    """Return the SQLAlchemy URL of an SQLite file."""
    return f"sqlite:///{path}"


def migrated(path: Path) -> Database:
    """Return a database in a new SQLite file, migrated to the newest schema."""
    database = Database(sqlite_url(path))
    migrations.upgrade(database)
    return database


@contextmanager
def plain(path: Path) -> Iterator[sqlite3.Connection]:
    """Yield a plain sqlite3 connection (autocommit) with the archive's pragmas."""
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        for pragma in PRAGMAS:
            connection.execute(pragma)
        yield connection


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    """Run an action; return its result and the seconds it took."""
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


# Import.


def measure_import(corpus: list[Path], database: Database, anchor: Path) -> Row:
    """Import the corpus into the (empty, migrated) database; copy its rows as the anchor."""
    result, seconds = timed(lambda: importer.run(database, corpus))
    migrated(anchor).dispose()
    rows, tables, anchor_seconds = copy_rows(Path(str(database.url.database)), anchor)
    return Row(
        "import",
        result.records / seconds,
        result.records / anchor_seconds,
        "records/s",
        f"{result.records:,} records in {seconds:.1f} s: importer.run in this process, one "
        f"transaction, no index catch-up (next row); anchor: the {rows:,} rows it wrote "
        f"({tables} tables, revisions included) read back and inserted with executemany "
        f"into a fresh migrated file in one transaction, in {anchor_seconds:.1f} s",
    )


def copy_rows(source: Path, target: Path) -> tuple[int, int, float]:
    """Insert every row of every archive table of ``source`` into ``target``; return
    (rows, tables, seconds). The time includes reading the rows out of ``source``."""
    # Every model's table (archive.export has imported the models), parents before children.
    tables = list(Base.metadata.sorted_tables)
    copied = 0
    with closing(sqlite3.connect(source)) as reader, plain(target) as writer:
        started = time.perf_counter()
        writer.execute("BEGIN")
        for table in tables:
            names = ", ".join(f'"{column.name}"' for column in table.columns)
            marks = ", ".join("?" for _column in table.columns)
            rows = reader.execute(f'SELECT {names} FROM "{table.name}"')
            cursor = writer.executemany(
                f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows
            )
            copied += cursor.rowcount
        writer.execute("COMMIT")
        seconds = time.perf_counter() - started
    return copied, len(tables), seconds


# Index build.


def measure_index(index: SearchIndex, fts: Path) -> Row:
    """Rebuild the archive's index; fill an FTS5 table with the same text as the anchor."""
    database_file = Path(str(index.database.url.database))
    with closing(sqlite3.connect(database_file)) as connection:
        statements, people = (
            connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            for name in ("statements", "people")
        )
    _version, seconds = timed(index.rebuild)
    with fts_connection(fts, database_file) as connection:
        connection.execute(FTS_SCHEMA)
        _none, anchor_seconds = timed(lambda: _fill(connection))
    return Row(
        "index build",
        statements / seconds,
        statements / anchor_seconds,
        "statements/s",
        f"{statements:,} statements in {seconds:.1f} s: SearchIndex.rebuild(), which also "
        f"indexes {people:,} people; anchor: FTS5 (unicode61, no stemming, no transliteration) "
        f"of the same title, texts, demands, signatory and district names, in "
        f"{anchor_seconds:.1f} s",
    )


def _fill(connection: sqlite3.Connection) -> None:
    connection.execute("BEGIN")
    connection.execute(FTS_FILL)
    connection.execute("COMMIT")


@contextmanager
def fts_connection(fts: Path, database_file: Path) -> Iterator[sqlite3.Connection]:
    """Yield a connection to the FTS5 file with the archive's database attached as ``a``."""
    with plain(fts) as connection:
        connection.execute("ATTACH DATABASE ? AS a", (str(database_file),))
        yield connection


# Export.


def export_child(database_file: str, what: str, out: str) -> None:
    """Write one export (a table's CSV, the zip, or nothing), then print its seconds as JSON
    and this process's peak resident memory."""
    database = Database(sqlite_url(Path(database_file)))
    started = time.perf_counter()
    with database.session() as session, session.begin():
        if what == "zip":
            with open(out, "wb") as binary:
                for data in package.stream_zip(session):
                    binary.write(data)
        elif what != "nothing":
            with open(out, "w", encoding="utf-8", newline="") as text:
                for chunk in dialects.table_csv(session, what):
                    text.write(chunk)
    database.dispose()
    print(json.dumps({"seconds": time.perf_counter() - started}))
    print(_peak_line(Path("/proc/self/status")))


def _peak_line(status: Path) -> str:
    try:
        lines = status.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    return next((line for line in lines if line.startswith("VmHWM:")), "")


@dataclass
class ChildRun:
    """A child process's output, wall time and peak resident memory (None if unknown)."""

    output: str
    seconds: float
    peak_mib: float | None


def run_child(command: Sequence[str], stdin: str = "") -> ChildRun:
    """Run a command to its end; return its output, wall time and the peak resident memory
    that it printed from /proc (VmHWM: ``wait4``'s ru_maxrss would count the benchmark's own
    memory, which the child shares between fork and exec)."""
    started = time.perf_counter()
    done = subprocess.run(list(command), input=stdin, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    peak = re.search(r"^VmHWM:\s+(\d+) kB", done.stdout, re.M)
    return ChildRun(done.stdout, seconds, int(peak[1]) / 1024 if peak else None)


def anchor_sql(session: Session, table: str) -> str:
    """Return the SQL of the export's query of one table, its columns named as in the CSV."""
    if table == "statements":
        return STATEMENTS_SQL.strip()
    query = rows.ROWS[table](session)
    assert isinstance(query, Select)  # every table's rows but the statements' are one SELECT
    header = [column.name for column in TABLES_BY_NAME[table].columns]
    labelled = query.with_only_columns(
        *(column.label(name) for column, name in zip(query.selected_columns, header, strict=True))
    )
    compiled = labelled.compile(
        dialect=sqlite_dialect.dialect(), compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def _ours(database_file: Path, what: str, out: Path) -> ChildRun:
    command = [sys.executable, "-c", EXPORT_CHILD, str(database_file), what, str(out)]
    child = run_child(command)
    child.seconds = float(json.loads(child.output.splitlines()[0])["seconds"])
    return child


def _tool(database_file: Path, outputs: dict[str, Path], sql: dict[str, str]) -> ChildRun | None:
    """Run the sqlite3 tool on the queries, each to its file; None if there is no such tool."""
    tool = shutil.which("sqlite3")
    if tool is None:
        return None
    script = "".join(f'.output "{outputs[name]}"\n{sql[name]};\n' for name in outputs)
    # The tool's own peak memory, read by a shell that it starts ($PPID is the tool).
    script += ".output stdout\n.shell grep VmHWM /proc/$PPID/status\n"
    return run_child([tool, "-bail", "-csv", "-header", str(database_file)], script)


def _same_rows(one: Path, other: Path) -> bool:
    """Tell whether two CSV files hold the same rows (the tool quotes and ends lines its way)."""
    with (
        one.open(encoding="utf-8", newline="") as first,
        other.open(encoding="utf-8", newline="") as second,
    ):
        pairs = itertools.zip_longest(csv.reader(first), csv.reader(second))
        return all(a == b for a, b in pairs)


def measure_export(database: Database, folder: Path) -> list[Row]:
    """Export the signatures table and the zip in child processes, against the sqlite3 tool."""
    folder.mkdir(parents=True, exist_ok=True)
    database_file = Path(str(database.url.database))
    with database.session() as session:
        sql = {table.name: anchor_sql(session, table.name) for table in TABLES}
    with closing(sqlite3.connect(database_file)) as connection:
        counts = {
            name: int(connection.execute(f"SELECT count(*) FROM ({query})").fetchone()[0])
            for name, query in sql.items()
        }
    baseline = _ours(database_file, "nothing", folder / "nothing").peak_mib or 0.0
    ours_table = _ours(database_file, "signatures", folder / "signatures.csv")
    ours_zip = _ours(database_file, "zip", folder / "archive.zip")
    tool_table = _tool(database_file, {"signatures": folder / "anchor-signatures.csv"}, sql)
    outputs = {name: folder / f"anchor-{name}.csv" for name in sql}
    tool_zip = _tool(database_file, outputs, sql)
    same = tool_table is not None and _same_rows(
        folder / "signatures.csv", folder / "anchor-signatures.csv"
    )
    rows, total = counts["signatures"], sum(counts.values())
    absent = "; " + MISSING_TOOL if tool_table is None else ""
    memory_note = f"peak RSS of the child; one that only imports and connects: {baseline:.1f} MiB"
    return [
        Row(
            "export signatures table",
            rows / ours_table.seconds,
            None if tool_table is None else rows / tool_table.seconds,
            "rows/s",
            f"{rows:,} rows; dialects.table_csv in a child (timed inside it); anchor: sqlite3 -csv "
            f"with the same columns, joins and ORDER BY (whole process); "
            f"{'the same rows' if same else 'ROWS DIFFER'}{absent}",
        ),
        Row(
            "export signatures table, memory",
            ours_table.peak_mib,
            None if tool_table is None else tool_table.peak_mib,
            "MiB",
            memory_note + absent,
        ),
        Row(
            "export zip",
            total / ours_zip.seconds,
            None if tool_zip is None else total / tool_zip.seconds,
            "rows/s",
            f"{total:,} rows in {len(TABLES)} tables; package.stream_zip to a file (deflated); "
            f"anchor: sqlite3 -csv writing the same tables uncompressed{absent}",
        ),
        Row(
            "export zip, memory",
            ours_zip.peak_mib,
            None if tool_zip is None else tool_zip.peak_mib,
            "MiB",
            memory_note + absent,
        ),
    ]
