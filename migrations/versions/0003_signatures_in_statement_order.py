"""signatures are read in a statement's order

A statement's page shows its signatures a page at a time in their order: with an index on
(statement_id, position) a page is read straight from the index, not sorted from all of a
petition's signatures on every request.

Revision 0003, after 0002; written 2026-11-28.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"


def upgrade() -> None:
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_signatures_statement_position", ["statement_id", "position"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_index("ix_signatures_statement_position")
