"""Values read from whole tables, kept per process for each dataset version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from archive.data.database import WRITE
from archive.data.revisions import dataset_version

T = TypeVar("T")

# What is read from whole tables (the district tree, the counts, the home page's overview)
# changes only with the data: each process keeps each such value for the newest dataset version
# of a database it has read. A write session computes afresh: what it reads may yet be rolled
# back, and SQLite would then give the next write's revision the same number.
_per_version: dict[str, tuple[tuple[str, int], Any]] = {}


def per_version(session: Session, name: str, compute: Callable[[Session], T]) -> T:
    """Return ``compute(session)``, kept under ``name`` per database and dataset version.

    The value is shared by every request of the process: its users must never change it.
    """
    bind = session.get_bind()
    if bind.get_execution_options().get(WRITE, False):
        return compute(session)
    key = (bind.engine.url.render_as_string(), dataset_version(session))
    held = _per_version.get(name)
    if held is None or held[0] != key:
        held = (key, compute(session))
        _per_version[name] = held
    value: T = held[1]
    return value
