"""``archive verify``: captures and the revision log checked, each run recorded, each failure
named in one line, exit 1 on any."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select, text

from archive.data import migrations, verification
from archive.data.database import Database
from archive.data.models import FixityCheck, Revision
from archive.data.revisions import chain_head, dataset_version
from archive.web.context import get_db
from tests.conftest import close, make_app, new_database

INKL = "inkl-mirror-2022-09-putin-quit"


def verify(runner: FlaskCliRunner, *args: str) -> Any:
    """Run ``archive verify``; fail the test on a traceback."""
    result = runner.invoke(args=["verify", *args])
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result


def checks(db: Database) -> list[FixityCheck]:
    """Return the recorded fixity checks, oldest first."""
    with db.session() as session:
        return list(session.scalars(select(FixityCheck).order_by(FixityCheck.id)))


def execute(db: Database, sql: str, **values: Any) -> None:
    """Change the database behind the archive's back."""
    with db.writing() as session:
        session.execute(text(sql), values)


def revision(db: Database, number: int) -> tuple[str, str]:
    """Return the record type and key of a revision."""
    with db.session() as session:
        row = session.execute(
            select(Revision.record_type, Revision.record_key).where(Revision.id == number)
        ).one()
        return row.record_type, row.record_key


def test_clean_data_verifies_and_the_run_is_recorded(
    demo: Flask, runner: FlaskCliRunner, db: Database
) -> None:
    with db.session() as session:
        version, head = dataset_version(session), chain_head(session)
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"fixity check 1: 1 capture(s) and {version} revision(s) checked up to dataset version "
        f"{version}, chain head {head}: all match\n"
    )
    (check,) = checks(db)
    assert (check.captures, check.revisions, check.head_revision) == (1, version, version)
    assert (check.chain_head, check.failures, check.failed_captures, check.ok) == (
        head,
        [],
        [],
        True,
    )
    assert check.started_at <= check.finished_at
    again = json.loads(verify(runner, "--json").output)
    assert again == {
        "check": 2,
        "started": again["started"],
        "finished": again["finished"],
        "captures": 1,
        "revisions": version,
        "redacted": 0,
        "dataset_version": version,
        "chain_head": head,
        "ok": True,
        "failures": [],
    }
    assert len(checks(db)) == 2


def test_an_empty_archive_verifies(runner: FlaskCliRunner, db: Database) -> None:
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert result.output == "fixity check 1: 0 capture(s) and 0 revision(s) checked: all match\n"


def test_a_changed_capture_is_named(demo: Flask, runner: FlaskCliRunner, db: Database) -> None:
    execute(db, "UPDATE sources SET capture_text = 'Praise.' WHERE key = :key", key=INKL)
    result = verify(runner)
    assert result.exit_code == 1
    assert f"failed: source {INKL}: its captured text does not match its SHA-256" in result.output
    assert "1 failure(s)" in result.output
    (check,) = checks(db)
    assert (check.ok, check.failed_captures, len(check.failures)) == (False, [INKL], 1)


def test_a_changed_revision_is_named(demo: Flask, runner: FlaskCliRunner, db: Database) -> None:
    kind, key = revision(db, 5)
    execute(db, """UPDATE revisions SET "after" = '{"key": "forged"}' WHERE id = 5""")
    result = verify(runner)
    assert result.exit_code == 1
    failures = [line for line in result.output.splitlines() if line.startswith("failed: ")]
    assert failures == [
        f"failed: revision 5 ({kind} {key}): its content does not match its content digest"
    ]


def test_a_changed_actor_is_named(demo: Flask, runner: FlaskCliRunner, db: Database) -> None:
    execute(db, "UPDATE changesets SET actor = 'someone else'")
    result = verify(runner)
    assert result.exit_code == 1
    assert "failed: revision 1 (" in result.output


def test_a_revision_rewritten_with_its_content_digest_breaks_the_chain(
    demo: Flask, runner: FlaskCliRunner, db: Database
) -> None:
    """Whoever recomputes a changed revision's content digest still breaks its chain link."""
    kind, key = revision(db, 5)
    execute(db, "UPDATE revisions SET content_digest = :forged WHERE id = 5", forged="ab" * 32)
    result = verify(runner)
    failures = [line for line in result.output.splitlines() if line.startswith("failed: ")]
    assert failures == [
        f"failed: revision 5 ({kind} {key}): its content does not match its content digest",
        f"failed: revision 5 ({kind} {key}): its chain digest does not follow from revision 4's",
    ]
    assert result.exit_code == 1


def test_a_deleted_revision_is_named(demo: Flask, runner: FlaskCliRunner, db: Database) -> None:
    kind, key = revision(db, 6)
    execute(db, "DELETE FROM revisions WHERE id = 5")
    result = verify(runner)
    assert result.exit_code == 1
    assert (
        f"failed: revision 6 ({kind} {key}): its chain digest does not follow from revision "
        "4's (revision 5 is missing)\n"
    ) in result.output


def test_the_first_revision_deleted_is_named(
    demo: Flask, runner: FlaskCliRunner, db: Database
) -> None:
    execute(db, "DELETE FROM revisions WHERE id IN (1, 2)")
    result = verify(runner)
    assert result.exit_code == 1
    assert "from the start of the chain (revisions 1 to 2 are missing)" in result.output


def test_revisions_cut_off_the_end_since_the_last_check_are_found(
    demo: Flask, runner: FlaskCliRunner, db: Database
) -> None:
    assert verify(runner).exit_code == 0
    with db.session() as session:
        newest = dataset_version(session)
    execute(db, "DELETE FROM revisions WHERE id = :newest", newest=newest)
    result = verify(runner)
    assert result.exit_code == 1
    assert f"failed: revision {newest}, the newest at the check of " in result.output
    assert "is missing: the log was cut" in result.output


def test_a_redacted_revision_still_verifies(
    demo: Flask, runner: FlaskCliRunner, db: Database
) -> None:
    with db.session() as session:
        head = chain_head(session)
    with db.writing() as session:
        verification.redact(session, 5)
    with db.session() as session:
        redacted = session.get(Revision, 5)
        assert redacted is not None and (redacted.before, redacted.after) == (None, None)
        assert chain_head(session) == head
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert " revision(s) (1 redacted) checked " in result.output


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        pytest.param(  # PostgreSQL refuses text that is not JSON in a json column
            """UPDATE revisions SET "after" = '{not json' WHERE id = 3""",
            "its after is not JSON",
            marks=pytest.mark.sqlite,
        ),
        ("UPDATE revisions SET chain_digest = 'ж' WHERE id = 3", "its chain digest does not"),
        ("UPDATE sources SET capture_sha256 = NULL WHERE key = :key", "has no SHA-256 stored"),
    ],
    ids=["json", "digest", "no-sha256"],
)
def test_damaged_data_is_a_failure_not_a_traceback(
    demo: Flask, runner: FlaskCliRunner, db: Database, sql: str, said: str
) -> None:
    execute(db, sql, key=INKL)
    result = verify(runner)
    assert result.exit_code == 1
    assert said in result.output


@pytest.mark.sqlite
def test_a_run_that_cannot_be_recorded_still_says_what_it_found(
    tmp_path: Path, migrated_file: Path
) -> None:
    app = make_app(tmp_path, migrated_file, BUSY_TIMEOUT=0.2)
    try:
        with get_db(app).writing() as other:  # another writer holds the database
            other.connection()
            result = verify(app.test_cli_runner())
        assert result.exit_code == 1
        assert result.output == (
            "failed: the run could not be recorded: database is locked\n"
            "fixity check (not recorded): 0 capture(s) and 0 revision(s) checked: 1 failure(s)\n"
        )
    finally:
        close(app)


def test_an_unmigrated_database_is_refused_in_one_line(tmp_path: Path) -> None:
    from archive import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": new_database(tmp_path, "empty"),
            "INDEX_DIR": str(tmp_path / "index"),
        }
    )
    try:
        result = verify(app.test_cli_runner())
        assert result.exit_code == 1
        assert "archive migrate" in result.output
    finally:
        close(app)


def test_the_migration_gives_stored_revisions_the_digests_a_write_gives(
    demo: Flask, db: Database, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    """0006 fills the digests of revisions written before it, in id order and in batches,
    exactly as the writer gives them: the chain head comes out the same."""
    districts = [{"key": f"d{n}", "name": f"D {n}", "kind": "country"} for n in range(2100)]
    path = tmp_path / "districts.json"
    path.write_text(json.dumps({"districts": districts}), encoding="utf-8")
    assert runner.invoke(args=["import", str(path)]).exit_code == 0
    with db.session() as session:
        head, version = chain_head(session), dataset_version(session)
    assert version > 2000  # more than one batch of the migration
    migrations.downgrade(db, "0005")
    migrations.upgrade(db)
    with db.session() as session:
        assert chain_head(session) == head
    assert verify(runner).exit_code == 0


def test_the_migration_runs_on_an_empty_archive_too(tmp_path: Path) -> None:
    database = Database(new_database(tmp_path, "empty"))
    migrations.upgrade(database, "0005")
    migrations.upgrade(database)
    migrations.check(database)
    database.dispose()


def test_a_backup_is_checked_against_its_manifest_and_a_changed_member_is_named(
    demo: Flask, runner: FlaskCliRunner, db: Database, tmp_path: Path
) -> None:
    sound = tmp_path / "archive.zip"
    taken = runner.invoke(args=["backup", str(sound)])
    assert taken.exit_code == 0, taken.output
    assert verify(runner, "--backup", str(sound)).exit_code == 0
    # One member rewritten with a changed row, the manifest left as it was.
    changed = tmp_path / "changed.zip"
    with zipfile.ZipFile(sound) as source, zipfile.ZipFile(changed, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "tables/people.jsonl":
                data, edited = data.replace(b"Ksenia", b"Ksenya", 1), data
                assert data != edited
            target.writestr(item, data)
    result = verify(runner, "--backup", str(sound), "--backup", str(changed))
    assert result.exit_code == 1
    failures = [line for line in result.output.splitlines() if line.startswith("failed:")]
    assert len(failures) == 1, result.output
    assert f"backup {changed}" in failures[0] and "tables/people.jsonl" in failures[0]
    assert checks(db)[-1].ok is False
    assert checks(db)[-1].failures == [failures[0].removeprefix("failed: ")]
