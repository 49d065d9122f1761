"""People: the list, one person with their signatures and the events concerning them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from archive.data.models import (
    Decision,
    Event,
    MergedKey,
    Person,
    Signature,
    Statement,
    event_people,
)


def people_by_keys(session: Session, keys: Sequence[str]) -> list[Person]:
    """Return the people with the given keys, in that order."""
    found = {row.key: row for row in session.scalars(select(Person).where(Person.key.in_(keys)))}
    return [found[key] for key in keys if key in found]


# People.

# How many statements a person is part of, for sorting the list of people.
PERSON_STATEMENTS = (
    select(func.count(Signature.id)).where(Signature.person_id == Person.id).scalar_subquery()
)
# The orders of the list of people: each ends with the unique key, so pages never overlap.
PEOPLE_ORDERS: dict[str, tuple[Any, ...]] = {
    "name": (func.lower(Person.name), Person.key),
    "key": (Person.key,),
    "statements": (PERSON_STATEMENTS.desc(), func.lower(Person.name), Person.key),
}


def people_query() -> Select[Person]:
    """Return the query of every person, for the list of people."""
    return select(Person)


def statement_counts(session: Session, people: Iterable[Person]) -> dict[int, int]:
    """Return how many statements each of the given people is part of, by person id."""
    ids = [person.id for person in people]
    query = (
        select(Signature.person_id, func.count(Signature.id))
        .where(Signature.person_id.in_(ids))
        .group_by(Signature.person_id)
    )
    counted = {person_id: n for person_id, n in session.execute(query)}
    return {person_id: counted.get(person_id, 0) for person_id in ids}


def person_by_key(session: Session, key: str) -> Person | None:
    """Return the person with ``key`` and their names, or None."""
    query = select(Person).where(Person.key == key).options(selectinload(Person.names))
    return session.scalar(query)


def signatures_by(person_id: int) -> Select[Signature]:
    """Return the query of a person's signatures in the order of their page: oldest statement
    first (undated last), then by the statement's key."""
    return (
        select(Signature)
        .join(Signature.statement)
        .where(Signature.person_id == person_id)
        .order_by(Statement.date.asc().nulls_last(), Statement.key)
    )


def signatures_of(session: Session, person: Person) -> Sequence[Signature]:
    """Return a person's signatures with their statements and districts, oldest statement first."""
    query = signatures_by(person.id).options(
        joinedload(Signature.statement),
        joinedload(Signature.district),
        joinedload(Signature.withdrawal_source),
    )
    return session.scalars(query).all()


def events_concerning(session: Session, person: Person) -> Sequence[Event]:
    """Return the events naming a person or about a statement they signed, oldest first."""
    named = select(event_people.c.event_id).where(event_people.c.person_id == person.id)
    signed = select(Signature.statement_id).where(Signature.person_id == person.id)
    query = (
        select(Event)
        .where(or_(Event.id.in_(named), Event.statement_id.in_(signed)))
        .order_by(Event.date.asc().nulls_last(), Event.key)
        .options(
            joinedload(Event.statement), selectinload(Event.people), selectinload(Event.sources)
        )
    )
    return session.scalars(query).all()


# Who a person is: keys merged into people, and the decisions of curators.

# The decision that two people are not the same person (person_decisions.decision).
DISTINCT = "distinct"


def merged_into(session: Session, key: str) -> str | None:
    """Return the key of the person that the merged key ``key`` now belongs to, or None."""
    query = select(Person.key).join(MergedKey, MergedKey.person_id == Person.id)
    return session.scalar(query.where(MergedKey.key == key))


def merged_keys(session: Session, person: Person) -> list[str]:
    """Return the keys merged into ``person``, in key order."""
    query = select(MergedKey.key).where(MergedKey.person_id == person.id).order_by(MergedKey.key)
    return list(session.scalars(query))


def decisions_about(session: Session, person: Person) -> list[Decision]:
    """Return the decisions that name ``person`` or a key merged into it, oldest first, with
    their changesets (who and when)."""
    merged = select(MergedKey.key).where(MergedKey.person_id == person.id)
    names = or_(
        Decision.person_key == person.key,
        Decision.other_key == person.key,
        Decision.person_key.in_(merged),
        Decision.other_key.in_(merged),
    )
    query = select(Decision).where(names).options(joinedload(Decision.changeset))
    return list(session.scalars(query.order_by(Decision.id)))


def distinct_pairs(session: Session) -> set[tuple[str, str]]:
    """Return every pair of people decided not the same person, as (smaller, larger) keys."""
    query = select(Decision.person_key, Decision.other_key).where(Decision.decision == DISTINCT)
    return {(min(a, b), max(a, b)) for a, b in session.execute(query)}
