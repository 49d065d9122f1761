"""text compares bytewise on PostgreSQL

Every text column gets the "C" collation on PostgreSQL, so that keys, lists and ``lower``
behave as on SQLite (whose text is bytewise) whatever the locale of the database. SQLite's
schema is unchanged.

Revision 0002, after 0001; written 2026-11-27.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"

# Every text column: table -> column -> length (None for TEXT).
COLUMNS: dict[str, dict[str, int | None]] = {
    "changesets": {"actor": 300, "summary": None},
    "districts": {"key": 200, "name": 300, "kind": 32},
    "people": {"key": 200, "name": 300, "description": None},
    "sources": {
        "key": 200,
        "url": 2000,
        "kind": 32,
        "publisher": 300,
        "author": 300,
        "title": None,
        "published": 10,
        "accessed": 10,
        "archive_url": 2000,
        "capture_text": None,
        "capture_sha256": 64,
    },
    "statements": {
        "key": 200,
        "title": None,
        "kind": 32,
        "date": 10,
        "language": 35,
        "text": None,
        "addressee": 300,
        "summary": None,
    },
    "district_names": {"name": 300, "language": 35},
    "events": {"key": 200, "date": 10, "kind": 32, "description": None},
    "person_names": {"name": 300, "language": 35},
    "revisions": {"record_type": 32, "record_key": 420, "action": 8},
    "signatures": {"role": 300, "stance": 32, "withdrawn": 10, "note": None},
    "statement_demands": {"demand": 64},
    "translations": {"language": 35, "text": None, "translator": 300},
}


def _collate(collation: str) -> None:
    """Give every text column ``collation`` (one statement per table) on PostgreSQL."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        changes = ", ".join(
            f'ALTER COLUMN "{column}" TYPE {f"VARCHAR({length})" if length else "TEXT"}'
            f' COLLATE "{collation}"'
            for column, length in columns.items()
        )
        op.execute(f'ALTER TABLE "{table}" {changes}')


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")
