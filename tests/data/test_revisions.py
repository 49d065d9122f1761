"""New records go in by chunks: references within a kind may point to a later chunk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from archive.data import revisions
from archive.data.database import Database
from archive.data.models import District, Source
from archive.importing import importer


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
