"""New records go in by chunks: references within a kind may point to a later chunk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from archive.data import revisions
from archive.data.database import Database
from archive.data.models import District, Revision, Source
from archive.importing import importer
from tests.conftest import row_counts


def _import(db: Database, path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document), encoding="utf-8")
    importer.run(db, [path])


def _parents(db: Database, model: Any, column: str) -> dict[str, str | None]:
    parent = model.__table__.alias()
    reference = getattr(model, f"{column}_id")
    with db.session() as session:
        rows = session.execute(
            select(model.key, parent.c.key).outerjoin(parent, reference == parent.c.id)
        )
        return dict(rows.all())


def test_references_to_records_of_a_later_chunk(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(revisions, "INSERT_CHUNK", 2)
    district = {"kind": "municipal_okrug"}
    _import(
        db,
        tmp_path / "first.json",
        {
            "districts": [
                {**district, "key": "a", "name": "A", "parent": "e"},
                {**district, "key": "b", "name": "B", "parent": "a"},
                {**district, "key": "c", "name": "C", "parent": None},
                {**district, "key": "d", "name": "D", "parent": "c"},
                {**district, "key": "e", "name": "E", "parent": "d", "kind": "country"},
            ],
            "sources": [
                {"key": "s1", "kind": "news", "url": "https://example.org/1", "cites": "s3"},
                {"key": "s2", "kind": "news", "url": "https://example.org/2", "cites": "s1"},
                {"key": "s3", "kind": "news", "url": "https://example.org/3"},
            ],
        },
    )
    assert _parents(db, District, "parent") == {"a": "e", "b": "a", "c": None, "d": "c", "e": "d"}
    assert _parents(db, Source, "cites") == {"s1": "s3", "s2": "s1", "s3": None}
    # A stored record may be pointed at a new one that comes in a later chunk.
    _import(
        db,
        tmp_path / "second.json",
        {
            "districts": [
                {"key": "c", "parent": "g"},
                {**district, "key": "f", "name": "F", "parent": None},
                {**district, "key": "g", "name": "G", "parent": "f"},
            ]
        },
    )
    parents = _parents(db, District, "parent")
    assert (parents["c"], parents["g"], parents["f"]) == ("g", "f", None)


def _letters(count: int) -> dict[str, Any]:
    """Return an import document of ``count`` statements, each signed by one person inline."""
    return {
        "districts": [{"key": "ru", "name": "Russia", "kind": "country"}],
        "statements": [
            {
                "key": f"letter-{n}",
                "title": f"Letter {n}",
                "kind": "open_letter",
                "signatures": [{"person": {"name": f"Signer {n}"}, "district": "ru"}],
            }
            for n in range(count)
        ],
    }


@pytest.mark.slow
def test_an_import_killed_mid_write_leaves_no_hole_in_the_dataset_versions(
    app: Flask, db: Database, tmp_path: Path
) -> None:
    """On PostgreSQL the sequence kept the numbers of a killed transaction: 17,337 revisions
    came out as version 22,545. Revisions are numbered in the transaction now."""
    path = tmp_path / "letters.json"
    path.write_text(json.dumps(_letters(3000)), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "ARCHIVE_"))}
    env |= {
        "ARCHIVE_DATABASE_URL": app.config["DATABASE_URL"],
        "ARCHIVE_INDEX_DIR": app.config["INDEX_DIR"],
        "ARCHIVE_SECRET_KEY": "test",
        "PYTHONUNBUFFERED": "1",
    }
    archive = str(Path(sys.executable).parent / "archive")
    process = subprocess.Popen(
        [archive, "import", str(path)], env=env, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    # The progress bar appears once the first kind is written, in the open transaction.
    with process.stderr:
        started = process.stderr.read(9)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    assert "importing" in started, "the import did not start writing"
    assert row_counts(db)["dataset_version"] == 0  # nothing of it was committed
    again = subprocess.run(
        [archive, "import", str(path)], env=env, capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0, again.stderr
    with db.session() as session:
        numbers = list(session.scalars(select(Revision.id).order_by(Revision.id)))
    assert len(numbers) > 6000
    assert numbers == list(range(1, len(numbers) + 1))
