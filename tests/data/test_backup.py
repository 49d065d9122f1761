"""Backups with the whole history: every table from one snapshot, restored into an empty
database with every row, every revision and the dataset version; damaged files and databases
that hold records are refused with one line, writing nothing; SQLite and PostgreSQL backups
are the same bytes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from archive import create_app
from archive.data import backup, migrations
from archive.data.backup import MANIFEST, BackupRefused, check_backup, restore_backup
from archive.data.database import Base, Database
from archive.data.models import Person
from archive.data.revisions import dataset_version
from archive.web.context import get_db
from tests.conftest import SERVER, close, make_app, new_database

# Besides the demo data: a person with an identifier merged into another (a merged key with
# its record, a decision), and a district whose parent comes after it.
EXTRA: dict[str, Any] = {
    "districts": [
        {"key": "zz-a", "name": "Town A", "kind": "town", "parent": "zz-b"},
        {"key": "zz-b", "name": "Region B", "kind": "region"},
    ],
    "people": [
        {"key": "ivan-petrov", "name": "Ivan Petrov", "aliases": ["I. Petrov"]},
        {
            "key": "ivan-petrov-2",
            "name": "Иван Петров",
            "identifiers": [{"scheme": "wikidata", "value": "Q4115189"}],
        },
    ],
}


def invoke(runner: FlaskCliRunner, *args: str) -> Any:
    return runner.invoke(args=list(args))


@pytest.fixture
def filled(demo: Flask, runner: FlaskCliRunner, tmp_path: Path) -> Flask:
    """Return the app with the demo data, the extra records and a merge."""
    path = tmp_path / "extra.json"
    path.write_text(json.dumps(EXTRA, ensure_ascii=False), encoding="utf-8")
    assert invoke(runner, "import", str(path)).exit_code == 0
    result = invoke(runner, "people", "merge", "ivan-petrov", "ivan-petrov-2", "--reason", "Same")
    assert result.exit_code == 0, result.output
    return demo


@pytest.fixture
def target(tmp_path: Path, migrated_file: Path) -> Iterator[Flask]:
    """Return a second app on an empty, migrated database."""
    (tmp_path / "target").mkdir()
    app = make_app(tmp_path / "target", migrated_file)
    yield app
    close(app)


def every_row(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Return the rows of every table in primary-key order."""
    with database.session() as session:
        return {
            table.name: [
                tuple(row) for row in session.execute(select(table).order_by(*table.primary_key))
            ]
            for table in Base.metadata.sorted_tables
        }


def counts(database: Database) -> dict[str, int]:
    """Return the number of rows of every table."""
    with database.session() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def exported(runner: FlaskCliRunner, folder: Path) -> dict[str, bytes]:
    """Export with ``archive export``; return every file's bytes (the time of export aside)."""
    result = invoke(runner, "export", "--out", str(folder))
    assert result.exit_code == 0, result.output
    files = {path.name: path.read_bytes() for path in sorted(folder.iterdir())}
    package = json.loads(files.pop("datapackage.json"))
    package.pop("created")
    files["datapackage.json"] = json.dumps(package).encode()
    return files


def members(path: Path) -> dict[str, bytes]:
    """Return every member of a backup but its manifest, by name."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != MANIFEST}


def manifest(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        loaded: dict[str, Any] = json.loads(archive.read(MANIFEST))
    return loaded


def take_backup(runner: FlaskCliRunner, path: Path) -> None:
    result = invoke(runner, "backup", str(path))
    assert result.exit_code == 0, result.output


def restore(runner: FlaskCliRunner, path: Path) -> Any:
    return invoke(runner, "restore", str(path))


def test_restore_gives_back_every_row_the_version_the_export_and_search(
    filled: Flask, runner: FlaskCliRunner, target: Flask, tmp_path: Path
) -> None:
    path = tmp_path / "archive.zip"
    take_backup(runner, path)
    result = restore(target.test_cli_runner(), path)
    assert result.exit_code == 0, result.output
    source, restored = get_db(filled), get_db(target)
    assert every_row(restored) == every_row(source)
    with source.session() as one, restored.session() as other:
        assert dataset_version(other) == dataset_version(one) == manifest(path)["dataset_version"]
    assert counts(restored)["revisions"] == dataset_version(one) > 0
    assert exported(target.test_cli_runner(), tmp_path / "B") == exported(runner, tmp_path / "A")
    found = target.test_client().get("/search.json?q=treason").get_json()
    assert found["total"] == 2
    assert target.test_cli_runner().invoke(args=["check"]).exit_code == 0


def test_search_after_a_restore_holds_nothing_of_an_index_left_from_another_database(
    filled: Flask, runner: FlaskCliRunner, tmp_path: Path, migrated_file: Path
) -> None:
    path = tmp_path / "archive.zip"
    take_backup(runner, path)
    (tmp_path / "other").mkdir()
    other = make_app(tmp_path / "other", migrated_file)
    ghost = tmp_path / "ghost.json"
    letter = {"key": "ghost", "title": "Ghostly letter", "kind": "open_letter"}
    ghost.write_text(json.dumps({"statements": [letter]}), encoding="utf-8")
    try:
        assert invoke(other.test_cli_runner(), "import", str(ghost)).exit_code == 0
        assert other.test_client().get("/search.json?q=ghostly").get_json()["total"] == 1
    finally:
        close(other)
    (tmp_path / "target").mkdir()
    target = make_app(
        tmp_path / "target", migrated_file, INDEX_DIR=str(tmp_path / "other" / "index")
    )
    try:
        result = restore(target.test_cli_runner(), path)
        assert result.exit_code == 0, result.output
        assert target.test_client().get("/search.json?q=ghostly").get_json()["total"] == 0
        assert target.test_cli_runner().invoke(args=["check"]).exit_code == 0
    finally:
        close(target)


def test_the_restored_archive_takes_new_writes_and_backs_up_the_same_members(
    filled: Flask, runner: FlaskCliRunner, target: Flask, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    take_backup(runner, first)
    other = target.test_cli_runner()
    assert restore(other, first).exit_code == 0
    take_backup(other, second)
    assert members(second) == members(first)
    expected = {**manifest(first), "created_at": None}
    assert {**manifest(second), "created_at": None} == expected
    # Every key the database numbers itself goes on after the restored ones (sequences).
    path = tmp_path / "more.json"
    path.write_text(json.dumps({"people": [{"key": "new-one", "name": "New One"}]}), "utf-8")
    result = invoke(other, "import", str(path))
    assert result.exit_code == 0, result.output
    version = expected["dataset_version"]
    assert result.output.endswith(f"dataset version {version} -> {version + 1}\n")


def test_the_manifest_counts_and_hashes_every_table(
    filled: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "archive.zip"
    result = invoke(runner, "backup", str(path))
    assert f"to {path}: {len(Base.metadata.sorted_tables)} tables" in result.output
    described = manifest(path)
    assert (described["format"], described["format_version"]) == (backup.FORMAT, 1)
    assert [entry["table"] for entry in described["members"]] == [
        table.name for table in Base.metadata.sorted_tables
    ]
    assert {entry["table"]: entry["rows"] for entry in described["members"]} == counts(
        get_db(filled)
    )
    assert check_backup(path) == []
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist()[-1] == MANIFEST
    assert list(tmp_path.glob(".archive.zip.*")) == []


def test_a_backup_reads_one_snapshot_while_another_writer_commits(
    filled: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = get_db(filled)
    before = counts(database)
    write_table = backup._write_table
    written: list[str] = []

    def write_then_commit(session: Any, table: Any, member: Any) -> dict[str, Any]:
        if not written:  # another writer commits while the backup is under way
            with database.writing() as other:
                other.add(Person(key="late", name="Late Person"))
        written.append(table.name)
        return write_table(session, table, member)

    monkeypatch.setattr(backup, "_write_table", write_then_commit)
    path = tmp_path / "archive.zip"
    backup.write_backup(database, path)
    assert counts(database)["people"] == before["people"] + 1
    assert {entry["table"]: entry["rows"] for entry in manifest(path)["members"]} == before


def held(path: Path) -> tuple[int, dict[str, int]]:
    """Return a backup's dataset version and rows per table, having checked that its
    revisions are exactly versions 1..N."""
    described = manifest(path)
    revisions = members(path)["tables/revisions.jsonl"].splitlines()
    numbers = [json.loads(line)["id"] for line in revisions]
    assert numbers == list(range(1, described["dataset_version"] + 1))
    return described["dataset_version"], {e["table"]: e["rows"] for e in described["members"]}


@pytest.mark.slow
def test_backups_taken_while_another_process_imports_hold_before_or_after(
    demo: Flask, tmp_path: Path
) -> None:
    database = get_db(demo)
    with database.session() as session:
        first = (dataset_version(session), counts(database))
    path = tmp_path / "people.json"
    people = [{"key": f"person-{n}", "name": f"Person {n}"} for n in range(4000)]
    path.write_text(json.dumps({"people": people}), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "ARCHIVE_"))}
    env |= {
        "ARCHIVE_DATABASE_URL": demo.config["DATABASE_URL"],
        "ARCHIVE_INDEX_DIR": str(tmp_path / "other-index"),
        "ARCHIVE_SECRET_KEY": "test",
    }
    archive = str(Path(sys.executable).parent / "archive")
    process = subprocess.Popen([archive, "import", str(path)], env=env, stdout=subprocess.DEVNULL)
    states: list[tuple[int, dict[str, int]]] = []
    running = True
    while running:  # backups one after another, the last after the import ended
        running = process.poll() is None
        target = tmp_path / f"backup-{len(states)}.zip"
        backup.write_backup(database, target)
        states.append(held(target))
    assert process.wait(timeout=600) == 0
    with database.session() as session:
        last = (dataset_version(session), counts(database))
    assert last[1]["people"] == first[1]["people"] + 4000
    assert len(states) > 1
    assert (states[0], states[-1]) == (first, last)
    assert all(state in (first, last) for state in states)


def test_a_failed_backup_leaves_the_older_file_whole(
    filled: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "archive.zip"
    path.write_bytes(b"older")

    def fail(*_args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(backup, "_write_table", fail)
    with pytest.raises(OSError, match="disk full"):
        backup.write_backup(get_db(filled), path)
    assert [p.name for p in tmp_path.iterdir() if "archive.zip" in p.name] == ["archive.zip"]
    assert path.read_bytes() == b"older"


def test_backup_into_a_missing_folder_says_so_in_one_line(
    demo: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    result = invoke(runner, "backup", str(tmp_path / "no" / "archive.zip"))
    assert result.exit_code == 1
    assert "nothing was written" in result.output
    assert "Traceback" not in result.output


# Damage done to a sound backup, and what the refusal names.


def rewrite(path: Path, change: Callable[[str, bytes], bytes]) -> None:
    """Rewrite the zip ``path`` with every member passed through ``change(name, bytes)``."""
    with zipfile.ZipFile(path) as archive:
        contents = {name: change(name, archive.read(name)) for name in archive.namelist()}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


def edit_member(path: Path) -> None:
    rewrite(path, lambda name, data: data.replace(b"Kolpino", b"Kolpina"))


def drop_a_row(path: Path) -> None:
    def change(name: str, data: bytes) -> bytes:
        return data.split(b"\n", 1)[1] if name == "tables/revisions.jsonl" else data

    rewrite(path, change)


def flip_a_byte(path: Path) -> None:
    """Change one byte in the middle of the revisions' compressed data, in place."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("tables/revisions.jsonl")
    data = bytearray(path.read_bytes())
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size // 2
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def edit_with_manifest(path: Path, old: bytes, new: bytes) -> None:
    """Change a member and write the manifest to agree with it (a sound-looking backup)."""
    rewrite(path, lambda name, data: data.replace(old, new))
    described = manifest(path)
    with zipfile.ZipFile(path) as archive:
        for entry in described["members"]:
            data = archive.read(entry["member"])
            entry.update(bytes=len(data), rows=data.count(b"\n"))
            entry["sha256"] = hashlib.sha256(data).hexdigest()
    rewrite(
        path,
        lambda name, data: json.dumps(described).encode() if name == MANIFEST else data,
    )


def edit_manifest(path: Path, **changes: Any) -> None:
    """Change fields of the manifest, and nothing else."""

    def change(name: str, data: bytes) -> bytes:
        return json.dumps({**json.loads(data), **changes}).encode() if name == MANIFEST else data

    rewrite(path, change)


DAMAGE: dict[str, tuple[Callable[[Path], object], str]] = {
    "not a zip": (lambda path: path.write_bytes(b"not a zip"), "is not a readable zip file"),
    "truncated": (
        lambda path: path.write_bytes(path.read_bytes()[:2000]),
        "is not a readable zip file",
    ),
    "a member edited": (edit_member, "member tables/districts.jsonl has SHA-256"),
    "a byte changed in place": (flip_a_byte, "member tables/revisions.jsonl is damaged"),
    "a row dropped": (
        drop_a_row,
        "member tables/revisions.jsonl holds 16 rows, the manifest says 17",
    ),
    "no manifest": (
        lambda path: rewrite(path, lambda n, d: d if n != MANIFEST else b""),
        "manifest.json cannot be read",
    ),
    "another schema revision": (
        lambda path: edit_manifest(path, schema_revision="0004"),
        "written at schema revision 0004",
    ),
    "another format version": (
        lambda path: edit_manifest(path, format_version=2),
        "format version 2 is not known",
    ),
    "a manifest of another shape": (
        lambda path: edit_manifest(path, members=[{"table": "people", "columns": [1]}]),
        "manifest.json does not describe the backup's members",
    ),
    "a line that is not JSON": (
        lambda path: edit_with_manifest(path, b'"key":"ru/spb"}', b'"key":"ru/spb"'),
        "member tables/districts.jsonl, line",
    ),
    "a reference to nothing": (
        lambda path: edit_with_manifest(path, b'"parent_id":1,', b'"parent_id":999,'),
        "the backup's rows do not fit the database",
    ),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_backup_is_refused_in_one_line_writing_nothing(
    demo: Flask, runner: FlaskCliRunner, target: Flask, tmp_path: Path, damage: str
) -> None:
    path = tmp_path / "archive.zip"
    take_backup(runner, path)
    harm, said = DAMAGE[damage]
    harm(path)
    empty = counts(get_db(target))
    result = restore(target.test_cli_runner(), path)
    assert result.exit_code == 1
    assert said in result.output
    assert result.output.count("\n") == 1, result.output
    assert "nothing was written" in result.output
    assert counts(get_db(target)) == empty
    assert sum(empty.values()) == 0


def test_check_names_a_missing_and_an_extra_member(
    demo: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "archive.zip"
    take_backup(runner, path)
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    contents["tables/extra.jsonl"] = contents.pop("tables/people.jsonl")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    assert check_backup(path) == [
        "member tables/people.jsonl is in the manifest but not in the file",
        "member tables/extra.jsonl is in the file but not in the manifest",
    ]


def test_a_database_that_holds_records_is_refused(
    demo: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "archive.zip"
    take_backup(runner, path)
    database = get_db(demo)
    before = every_row(database)
    result = restore(runner, path)
    assert result.exit_code == 1
    assert "the database holds records" in result.output
    assert every_row(database) == before
    with pytest.raises(BackupRefused, match="holds records"):
        restore_backup(database, path)


def test_an_unmigrated_database_is_told_to_migrate(
    demo: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "archive.zip"
    take_backup(runner, path)
    database = Database(new_database(tmp_path, "unmigrated"))
    try:
        with pytest.raises(BackupRefused, match="run `archive migrate` first"):
            restore_backup(database, path)
    finally:
        database.dispose()


# SQLite to PostgreSQL and back.


def sqlite_app(folder: Path) -> Flask:
    """Return an app on a new SQLite database in ``folder``, migrated."""
    folder.mkdir()
    url = f"sqlite:///{folder / 'archive.sqlite3'}"
    database = Database(url)
    migrations.upgrade(database)
    database.dispose()
    settings = {"DATABASE_URL": url, "INDEX_DIR": str(folder / "index"), "SECRET_KEY": "test"}
    return create_app({"TESTING": True, **settings})


@pytest.mark.postgresql
def test_sqlite_to_postgresql_and_back_keeps_every_revision_and_the_same_bytes(
    tmp_path: Path, migrated_file: Path
) -> None:
    assert SERVER is not None
    first = sqlite_app(tmp_path / "first")
    (tmp_path / "server").mkdir()
    server = make_app(tmp_path / "server", migrated_file)
    last = sqlite_app(tmp_path / "last")
    apps = (first, server, last)
    try:
        runners = [app.test_cli_runner() for app in apps]
        assert invoke(runners[0], "demo").exit_code == 0
        path = tmp_path / "extra.json"
        path.write_text(json.dumps(EXTRA, ensure_ascii=False), encoding="utf-8")
        assert invoke(runners[0], "import", str(path)).exit_code == 0
        merged = invoke(runners[0], "people", "merge", "ivan-petrov", "ivan-petrov-2")
        assert merged.exit_code == 0
        backups = [tmp_path / f"{number}.zip" for number in range(3)]
        take_backup(runners[0], backups[0])
        for number in (1, 2):
            result = restore(runners[number], backups[number - 1])
            assert result.exit_code == 0, result.output
            take_backup(runners[number], backups[number])
        assert get_db(server).engine.dialect.name == "postgresql"
        assert members(backups[1]) == members(backups[0]) == members(backups[2])
        assert [manifest(path)["backend"] for path in backups] == ["sqlite", "postgresql", "sqlite"]
        rows = [every_row(get_db(app)) for app in apps]
        assert rows[0]["revisions"] == rows[1]["revisions"] == rows[2]["revisions"]
        assert rows[0] == rows[1] == rows[2]
        exports = [exported(runner, tmp_path / f"export-{n}") for n, runner in enumerate(runners)]
        assert exports[0] == exports[1] == exports[2]
    finally:
        for app in apps:
            close(app)
