"""Reading import files: bytes to text, JSON documents and CSV tables to fields.

Nothing here touches the database: a file becomes a batch of cleaned records (each with where
it came from) and a list of every problem found.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.data.revisions import record_key
from archive.importing.fields import (
    Invalid,
    Problem,
    clean_fields,
    date_precision,
    person_key_for,
)
from archive.importing.tables import LIST_SEPARATOR, TABLES_BY_NAME, Table

FORMAT = "dissent-archive/1"
JSON_LISTS = {
    "districts": "district",
    "people": "person",
    "sources": "source",
    "statements": "statement",
    "events": "event",
}
CSV_FIELD_LIMIT = 1 << 20  # characters in one CSV cell
MAX_FILE_BYTES = 512 << 20


@dataclass
class InlinePerson:
    """A person given inside a signature without a key: who it is is decided against the
    database (archive.importing.people), so its signatures name it by a placeholder until
    then."""

    base: str  # the key derived from the name (archive.importing.fields.person_key_for)
    fields: dict[str, Any]  # its cleaned fields, without a key
    where: str
    statement: str | None  # the statement whose signature gives it


# A placeholder names "#" and a number after the derived key; "#" is never in a key.
PLACEHOLDER = "#"
# The key an inline person without a usable name is cleaned with (its problem is the name).
UNNAMED = "unnamed"


@dataclass
class Batch:
    """The records read from the files of one import, by kind and key."""

    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    where: dict[tuple[str, str], str] = field(default_factory=dict)
    # (kind, key, field, referenced key) -> where a part table's row names that reference
    item_where: dict[tuple[str, str, str, str], str] = field(default_factory=dict)
    # statement key -> the people whose signatures it keeps (others are deleted)
    signature_sets: dict[str, set[str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # What was read but deserves a word, without refusing the import.
    warnings: list[Problem] = field(default_factory=list)
    # placeholder -> a person given inline without a key, in the order of the files
    inline: dict[str, InlinePerson] = field(default_factory=dict)

    def add(self, kind: str, fields: dict[str, Any], where: str, merge: bool = False) -> None:
        """Add a record; the same key twice is a problem unless merging or identical."""
        key = record_key(kind, fields)
        by_key = self.records.setdefault(kind, {})
        if key in by_key and not merge and by_key[key] != fields:
            first = self.where[kind, key]
            self.problems.append(
                Problem(where, None, f"{kind} {key!r} is given twice (first at {first})")
            )
            return
        by_key.setdefault(key, {}).update(fields)
        self.where.setdefault((kind, key), where)

    def count(self) -> int:
        """Return how many records the batch holds."""
        return sum(len(by_key) for by_key in self.records.values())


# Bytes to text.


def decode(data: bytes, where: str, exact: bool = False) -> str | Problem | None:
    """Return the UTF-8 text of a file (a leading BOM dropped unless ``exact``), or a problem."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Problem(where, None, "the file is UTF-16; save it as UTF-8")
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return Problem(
            where,
            None,
            f"line {line}: the file contains NUL bytes "
            "(UTF-16 without a byte-order mark, or not a text file?)",
        )
    try:
        text = data.decode("utf-8" if exact else "utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        bad = data[error.start : error.start + 4].hex(" ")
        return Problem(
            where,
            None,
            f"line {line}: bytes {bad} are not UTF-8; the file looks like "
            "cp1251 or another legacy encoding: save it as UTF-8",
        )
    if not exact and not text.strip():
        return Problem(where, None, "the file is empty")
    return text


# JSON documents.


def read_json(path: Path, text: str, batch: Batch) -> None:
    """Read a JSON document into ``batch``."""
    name = path.name
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for field_name, value in items:
            if field_name in seen:
                duplicates.append(field_name)
            seen[field_name] = value
        return seen

    try:
        document = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as error:
        batch.problems.append(
            Problem(
                name,
                None,
                f"line {error.lineno}, column {error.colno}: not valid JSON: {error.msg}",
            )
        )
        return
    except RecursionError:
        batch.problems.append(Problem(name, None, "not valid JSON: nested too deeply"))
        return
    except ValueError as error:  # a number of thousands of digits, for one
        batch.problems.append(Problem(name, None, f"not valid JSON: {error}"))
        return
    batch.problems += [
        Problem(name, None, f"an object has the field {d!r} twice")
        for d in dict.fromkeys(duplicates)
    ]
    if not isinstance(document, dict):
        batch.problems.append(Problem(name, None, "must be a JSON object with lists of records"))
        return
    if document.get("format", FORMAT) != FORMAT:
        batch.problems.append(Problem(name, "format", f"must be {FORMAT!r}"))
    for list_name in document:
        if list_name != "format" and list_name not in JSON_LISTS:
            batch.problems.append(
                Problem(name, list_name, f"unknown list (expected one of: {', '.join(JSON_LISTS)})")
            )
    for list_name, kind in JSON_LISTS.items():
        items = document.get(list_name, [])
        if not isinstance(items, list):
            batch.problems.append(Problem(name, list_name, "must be a list of objects"))
            continue
        for index, raw in enumerate(items):
            where = f"{name}: {list_name}[{index}]"
            if not isinstance(raw, dict):
                batch.problems.append(Problem(where, None, "must be an object"))
                continue
            _read_json_record(path, kind, dict(raw), where, batch)


def _read_json_record(path: Path, kind: str, raw: dict[str, Any], where: str, batch: Batch) -> None:
    if isinstance(raw.get("key"), str):
        where = f"{where} ({raw['key']})"
    signatures = raw.pop("signatures", None) if kind == "statement" else None
    if kind == "source" and "capture" in raw:
        _read_capture(path, raw, where, batch)
    fields = _clean(kind, raw, where, batch)
    if fields is not None:
        batch.add(kind, fields, where)
    if signatures is not None:  # read even when the statement has problems, to list theirs too
        _read_signatures(raw.get("key"), signatures, where, batch)


def _clean(kind: str, raw: Mapping[str, Any], where: str, batch: Batch) -> dict[str, Any] | None:
    fields, problems = clean_fields(kind, raw, where)
    batch.problems += problems
    return None if problems else fields


def _read_capture(path: Path, raw: dict[str, Any], where: str, batch: Batch) -> None:
    capture = raw.pop("capture")
    if capture is None:
        raw["capture_text"] = raw["capture_sha256"] = None
        return
    if not isinstance(capture, dict) or set(capture) - {"file", "text", "sha256"}:
        batch.problems.append(
            Problem(where, "capture", 'must be an object with "file" or "text", and "sha256"')
        )
        return
    raw["capture_sha256"] = capture.get("sha256")
    raw["capture_text"] = capture.get("text")
    if "file" in capture:
        file_name = capture["file"]
        target = path.parent / str(file_name)
        if not isinstance(file_name, str) or not target.is_file():
            batch.problems.append(
                Problem(where, "capture.file", f"no file {file_name!r} beside {path.name}")
            )
            return
        text = decode(target.read_bytes(), f"{where}: capture.file {file_name}", exact=True)
        if isinstance(text, Problem):
            batch.problems.append(text)
            return
        raw["capture_text"] = text


def _read_signatures(statement: Any, signatures: Any, where: str, batch: Batch) -> None:
    if not isinstance(signatures, list):
        batch.problems.append(Problem(where, "signatures", "must be a list of objects"))
        return
    kept: dict[str, tuple[dict[str, Any], str]] = {}  # person -> (signature, where)
    inline: dict[str, str] = {}  # an inline person's fields, as JSON -> its placeholder
    for index, raw in enumerate(signatures):
        sig_where = f"{where}.signatures[{index}]"
        if not isinstance(raw, dict):
            batch.problems.append(Problem(sig_where, None, "must be an object"))
            continue
        raw = {"statement": statement, "position": index + 1, **raw}
        person = raw.get("person")
        placeholder = None
        if isinstance(person, dict):
            placeholder = _read_inline_person(person, statement, sig_where, inline, batch)
            raw["person"] = person.get("key", UNNAMED)
        fields = _clean("signature", raw, sig_where, batch)
        if fields is not None and placeholder is not None:
            fields["person"] = placeholder
        if fields is not None and not listed_again(fields, sig_where, kept, batch):
            batch.add("signature", fields, sig_where)
            kept[fields["person"]] = (fields, sig_where)
    if isinstance(statement, str):
        batch.signature_sets[statement] = set(kept)


def listed_again(
    signature: dict[str, Any],
    where: str,
    kept: dict[str, tuple[dict[str, Any], str]],
    batch: Batch,
) -> bool:
    """Tell whether a statement lists this signature's person already. The same signature
    again (its place in the list aside) is one signature, with a warning; one that says
    something else (a role, a district, a stance...) is a problem naming both places."""
    if signature["person"] not in kept:
        return False
    first, first_where = kept[signature["person"]]
    differ = sorted(
        name
        for name in {*first, *signature} - {"position"}
        if first.get(name) != signature.get(name)
    )
    person = describe(batch, signature["person"])
    if differ:
        message = (
            f"{person} is listed twice, the second time with another "
            f"{', '.join(differ)} (first at {first_where}): keep one entry"
        )
        batch.problems.append(Problem(where, "person", message))
    else:
        message = f"{person} is listed twice (first at {first_where}); one signature kept"
        batch.warnings.append(Problem(where, "person", message))
    return True


def describe(batch: Batch, person: str) -> str:
    """Name a person in a message: by key, or by name when given inline without one."""
    given = batch.inline.get(person)
    return f"person {person!r}" if given is None else f"{given.fields['name']!r} (given inline)"


def _read_inline_person(
    raw: dict[str, Any], statement: Any, where: str, seen: dict[str, str], batch: Batch
) -> str | None:
    """Read a person given inside a signature. With a key, it is that person; without one it
    becomes a placeholder (the same fields twice in one statement, the same placeholder), and
    who it is is decided against the database. Return the placeholder, or None."""
    where = f"{where}.person"
    if "key" in raw:
        fields = _clean("person", raw, where, batch)
        if fields is not None:
            batch.add("person", fields, where)
        return None
    base = person_key_for(raw["name"]) if isinstance(raw.get("name"), str) else ""
    fields = _clean("person", {**raw, "key": base or UNNAMED}, where, batch)
    if fields is None:
        return None
    if not base:
        message = (
            "must have letters: a person given without a key is known by a key made of its name"
        )
        batch.problems.append(Problem(where, "name", message))
        return None
    del fields["key"]
    as_json = json.dumps(fields, sort_keys=True, ensure_ascii=False)
    if as_json not in seen:
        seen[as_json] = f"{base}{PLACEHOLDER}{len(batch.inline) + 1}"
        statement_key = statement if isinstance(statement, str) else None
        batch.inline[seen[as_json]] = InlinePerson(base, fields, where, statement_key)
    return seen[as_json]


# CSV tables.


def read_csv(
    path: Path, text: str
) -> tuple[Table | None, list[tuple[str, dict[str, str]]], list[Problem]]:
    """Read a CSV table: its definition, its rows (with where), and any problems."""
    name = path.name
    table = TABLES_BY_NAME.get(path.stem)
    if table is None:
        known = ", ".join(f"{t}.csv" for t in TABLES_BY_NAME)
        return None, [], [Problem(name, None, f"not a table of the archive (expected: {known})")]
    previous_limit = csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        return table, *_csv_rows(table, name, text)
    finally:
        csv.field_size_limit(previous_limit)


def _csv_rows(
    table: Table, name: str, text: str
) -> tuple[list[tuple[str, dict[str, str]]], list[Problem]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[Problem] = []
    rows: list[tuple[str, dict[str, str]]] = []
    try:
        header = next(reader)
        columns = {column.name for column in table.columns}
        problems += [Problem(name, h, "unknown column") for h in header if h not in columns]
        problems += [
            Problem(name, c, "required column is missing")
            for c in table.key_columns
            if c not in header
        ]
        if len(set(header)) != len(header):
            problems.append(Problem(name, None, "the header names a column twice"))
        if problems:
            return [], problems
        for cells in reader:
            where = f"{name}: line {reader.line_num}"
            if not cells:
                continue
            if len(cells) != len(header):
                problems.append(
                    Problem(where, None, f"has {len(cells)} cells; the header has {len(header)}")
                )
                continue
            rows.append((where, dict(zip(header, cells, strict=True))))
    except csv.Error as error:
        where = f"{name}: line {reader.line_num}"
        problems.append(Problem(where, None, f"not valid CSV: {error}"))
    return rows, problems


def read_tables(tables: dict[Table, list[tuple[str, dict[str, str]]]], batch: Batch) -> None:
    """Turn the rows of the CSV tables of one import into fields."""
    for table, rows in tables.items():
        if table.part is None:
            for where, row in rows:
                raw = _row_fields(table, row, where, batch)
                if raw is not None:
                    _add_row_record(table, raw, where, batch, tables)
    for table, rows in tables.items():
        if table.part is not None:
            _read_part_table(table, rows, batch, tables)
    signatures = tables.get(TABLES_BY_NAME["signatures"])
    if signatures is not None:
        # signatures.csv holds the whole list of signatures of every statement that it or
        # statements.csv names.
        statements = tables.get(TABLES_BY_NAME["statements"], [])
        for _where, row in statements:
            batch.signature_sets.setdefault(row["key"].strip(), set())
        for _where, row in signatures:
            people = batch.signature_sets.setdefault(row["statement_key"].strip(), set())
            people.add(row["person_key"].strip())


def _row_fields(
    table: Table, row: dict[str, str], where: str, batch: Batch
) -> dict[str, Any] | None:
    raw: dict[str, Any] = {}
    for column in table.columns:
        if column.name not in row:
            continue
        cell: Any = row[column.name] or None
        if column.field is None:
            continue
        if column.field == "demands":
            cell = [d.strip() for d in cell.split(LIST_SEPARATOR)] if cell else []
        raw[column.field] = cell
    fields = _clean(table.kind, raw, where, batch)
    if fields is not None and table.name == "statements" and "date_precision" in row:
        given, derived = row["date_precision"] or None, date_precision(fields.get("date"))
        if "date" in fields and given != derived:
            batch.problems.append(
                Problem(
                    where, "date_precision", f"{given!r} does not fit the date (it is {derived!r})"
                )
            )
    return fields


def _add_row_record(
    table: Table, fields: dict[str, Any], where: str, batch: Batch, tables: Mapping[Table, Any]
) -> None:
    # A part table present in the same import is the whole list for every record named here.
    for part_table in tables:
        if part_table.part is not None and part_table.kind == table.kind:
            fields.update(_empty_part(part_table))
    batch.add(table.kind, fields, where)


def _empty_part(table: Table) -> dict[str, Any]:
    return {"names": {}, "aliases": []} if table.part == "names" else {table.part or "": []}


def _read_part_table(
    table: Table,
    rows: Iterable[tuple[str, dict[str, str]]],
    batch: Batch,
    tables: Mapping[Table, Any],
) -> None:
    assert table.part is not None and table.item is not None
    for where, row in rows:
        owner = _clean(
            table.kind,
            {c.field: row[c.name] or None for c in table.columns if c.required and c.field},
            where,
            batch,
        )
        try:
            item = table.item(row)
        except Invalid as error:
            batch.problems.append(Problem(where, None, str(error)))
            continue
        if owner is None:
            continue
        key = record_key(table.kind, owner)
        if key not in batch.records.get(table.kind, {}):
            batch.add(table.kind, {**owner, **_empty_part(table)}, where)
        record = batch.records[table.kind][key]
        if table.part not in record:
            record.update(_empty_part(table))
        problem = _add_item(table, record, item)
        if problem:
            batch.problems.append(Problem(where, None, problem))
        ref = item.get("source") if isinstance(item, dict) else item
        if isinstance(ref, str):
            batch.item_where.setdefault((table.kind, key, table.part, ref), where)


def _add_item(table: Table, record: dict[str, Any], item: Any) -> str | None:
    if table.part == "names":
        language, text = item
        if text is None:
            return "name is empty"
        if language is None:
            record["aliases"] = sorted({*record["aliases"], text})
        elif record["names"].setdefault(language, text) != text:
            return f"two names in {language!r}"
        return None
    if item in record[table.part or ""]:
        return f"{item!r} is listed twice"
    record[table.part or ""] = sorted([*record[table.part or ""], item], key=_sort_key)
    return None


def _sort_key(item: Any) -> tuple[str, ...]:
    """Order a list's items as its field does: translations by language, identifiers by
    scheme and value (their first fields), keys as text."""
    return tuple(map(str, item.values())) if isinstance(item, dict) else (str(item),)


# Reading files.


def expand(paths: Iterable[Path], batch: Batch) -> list[Path]:
    """Return the files to import: each file given, and the CSV tables in each folder given."""
    files: list[Path] = []
    for path in paths:
        tables = sorted(path.glob("*.csv")) if path.is_dir() else [path]
        if not tables:
            batch.problems.append(Problem(str(path), None, "the folder holds no .csv table"))
        files += tables
    return files


def read_files(paths: Iterable[Path]) -> Batch:
    """Read every file of one import into one batch of records and problems."""
    batch = Batch()
    tables: dict[Table, list[tuple[str, dict[str, str]]]] = {}
    for path in expand(paths, batch):
        text = _read_text(path, batch)
        if text is None:
            continue
        if path.suffix.lower() == ".json":
            read_json(path, text, batch)
        elif path.suffix.lower() == ".csv":
            table, rows, problems = read_csv(path, text)
            batch.problems += problems
            if table in tables:
                batch.problems.append(Problem(path.name, None, "the same table is given twice"))
            elif table is not None:
                tables[table] = rows
        else:
            batch.problems.append(Problem(path.name, None, "not a .json or .csv file"))
    read_tables(tables, batch)
    return batch


def _read_text(path: Path, batch: Batch) -> str | None:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            batch.problems.append(Problem(path.name, None, "is larger than 512 MiB"))
            return None
        data = path.read_bytes()
    except OSError as error:
        batch.problems.append(Problem(str(path), None, f"cannot be read: {error.strerror}"))
        return None
    text = decode(data, path.name)
    if isinstance(text, Problem):
        batch.problems.append(text)
        return None
    return text
