"""Alembic environment: migrate the archive's database (given connection, or from config)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from archive.data import models  # noqa: F401  (registers the tables on the metadata)
from archive.data.database import Base, Database

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations on the connection handed over by the archive, or on a new one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from archive.config import load

    database = Database(load("instance")["DATABASE_URL"])
    with database.write_engine.connect() as conn:
        _run(conn)
        conn.commit()
    database.dispose()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `archive migrate`")
run_migrations_online()
