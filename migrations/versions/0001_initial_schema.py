"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 11:52:02.519167
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "changesets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_changesets")),
    )
    op.create_table(
        "districts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["districts.id"], name=op.f("fk_districts_parent_id_districts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_districts")),
        sa.UniqueConstraint("key", name=op.f("uq_districts_key")),
    )
    with op.batch_alter_table("districts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_districts_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("key", name=op.f("uq_people_key")),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("publisher", sa.String(length=300), nullable=True),
        sa.Column("author", sa.String(length=300), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("published", sa.String(length=10), nullable=True),
        sa.Column("accessed", sa.String(length=10), nullable=True),
        sa.Column("archive_url", sa.String(length=2000), nullable=True),
        sa.Column("cites_id", sa.Integer(), nullable=True),
        sa.Column("capture_text", sa.Text(), nullable=True),
        sa.Column("capture_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["cites_id"], ["sources.id"], name=op.f("fk_sources_cites_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("key", name=op.f("uq_sources_key")),
        sa.UniqueConstraint("url", name=op.f("uq_sources_url")),
    )
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sources_capture_sha256"), ["capture_sha256"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sources_cites_id"), ["cites_id"], unique=False)

    op.create_table(
        "statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("date", sa.String(length=10), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("addressee", sa.String(length=300), nullable=True),
        sa.Column("reported_signatories", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statements")),
        sa.UniqueConstraint("key", name=op.f("uq_statements_key")),
    )
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statements_date"), ["date"], unique=False)

    op.create_table(
        "district_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_district_names_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_district_names")),
    )
    with op.batch_alter_table("district_names", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_district_names_district_id"), ["district_id"], unique=False
        )

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("date", sa.String(length=10), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["statements.id"], name=op.f("fk_events_statement_id_statements")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("key", name=op.f("uq_events_key")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_date"), ["date"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_statement_id"), ["statement_id"], unique=False)

    op.create_table(
        "person_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_person_names_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_names")),
    )
    with op.batch_alter_table("person_names", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_names_person_id"), ["person_id"], unique=False)

    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("changeset_id", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("record_key", sa.String(length=420), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["changeset_id"], ["changesets.id"], name=op.f("fk_revisions_changeset_id_changesets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revisions")),
    )
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_revisions_changeset_id"), ["changeset_id"], unique=False
        )
        batch_op.create_index("ix_revisions_record", ["record_type", "record_key"], unique=False)

    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=300), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("stance", sa.String(length=32), nullable=False),
        sa.Column("withdrawn", sa.String(length=10), nullable=True),
        sa.Column("withdrawal_source_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_signatures_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_signatures_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_signatures_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["withdrawal_source_id"],
            ["sources.id"],
            name=op.f("fk_signatures_withdrawal_source_id_sources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signatures")),
        sa.UniqueConstraint(
            "statement_id", "person_id", name=op.f("uq_signatures_statement_id_person_id")
        ),
    )
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signatures_district_id"), ["district_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_signatures_person_id"), ["person_id"], unique=False)

    op.create_table(
        "statement_demands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("demand", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_statement_demands_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_demands")),
        sa.UniqueConstraint(
            "statement_id", "demand", name=op.f("uq_statement_demands_statement_id_demand")
        ),
    )
    with op.batch_alter_table("statement_demands", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statement_demands_demand"), ["demand"], unique=False)

    op.create_table(
        "statement_districts",
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_statement_districts_district_id_districts"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_statement_districts_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("statement_id", "district_id", name=op.f("pk_statement_districts")),
    )
    with op.batch_alter_table("statement_districts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_statement_districts_district_id"), ["district_id"], unique=False
        )

    op.create_table(
        "statement_sources",
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_statement_sources_source_id_sources")
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_statement_sources_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("statement_id", "source_id", name=op.f("pk_statement_sources")),
    )
    with op.batch_alter_table("statement_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_statement_sources_source_id"), ["source_id"], unique=False
        )

    op.create_table(
        "translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("translator", sa.String(length=300), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_translations_source_id_sources")
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_translations_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translations")),
        sa.UniqueConstraint(
            "statement_id", "language", name=op.f("uq_translations_statement_id_language")
        ),
    )
    with op.batch_alter_table("translations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_translations_source_id"), ["source_id"], unique=False)

    op.create_table(
        "event_people",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_people_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_event_people_person_id_people")
        ),
        sa.PrimaryKeyConstraint("event_id", "person_id", name=op.f("pk_event_people")),
    )
    with op.batch_alter_table("event_people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_people_person_id"), ["person_id"], unique=False)

    op.create_table(
        "event_sources",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_sources_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_event_sources_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("event_id", "source_id", name=op.f("pk_event_sources")),
    )
    with op.batch_alter_table("event_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_sources_source_id"), ["source_id"], unique=False)

    op.create_table(
        "signature_sources",
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signatures.id"],
            name=op.f("fk_signature_sources_signature_id_signatures"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_signature_sources_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("signature_id", "source_id", name=op.f("pk_signature_sources")),
    )
    with op.batch_alter_table("signature_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signature_sources_source_id"), ["source_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("signature_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signature_sources_source_id"))

    op.drop_table("signature_sources")
    with op.batch_alter_table("event_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_sources_source_id"))

    op.drop_table("event_sources")
    with op.batch_alter_table("event_people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_people_person_id"))

    op.drop_table("event_people")
    with op.batch_alter_table("translations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_translations_source_id"))

    op.drop_table("translations")
    with op.batch_alter_table("statement_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statement_sources_source_id"))

    op.drop_table("statement_sources")
    with op.batch_alter_table("statement_districts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statement_districts_district_id"))

    op.drop_table("statement_districts")
    with op.batch_alter_table("statement_demands", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statement_demands_demand"))

    op.drop_table("statement_demands")
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signatures_person_id"))
        batch_op.drop_index(batch_op.f("ix_signatures_district_id"))

    op.drop_table("signatures")
    with op.batch_alter_table("revisions", schema=None) as batch_op:
        batch_op.drop_index("ix_revisions_record")
        batch_op.drop_index(batch_op.f("ix_revisions_changeset_id"))

    op.drop_table("revisions")
    with op.batch_alter_table("person_names", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_names_person_id"))

    op.drop_table("person_names")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_statement_id"))
        batch_op.drop_index(batch_op.f("ix_events_date"))

    op.drop_table("events")
    with op.batch_alter_table("district_names", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_district_names_district_id"))

    op.drop_table("district_names")
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statements_date"))

    op.drop_table("statements")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sources_cites_id"))
        batch_op.drop_index(batch_op.f("ix_sources_capture_sha256"))

    op.drop_table("sources")
    op.drop_table("people")
    with op.batch_alter_table("districts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_districts_parent_id"))

    op.drop_table("districts")
    op.drop_table("changesets")
