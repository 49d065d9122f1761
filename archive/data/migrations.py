"""Run Alembic against the archive's database: upgrade, downgrade, check."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from archive.data.database import Database

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config() -> Config:
    """Return an Alembic configuration pointing at the migrations folder."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    """Return the newest migration's id."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(database: Database) -> str | None:
    """Return the migration the database is at (None for an empty database)."""
    with database.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _run(database: Database, action: str, target: str) -> None:
    config = alembic_config()
    with database.write_engine.connect() as conn:
        config.attributes["connection"] = conn
        if action == "check":
            command.check(config)
        else:
            getattr(command, action)(config, target)
        conn.commit()


def upgrade(database: Database, target: str = "head") -> None:
    """Upgrade the schema to ``target`` (the newest by default)."""
    _run(database, "upgrade", target)


def downgrade(database: Database, target: str = "base") -> None:
    """Downgrade the schema to ``target`` (empty by default)."""
    _run(database, "downgrade", target)


def check(database: Database) -> None:
    """Raise if the models and the migrations disagree."""
    _run(database, "check", "")
