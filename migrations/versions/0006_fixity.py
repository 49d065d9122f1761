"""fixity: digests of revisions and the record of fixity checks

Every revision keeps the SHA-256 of its content and of the chain of revisions up to it
(archive.data.fixity), so that a change to the history, or a revision taken out, shows; stored
revisions get theirs here, in id order, a batch at a time. ``fixity_checks`` records each run
of ``archive verify``: when, how many captures and revisions it checked, and what failed.

Revision 0006, after 0005; written 2026-12-01.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"

DIGEST = sa.String(64).with_variant(sa.String(64, collation="C"), "postgresql")
GENESIS = "0" * 64
# Revisions read and given their digests per statement: memory stays flat at any size.
BATCH = 2000
REVISIONS = sa.table(
    "revisions",
    sa.column("id", sa.Integer),
    sa.column("changeset_id", sa.Integer),
    sa.column("record_type", sa.String),
    sa.column("record_key", sa.String),
    sa.column("action", sa.String),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
    sa.column("content_digest", sa.String),
    sa.column("chain_digest", sa.String),
)
CHANGESETS = sa.table("changesets", sa.column("id", sa.Integer), sa.column("actor", sa.String))


def _digest(value: Any) -> str:
    """The SHA-256 of a JSON value's canonical form, as archive.data.fixity has it at this
    revision (sorted keys, compact, characters as themselves, UTF-8)."""
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _fill_digests() -> None:
    """Give every stored revision its content and chain digests, in id order, by batches."""
    conn = op.get_bind()
    query = (
        sa.select(
            REVISIONS.c.id,
            CHANGESETS.c.actor,
            REVISIONS.c.record_type,
            REVISIONS.c.record_key,
            REVISIONS.c.action,
            REVISIONS.c.before,
            REVISIONS.c.after,
        )
        .join(CHANGESETS, CHANGESETS.c.id == REVISIONS.c.changeset_id)
        .order_by(REVISIONS.c.id)
        .limit(BATCH)
    )
    statement = (
        sa.update(REVISIONS)
        .where(REVISIONS.c.id == sa.bindparam("row_id"))
        .values(content_digest=sa.bindparam("content"), chain_digest=sa.bindparam("chain"))
    )
    chain, last = GENESIS, 0
    while rows := conn.execute(query.where(REVISIONS.c.id > last)).all():
        updates = []
        for row_id, actor, record_type, record_key, action, before, after in rows:
            content = _digest(
                {
                    "id": row_id,
                    "actor": actor,
                    "record_type": record_type,
                    "record_key": record_key,
                    "action": action,
                    "before": before,
                    "after": after,
                }
            )
            chain = hashlib.sha256(f"{chain}:{row_id}:{content}".encode("ascii")).hexdigest()
            updates.append({"row_id": row_id, "content": content, "chain": chain})
        conn.execute(statement, updates)  # executemany: one statement for the batch
        last = rows[-1][0]


def upgrade() -> None:
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_digest", DIGEST, nullable=True))
        batch_op.add_column(sa.Column("chain_digest", DIGEST, nullable=True))
    _fill_digests()
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.alter_column("content_digest", existing_type=DIGEST, nullable=False)
        batch_op.alter_column("chain_digest", existing_type=DIGEST, nullable=False)
    op.create_table(
        "fixity_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
        sa.Column("captures", sa.Integer(), nullable=False),
        sa.Column("revisions", sa.Integer(), nullable=False),
        sa.Column("head_revision", sa.Integer(), nullable=True),
        sa.Column("chain_head", DIGEST, nullable=True),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.Column("failed_captures", sa.JSON(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fixity_checks")),
    )
    op.create_index(
        op.f("ix_fixity_checks_finished_at"), "fixity_checks", ["finished_at"], unique=False
    )


def downgrade() -> None:
    op.drop_table("fixity_checks")
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.drop_column("chain_digest")
        batch_op.drop_column("content_digest")
