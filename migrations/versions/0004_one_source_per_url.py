"""one source per URL

Two spellings of one address (``café`` and ``caf%C3%A9``, a host in capitals, the default
port written out) made two sources. A source now keeps, beside its URL as given, the SHA-256 of
the URL's normalised form (RFC 3986 section 6, by ``url-normalize``), and that key is unique;
the URL itself is no longer indexed, so that a URL of 2,000 characters in any script fits on
PostgreSQL too. Stored sources get their key here; of stored sources whose URLs are the same
address, the first by key keeps it and the others are named in a warning (nothing is merged).

Revision 0004, after 0003; written 2026-12-01.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from url_normalize import url_normalize

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"

log = logging.getLogger("alembic.runtime.migration")
KEY = sa.String(64).with_variant(sa.String(64, collation="C"), "postgresql")
SOURCES = sa.table("sources", sa.column("id"), sa.column("key"), sa.column("url"))


def _key(url: str) -> str:
    """The key as archive.data.urls.url_key computes it at this revision."""
    normalised = url_normalize(unicodedata.normalize("NFC", url)) or url
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("url_key", KEY, nullable=True))
    keyed = sa.table("sources", sa.column("id"), sa.column("url_key"))
    conn = op.get_bind()
    first: dict[str, str] = {}
    updates: list[dict[str, object]] = []
    query = sa.select(SOURCES.c.id, SOURCES.c.key, SOURCES.c.url).where(SOURCES.c.url.is_not(None))
    for row_id, key, url in conn.execute(query.order_by(SOURCES.c.key)).all():
        address = _key(url)
        if address in first:
            log.warning(
                "source %r has the address of source %r (%s); not keyed", key, first[address], url
            )
            continue
        first[address] = key
        updates.append({"row_id": row_id, "address": address})
    if updates:  # one statement, executed for every source (executemany), not one per row
        statement = sa.update(keyed).where(keyed.c.id == sa.bindparam("row_id"))
        conn.execute(statement.values(url_key=sa.bindparam("address")), updates)
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_constraint("uq_sources_url", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_sources_url_key"), ["url_key"])


def downgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_sources_url_key"), type_="unique")
        batch_op.drop_column("url_key")
        batch_op.create_unique_constraint(batch_op.f("uq_sources_url"), ["url"])
