"""Backups with the whole history: every table, revisions and changesets included, read from
one snapshot into one zip file, and restored into an empty database with the same keys.

The file holds one member per table (``tables/<name>.jsonl``: JSON Lines, one row a line as
an object of column to value, rows in primary-key order; datetimes in ISO 8601, JSON columns
as JSON) and ``manifest.json`` last: the format and its version, the schema revision, the
dataset version, when it was written, and for every member its table, columns, row count,
byte size and SHA-256. Nothing in it depends on the backend, so the same data gives the same
members on SQLite and on PostgreSQL, and a backup of one restores into the other.

The tables are those of ``Base.metadata`` (every model), so a table or column added by a
migration is backed up without a change here; a backup restores only into a database at the
schema revision it was written at.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from alembic.migration import MigrationContext
from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    Time,
    bindparam,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from archive.data import migrations
from archive.data.batches import batched
from archive.data.database import Base, Database
from archive.data.revisions import dataset_version

FORMAT = "dissent-archive-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Rows fetched from a cursor, and inserted by one statement, at a time.
ROWS_AT_ONCE = 1000
WRITE_AT_ONCE = 1 << 20  # bytes

Row = dict[str, Any]


class BackupRefused(Exception):
    """A backup that cannot be restored here, said in one sentence; nothing was written."""


@dataclass(frozen=True)
class Written:
    """What a backup holds: its path, dataset version, rows per table and size in bytes."""

    path: Path
    dataset_version: int
    rows: dict[str, int]
    size: int


def member_of(table: Table) -> str:
    """Return the name of a table's member in the zip file."""
    return f"tables/{table.name}.jsonl"


# Writing


def write_backup(database: Database, path: Path) -> Written:
    """Write every table of ``database``, read from one snapshot, with its manifest, to the
    zip file ``path``; return what it holds.

    Rows are streamed from the database to the file, never a whole table in memory. The file
    is written beside ``path`` and renamed at the end, so a failed backup leaves nothing (and
    an older file at ``path`` stays whole). Raises OSError when the file cannot be written.
    """
    path = Path(path)
    created = datetime.now(UTC).replace(microsecond=0)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            manifest = _write_zip(database, out, created)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    rows = {entry["table"]: entry["rows"] for entry in manifest["members"]}
    return Written(path, manifest["dataset_version"], rows, path.stat().st_size)


def _write_zip(database: Database, out: IO[bytes], created: datetime) -> dict[str, Any]:
    """Write the members and the manifest into ``out``; return the manifest."""
    stamp = created.timetuple()[:6]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with database.snapshot() as session:
            manifest: dict[str, Any] = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "schema_revision": MigrationContext.configure(
                    session.connection()
                ).get_current_revision(),
                "dataset_version": dataset_version(session),
                "created_at": created.isoformat().replace("+00:00", "Z"),
                "backend": database.engine.dialect.name,
                "members": [],
            }
            for table in Base.metadata.sorted_tables:
                info = zipfile.ZipInfo(member_of(table), date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(info, "w", force_zip64=True) as member:
                    entry = _write_table(session, table, member)
                manifest["members"].append(entry)
        info = zipfile.ZipInfo(MANIFEST, date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def _write_table(session: Session, table: Table, member: IO[bytes]) -> dict[str, Any]:
    """Write a table's rows in primary-key order as JSON Lines into ``member``; return its
    manifest entry (table, member, columns, rows, bytes, sha256)."""
    digest = hashlib.sha256()
    size = count = 0
    encoders = [(column.name, _encoder(column)) for column in table.columns]
    query = (
        select(table).order_by(*table.primary_key.columns).execution_options(yield_per=ROWS_AT_ONCE)
    )
    # Lines go to the zip a megabyte at a time: one compressor call per line costs more than
    # the compression itself.
    lines: list[bytes] = []
    buffered = 0
    for row in session.execute(query):
        values = row._mapping
        line = _dumps({name: encode(values[name]) for name, encode in encoders})
        lines.append(line)
        buffered += len(line)
        count += 1
        if buffered >= WRITE_AT_ONCE:
            size += _flush(lines, member, digest)
            buffered = 0
    size += _flush(lines, member, digest)
    return {
        "table": table.name,
        "member": member_of(table),
        "columns": [column.name for column in table.columns],
        "rows": count,
        "bytes": size,
        "sha256": digest.hexdigest(),
    }


def _flush(lines: list[bytes], member: IO[bytes], digest: Any) -> int:
    """Write the lines into the member and the digest, empty the list; return their size."""
    chunk = b"".join(lines)
    member.write(chunk)
    digest.update(chunk)
    lines.clear()
    return len(chunk)


def _dumps(row: Row) -> bytes:
    return (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _encoder(column: Column[Any]) -> Callable[[Any], Any]:
    """Return how a column's value becomes JSON (the same on every backend)."""
    kind = column.type
    if isinstance(kind, DateTime | Date | Time):
        return lambda value: None if value is None else value.isoformat()
    if isinstance(kind, LargeBinary):
        return lambda value: None if value is None else base64.b64encode(value).decode("ascii")
    if isinstance(kind, Numeric) and kind.asdecimal:
        return lambda value: None if value is None else str(value)
    return lambda value: value


def _decoder(column: Column[Any]) -> Callable[[Any], Any]:
    """Return how a column's value is read back from JSON (the inverse of :func:`_encoder`)."""
    kind = column.type
    parse: Callable[[Any], Any] | None = None
    if isinstance(kind, DateTime):
        parse = datetime.fromisoformat
    elif isinstance(kind, Date):
        parse = date.fromisoformat
    elif isinstance(kind, Time):
        parse = time.fromisoformat
    elif isinstance(kind, LargeBinary):
        parse = base64.b64decode
    elif isinstance(kind, Numeric) and kind.asdecimal:
        parse = Decimal
    if parse is None or isinstance(kind, JSON):
        return lambda value: value
    found = parse
    return lambda value: None if value is None else found(value)


# Checking


def check_backup(path: Path) -> list[str]:
    """Return every problem of the backup file ``path``, one sentence each (none when it is
    sound): not a readable zip, no or a malformed manifest, an unknown format version, a
    member missing, extra or damaged, or one whose size, row count or SHA-256 differs from the
    manifest's. Reads every member once; never raises for a bad file."""
    try:
        with zipfile.ZipFile(path) as archive:
            return _problems(archive)
    except FileNotFoundError:
        return [f"{path} does not exist"]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as error:
        return [f"{path} is not a readable zip file ({error})"]


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    """Return the manifest of an open backup; raise BackupRefused when it is missing, not
    JSON, of another format or version, or does not describe its members."""
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise BackupRefused(f"the file has no {MANIFEST}: it is not an archive backup") from None
    except (ValueError, zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
        raise BackupRefused(f"{MANIFEST} cannot be read: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused(f"{MANIFEST} is not the manifest of an archive backup ({FORMAT})")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupRefused(
            f"the backup's format version {manifest.get('format_version')!r} is not known "
            f"(this archive reads version {FORMAT_VERSION})"
        )
    members = manifest.get("members")
    fields = {"table": str, "member": str, "columns": list, "rows": int, "bytes": int}
    if not (
        isinstance(members, list)
        and all(
            isinstance(entry, dict)
            and all(isinstance(entry.get(name), kind) for name, kind in fields.items())
            and isinstance(entry.get("sha256"), str)
            and all(isinstance(column, str) for column in entry["columns"])
            for entry in members
        )
        and isinstance(manifest.get("dataset_version"), int)
        and isinstance(manifest.get("schema_revision"), str | None)
    ):
        raise BackupRefused(f"{MANIFEST} does not describe the backup's members")
    return manifest


def _problems(archive: zipfile.ZipFile) -> list[str]:
    try:
        manifest = read_manifest(archive)
    except BackupRefused as refused:
        return [str(refused)]
    listed = {entry["member"]: entry for entry in manifest["members"]}
    present = set(archive.namelist()) - {MANIFEST}
    problems = [
        f"member {name} is in the manifest but not in the file"
        for name in listed
        if name not in present
    ]
    problems += [
        f"member {name} is in the file but not in the manifest"
        for name in sorted(present - set(listed))
    ]
    for name, entry in listed.items():
        if name in present:
            problems += _member_problems(archive, entry)
    return problems


def _member_problems(archive: zipfile.ZipFile, entry: dict[str, Any]) -> list[str]:
    """Return what is wrong with one member against its manifest entry."""
    name = entry["member"]
    digest = hashlib.sha256()
    size = rows = 0
    try:
        with archive.open(name) as member:
            while chunk := member.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
                rows += chunk.count(b"\n")
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
        return [f"member {name} is damaged ({error})"]
    problems = []
    if digest.hexdigest() != entry["sha256"]:
        problems.append(
            f"member {name} has SHA-256 {digest.hexdigest()}, the manifest says {entry['sha256']}"
        )
    if size != entry["bytes"]:
        problems.append(f"member {name} holds {size} bytes, the manifest says {entry['bytes']}")
    if rows != entry["rows"]:
        problems.append(f"member {name} holds {rows} rows, the manifest says {entry['rows']}")
    return problems


# Restoring


def restore_backup(database: Database, path: Path) -> int:
    """Restore the backup ``path`` into the empty ``database``: every row of every table with
    its primary key, in one write transaction; return the dataset version, the backup's.

    Raises BackupRefused, having written nothing, when the backup is not sound
    (:func:`check_backup`), was written at another schema revision than the database's, does
    not fit the database's tables, or when the database holds any record. On PostgreSQL each
    table's sequence is set past its largest id. The database's after-commit callbacks run
    once the rows are in (the search index catches up, or rebuilds when that is quicker); an
    index left from another database is the caller's to rebuild.
    """
    problems = check_backup(path)
    if problems:
        raise BackupRefused(f"the backup cannot be restored: {'; '.join(problems)}")
    with zipfile.ZipFile(path) as archive:
        manifest = read_manifest(archive)
        _require_revision(database, manifest["schema_revision"])
        entries = _entries(manifest)
        try:
            with database.writing() as session:
                _require_empty(session)
                for table in Base.metadata.sorted_tables:
                    _restore_table(session, archive, table, entries[table.name])
                if database.engine.dialect.name == "postgresql":
                    _advance_sequences(session)
                version = dataset_version(session)
                if version != manifest["dataset_version"]:
                    raise BackupRefused(
                        f"the restored rows are at dataset version {version}, the manifest "
                        f"says {manifest['dataset_version']}"
                    )
        except StatementError as error:
            reason = str(error.orig or error).strip().splitlines()[0]
            raise BackupRefused(f"the backup's rows do not fit the database: {reason}") from None
    return version


def _require_revision(database: Database, revision: str | None) -> None:
    """Refuse a backup written at another schema revision than the database's."""
    current = migrations.current_revision(database)
    head = migrations.head_revision()
    if current == revision:
        return
    if revision == head:
        raise BackupRefused(
            f"the database is at schema revision {current or 'none (not migrated)'}, the "
            f"backup at {revision}: run `archive migrate` first"
        )
    raise BackupRefused(
        f"the backup was written at schema revision {revision}, and this archive's newest is "
        f"{head}: restore it with the archive's version of that revision, then migrate"
    )


def _entries(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the manifest's entries by table; refuse one whose tables or columns are not the
    database's."""
    entries = {entry["table"]: entry for entry in manifest["members"]}
    tables = {table.name: table for table in Base.metadata.sorted_tables}
    if set(entries) != set(tables):
        differ = sorted(set(entries) ^ set(tables))
        raise BackupRefused(f"the backup's tables are not the database's: {', '.join(differ)}")
    for name, table in tables.items():
        columns = [column.name for column in table.columns]
        if sorted(entries[name]["columns"]) != sorted(columns):
            raise BackupRefused(f"the backup's columns of table {name} are not the database's")
        if entries[name]["member"] != member_of(table):
            raise BackupRefused(f"the backup's member of table {name} is misnamed")
    return entries


def _require_empty(session: Session) -> None:
    """Refuse a database that holds any row in any table (alembic's own aside)."""
    for table in Base.metadata.sorted_tables:
        if session.scalar(select(literal(1)).select_from(table).limit(1)) is not None:
            raise BackupRefused(
                f"the database holds records (table {table.name} is not empty): restore only "
                "into a new database, just migrated"
            )


def _restore_table(
    session: Session, archive: zipfile.ZipFile, table: Table, entry: dict[str, Any]
) -> None:
    """Insert a member's rows, in batches; references of a table to itself are set after all
    its rows are in (a row may refer to one with a larger key)."""
    own = [
        fk.parent.name
        for fk in table.foreign_keys
        if fk.column.table is table and fk.parent.nullable
    ]
    statement = insert(table)
    for batch in batched(_rows(archive, table, entry["member"]), ROWS_AT_ONCE):
        session.execute(statement, [{**row, **dict.fromkeys(own)} for row in batch])
    if not own:
        return
    keys = [column.name for column in table.primary_key.columns]
    for name in own:
        setting = (
            update(table)
            .where(*(table.c[key] == bindparam(f"backup_key_{key}") for key in keys))
            .values({name: bindparam("backup_reference")})
        )
        referring = (
            {**{f"backup_key_{key}": row[key] for key in keys}, "backup_reference": row[name]}
            for row in _rows(archive, table, entry["member"])
            if row[name] is not None
        )
        for batch in batched(referring, ROWS_AT_ONCE):
            session.execute(setting, batch)


def _rows(archive: zipfile.ZipFile, table: Table, name: str) -> Iterator[Row]:
    """Yield a member's rows as values for the table's columns; raise BackupRefused for a
    line that is not a JSON object of exactly those columns, or a value that does not read."""
    decoders = {column.name: _decoder(column) for column in table.columns}
    with archive.open(name) as member:
        for number, line in enumerate(member, 1):
            try:
                row = json.loads(line)
                if not isinstance(row, dict) or set(row) != set(decoders):
                    raise ValueError("not an object of the table's columns")
                yield {column: decode(row[column]) for column, decode in decoders.items()}
            except (ValueError, TypeError) as error:
                raise BackupRefused(f"member {name}, line {number}: {error}") from None


def _advance_sequences(session: Session) -> None:
    """Set the sequence of every table with one integer key past its largest key, so that
    the next row the database numbers does not collide with a restored one."""
    for table in Base.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        following = select(func.coalesce(func.max(keys[0]), 0) + 1).scalar_subquery()
        sequence = func.pg_get_serial_sequence(table.name, keys[0].name)
        session.execute(select(func.setval(sequence, following, False)))
