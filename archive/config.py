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
    "ARCHIVE_SECRET_KEY": (
        "<instance>/secret_key",
        "key that signs sessions and form tokens; unset, one is generated once into the "
        "instance folder (mode 0600) and read by every process",
    ),
    "ARCHIVE_BUSY_TIMEOUT": (
        "30",
        "seconds a SQLite statement waits for a lock, and a write by the web for another writer",
    ),
    "ARCHIVE_WRITE_WAIT": (
        "3600",
        "seconds a command that writes (import, demo, people merge/split/distinct) waits for "
        "another import or edit to finish, saying so; then it writes nothing and exits 1",
    ),
}


# The file in the instance folder that keeps the secret key when none is configured.
SECRET_FILE = "secret_key"


def load(instance_path: str) -> dict[str, Any]:
    """Return the configuration from the environment over the defaults."""
    env = os.environ
    instance = Path(env.get("ARCHIVE_INSTANCE_DIR") or instance_path).resolve()
    return {
        "INSTANCE_DIR": str(instance),
        "DATABASE_URL": env.get("ARCHIVE_DATABASE_URL")
        or f"sqlite:///{instance / 'archive.sqlite3'}",
        "INDEX_DIR": env.get("ARCHIVE_INDEX_DIR") or str(instance / "index"),
        "SECRET_KEY": env.get("ARCHIVE_SECRET_KEY") or secret_key(instance),
        "BUSY_TIMEOUT": float(env.get("ARCHIVE_BUSY_TIMEOUT") or 30),
        "WRITE_WAIT": float(env.get("ARCHIVE_WRITE_WAIT") or 3600),
    }


def secret_key(instance: Path) -> str:
    """Return the secret key kept in ``instance``/secret_key, generating it first if there is
    none (64 hex digits from os.urandom, readable by the owner only), so that every worker
    and server sharing the folder signs with one key.

    The file appears whole or not at all: the key is written to a file of its own, then linked
    to the name (a link fails if another process got there first, whose key is then read).
    Raises OSError when the folder cannot be made or written (set ARCHIVE_SECRET_KEY then).
    """
    path = instance / SECRET_FILE
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        draft = instance / f".{SECRET_FILE}.{os.getpid()}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(os.urandom(32).hex())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()
