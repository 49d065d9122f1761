"""Configuration: safe defaults, then ARCHIVE_* environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Every setting the archive reads, with its default and what it means. The README's
# configuration table is checked against this dict by a test.
SETTINGS: dict[str, tuple[str, str]] = {
    "ARCHIVE_DATABASE_URL": (
        "sqlite:///<instance>/archive.sqlite3",
        "SQLAlchemy database URL; use postgresql+psycopg://... for a multi-user deployment",
    ),
    "ARCHIVE_INDEX_DIR": ("<instance>/index", "folder of the Whoosh search index"),
    "ARCHIVE_INSTANCE_DIR": ("./instance", "folder for the default database and index"),
    "ARCHIVE_SECRET_KEY": ("random per process", "key that signs sessions and form tokens"),
    "ARCHIVE_BUSY_TIMEOUT": ("30", "seconds a SQLite write waits for another writer"),
}


def load(instance_path: str) -> dict[str, Any]:
    """Return the configuration from the environment over the defaults."""
    env = os.environ
    instance = Path(env.get("ARCHIVE_INSTANCE_DIR") or instance_path).resolve()
    return {
        "INSTANCE_DIR": str(instance),
        "DATABASE_URL": env.get("ARCHIVE_DATABASE_URL")
        or f"sqlite:///{instance / 'archive.sqlite3'}",
        "INDEX_DIR": env.get("ARCHIVE_INDEX_DIR") or str(instance / "index"),
        "SECRET_KEY": env.get("ARCHIVE_SECRET_KEY") or os.urandom(32).hex(),
        "BUSY_TIMEOUT": float(env.get("ARCHIVE_BUSY_TIMEOUT") or 30),
    }
