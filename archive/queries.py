"""Read functions: each takes a session and returns rows or plain values."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.models import District, Person, Source, Statement
from archive.store import dataset_version

__all__ = ["counts", "dataset_version", "latest_statements"]


def counts(session: Session) -> dict[str, int]:
    """Return how many statements, people, districts and sources the archive holds."""
    models = {"statements": Statement, "people": Person, "districts": District, "sources": Source}
    return {
        name: session.scalar(select(func.count()).select_from(model)) or 0
        for name, model in models.items()
    }


def latest_statements(session: Session, limit: int = 10) -> Sequence[Statement]:
    """Return the newest statements by date, then by key."""
    query = select(Statement).order_by(Statement.date.desc().nulls_last(), Statement.key)
    return session.scalars(query.limit(limit)).all()
