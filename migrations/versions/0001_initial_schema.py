"""initial schema

Each table is written in one line of columns, ``name:type`` with ``?`` where NULL is allowed
(types: ``int``, ``text``, ``dt`` for a date and time, ``json``, ``sN`` for a string of at most
N characters), then its references, unique column groups and indexed columns. Constraint and
index names follow the models' naming convention.

Revision 0001, the first; written 2026-11-26.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None

TYPES = {"int": sa.Integer, "text": sa.Text, "dt": sa.DateTime, "json": sa.JSON}


def _column(spec: str) -> sa.Column[object]:
    """Return the column of one ``name:type`` word (``?`` at the end: NULL allowed)."""
    name, kind = spec.rstrip("?").split(":")
    type_ = sa.String(length=int(kind[1:])) if kind[0] == "s" else TYPES[kind]()
    return sa.Column(name, type_, nullable=spec.endswith("?"))


def _table(
    name: str,
    columns: str,
    refs: str = "",
    unique: str = "",
    indexed: str = "",
    key: str = "id",
) -> None:
    """Create a table: its columns; its references (``column>table``, ``!`` after the table for
    ON DELETE CASCADE) to that table's ``id``; its primary ``key`` and ``unique`` column groups
    (columns joined by ``,``); then an index on each ``indexed`` column."""
    constraints: list[sa.Constraint] = []
    for ref in refs.split():
        column, target = ref.rstrip("!").split(">")
        cascade = "CASCADE" if ref.endswith("!") else None
        fk_name = op.f(f"fk_{name}_{column}_{target}")
        constraints.append(
            sa.ForeignKeyConstraint([column], [f"{target}.id"], name=fk_name, ondelete=cascade)
        )
    constraints.append(sa.PrimaryKeyConstraint(*key.split(","), name=op.f(f"pk_{name}")))
    for group in unique.split():
        group_name = op.f(f"uq_{name}_{group.replace(',', '_')}")
        constraints.append(sa.UniqueConstraint(*group.split(","), name=group_name))
    op.create_table(name, *map(_column, columns.split()), *constraints)
    if indexed:
        with op.batch_alter_table(name, schema=None) as batch_op:
            for column in indexed.split():
                batch_op.create_index(batch_op.f(f"ix_{name}_{column}"), [column], unique=False)


# The tables in the order they are created (a table after those it refers to).
TABLES = (
    "changesets",
    "districts",
    "people",
    "sources",
    "statements",
    "district_names",
    "events",
    "person_names",
    "revisions",
    "signatures",
    "statement_demands",
    "statement_districts",
    "statement_sources",
    "translations",
    "event_people",
    "event_sources",
    "signature_sources",
)


def upgrade() -> None:
    _table("changesets", "id:int created_at:dt actor:s300 summary:text?")
    _table(
        "districts",
        "id:int key:s200 name:s300 kind:s32 parent_id:int?",
        refs="parent_id>districts",
        unique="key",
        indexed="parent_id",
    )
    _table("people", "id:int key:s200 name:s300 description:text?", unique="key")
    _table(
        "sources",
        "id:int key:s200 url:s2000? kind:s32 publisher:s300? author:s300? title:text? "
        "published:s10? accessed:s10? archive_url:s2000? cites_id:int? capture_text:text? "
        "capture_sha256:s64?",
        refs="cites_id>sources",
        unique="key url",
        indexed="capture_sha256 cites_id",
    )
    _table(
        "statements",
        "id:int key:s200 title:text kind:s32 date:s10? language:s35? text:text? addressee:s300? "
        "reported_signatories:int? summary:text?",
        unique="key",
        indexed="date",
    )
    for owner, table in (("district", "districts"), ("person", "people")):
        _table(
            f"{owner}_names",
            f"id:int {owner}_id:int name:s300 language:s35?",
            refs=f"{owner}_id>{table}!",
            indexed=f"{owner}_id",
        )
    _table(
        "events",
        "id:int key:s200 date:s10? kind:s32 statement_id:int? description:text?",
        refs="statement_id>statements",
        unique="key",
        indexed="date statement_id",
    )
    _table(
        "revisions",
        "id:int changeset_id:int record_type:s32 record_key:s420 action:s8 before:json? "
        "after:json?",
        refs="changeset_id>changesets",
        indexed="changeset_id",
    )
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.create_index("ix_revisions_record", ["record_type", "record_key"], unique=False)
    _table(
        "signatures",
        "id:int statement_id:int person_id:int position:int role:s300? district_id:int? "
        "stance:s32 withdrawn:s10? withdrawal_source_id:int? note:text?",
        refs="district_id>districts person_id>people statement_id>statements! "
        "withdrawal_source_id>sources",
        unique="statement_id,person_id",
        indexed="district_id person_id",
    )
    _table(
        "statement_demands",
        "id:int statement_id:int position:int demand:s64",
        refs="statement_id>statements!",
        unique="statement_id,demand",
        indexed="demand",
    )
    _table(
        "translations",
        "id:int statement_id:int language:s35 text:text translator:s300? source_id:int?",
        refs="source_id>sources statement_id>statements!",
        unique="statement_id,language",
        indexed="source_id",
    )
    _links("statement_districts", "statement_id>statements", "district_id>districts")
    _links("statement_sources", "statement_id>statements", "source_id>sources")
    _links("event_people", "event_id>events", "person_id>people")
    _links("event_sources", "event_id>events", "source_id>sources")
    _links("signature_sources", "signature_id>signatures", "source_id>sources")


def _links(name: str, owner: str, other: str) -> None:
    """Create a link table between an owner's rows and other rows, each ``column>table``: both
    columns the primary key, the other's indexed, a link deleted with its owner's row."""
    owner_column, other_column = owner.split(">")[0], other.split(">")[0]
    refs = " ".join(sorted([f"{owner}!", other]))  # in column order, as first written
    columns = f"{owner_column}:int {other_column}:int"
    key = f"{owner_column},{other_column}"
    _table(name, columns, refs=refs, key=key, indexed=other_column)


def downgrade() -> None:
    # Dropping a table drops its indexes with it, on SQLite and PostgreSQL alike.
    for table in reversed(TABLES):
        op.drop_table(table)
