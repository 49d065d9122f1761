"""identifiers, merged keys and decisions on people

People may carry external identifiers (a scheme and a value, naming one person at most). A
person merged into another leaves its key reserved in ``merged_keys``, with the person it now
belongs to (its URL redirects there) and its last record. ``person_decisions`` keeps each merge,
split and "not the same person" decision, with its changeset (who and when) and its reason.

Revision 0005, after 0004; written 2026-12-01.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"


def _text(length: int | None = None) -> sa.types.TypeEngine[str]:
    """A string compared bytewise on PostgreSQL too (the "C" collation), as in 0002."""
    plain = sa.String(length) if length else sa.Text()
    bytewise = sa.String(length, collation="C") if length else sa.Text(collation="C")
    return plain.with_variant(bytewise, "postgresql")


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _reference(table: str, column: str, target: str, cascade: bool = False) -> sa.Constraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete="CASCADE" if cascade else None,
    )


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "person_identifiers",
        _id(),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("scheme", _text(64), nullable=False),
        sa.Column("value", _text(300), nullable=False),
        _reference("person_identifiers", "person_id", "people", cascade=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_identifiers")),
        sa.UniqueConstraint("scheme", "value", name=op.f("uq_person_identifiers_scheme_value")),
    )
    _index("person_identifiers", "person_id")
    op.create_table(
        "merged_keys",
        _id(),
        sa.Column("key", _text(200), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        _reference("merged_keys", "person_id", "people"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merged_keys")),
        sa.UniqueConstraint("key", name=op.f("uq_merged_keys_key")),
    )
    _index("merged_keys", "person_id")
    op.create_table(
        "person_decisions",
        _id(),
        sa.Column("changeset_id", sa.Integer(), nullable=False),
        sa.Column("decision", _text(16), nullable=False),
        sa.Column("person_key", _text(200), nullable=False),
        sa.Column("other_key", _text(200), nullable=False),
        sa.Column("reason", _text(), nullable=True),
        _reference("person_decisions", "changeset_id", "changesets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_decisions")),
    )
    _index("person_decisions", "changeset_id", "person_key", "other_key")


def downgrade() -> None:
    for table in ("person_decisions", "merged_keys", "person_identifiers"):
        op.drop_table(table)
