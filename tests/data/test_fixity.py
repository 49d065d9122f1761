"""The digest rule: canonical content, the chain, redaction; and digests given by writes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from archive.data import fixity
from archive.data.database import Database
from archive.data.models import Changeset, Revision
from archive.data.revisions import chain_head, dataset_version

# The chain head of the demo data, the same on SQLite and PostgreSQL (the tests run on both).
DEMO_CHAIN_HEAD = "2bbc53b30cc24913e566b004375369befd119af2b6dcf6dfccb649255433fc7f"


def test_canonical_form_is_sorted_compact_utf8_whatever_the_key_order() -> None:
    first = {"b": [1, {"y": None, "x": "Фёдор"}], "a": True}
    second = {"a": True, "b": [1, {"x": "Фёдор", "y": None}]}
    expected = '{"a":true,"b":[1,{"x":"Фёдор","y":null}]}'.encode()
    assert fixity.canonical(first) == fixity.canonical(second) == expected


def test_content_and_chain_digests_follow_the_documented_formula() -> None:
    content = fixity.content_digest(7, "import", "person", "anna", "insert", None, {"key": "anna"})
    canonical = (
        '{"action":"insert","actor":"import","after":{"key":"anna"},"before":null,"id":7,'
        '"record_key":"anna","record_type":"person"}'
    )
    assert content == hashlib.sha256(canonical.encode()).hexdigest()
    first = fixity.chain_digest(None, 1, content)
    assert first == hashlib.sha256(f"{'0' * 64}:1:{content}".encode()).hexdigest()
    assert fixity.chain_digest(first, 2, content) == (
        hashlib.sha256(f"{first}:2:{content}".encode()).hexdigest()
    )


def test_only_both_sides_blank_is_a_redaction() -> None:
    assert fixity.is_redacted(None, None)
    assert not fixity.is_redacted(None, {"key": "a"})
    assert not fixity.is_redacted({"key": "a"}, None)


def stored_chain(db: Database) -> list[Any]:
    """Return every revision with its changeset's actor, in id order."""
    with db.session() as session:
        query = select(Revision, Changeset.actor).join(Changeset).order_by(Revision.id)
        return list(session.execute(query).all())


def test_an_import_gives_every_revision_its_digests(demo: Flask, db: Database) -> None:
    rows = stored_chain(db)
    assert len(rows) > 10
    chain = None
    for revision, actor in rows:
        assert revision.content_digest == fixity.content_digest(
            revision.id,
            actor,
            revision.record_type,
            revision.record_key,
            revision.action,
            revision.before,
            revision.after,
        )
        chain = fixity.chain_digest(chain, revision.id, revision.content_digest)
        assert revision.chain_digest == chain
    with db.session() as session:
        assert chain_head(session) == chain
        assert dataset_version(session) == rows[-1][0].id


def test_the_demo_has_the_same_chain_head_on_every_backend(demo: Flask, db: Database) -> None:
    """The digests cover Python's values, not the database's JSON text or the time of the
    import, so the same import gives the same chain head on SQLite and PostgreSQL."""
    with db.session() as session:
        assert chain_head(session) == DEMO_CHAIN_HEAD


def test_a_later_write_continues_the_chain(
    demo: Flask, db: Database, runner: Any, tmp_path: Path
) -> None:
    with db.session() as session:
        head, version = chain_head(session), dataset_version(session)
    path = tmp_path / "more.json"
    district = {"key": "far-away", "name": "Far away", "kind": "country"}
    path.write_text(json.dumps({"districts": [district]}), encoding="utf-8")
    result = runner.invoke(args=["import", "--actor", "Second Curator", str(path)])
    assert result.exit_code == 0, result.output
    (newer,) = [revision for revision, _actor in stored_chain(db) if revision.id > version]
    assert newer.chain_digest == fixity.chain_digest(head, newer.id, newer.content_digest)
    assert newer.content_digest == fixity.content_digest(
        newer.id, "Second Curator", "district", "far-away", "insert", None, newer.after
    )


def test_an_empty_archive_has_no_chain_head(app: Flask, db: Database) -> None:
    with db.session() as session:
        assert chain_head(session) is None
