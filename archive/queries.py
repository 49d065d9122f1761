"""Read functions: each takes a session and returns rows or plain values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, selectinload

from archive.models import District, Person, Source, Statement
from archive.store import dataset_version

__all__ = [
    "counts",
    "dataset_version",
    "district_outline",
    "latest_statements",
    "people_by_keys",
    "statements_by_keys",
]


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


def statements_by_keys(session: Session, keys: Sequence[str]) -> list[Statement]:
    """Return the statements with the given keys, in that order, with what a result list shows."""
    query = (
        select(Statement)
        .where(Statement.key.in_(list(keys)))
        .options(
            selectinload(Statement.districts),
            selectinload(Statement.signatures),
            selectinload(Statement.demands),
            selectinload(Statement.translations),
        )
    )
    found = {row.key: row for row in session.scalars(query)}
    return [found[key] for key in keys if key in found]


def people_by_keys(session: Session, keys: Sequence[str]) -> list[Person]:
    """Return the people with the given keys, in that order."""
    found = {row.key: row for row in session.scalars(select(Person).where(Person.key.in_(keys)))}
    return [found[key] for key in keys if key in found]


def district_outline(session: Session, keys: Iterable[str]) -> dict[str, tuple[str, str | None]]:
    """Return the name and parent key of each district with one of the given keys."""
    parent = aliased(District)
    query = (
        select(District.key, District.name, parent.key)
        .outerjoin(parent, District.parent_id == parent.id)
        .where(District.key.in_(list(keys)))
    )
    return {key: (name, parent_key) for key, name, parent_key in session.execute(query)}
