"""Statements: the list, one statement with its signatures and events, statements by key."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from archive.data.models import (
    Event,
    Person,
    Signature,
    Statement,
    Translation,
)

# What a list of statements found shows of each (the search page): no signatures, which
# signature_counts counts.
RESULT_LOADS: tuple[ORMOption, ...] = (
    selectinload(Statement.districts),
    selectinload(Statement.demands),
    selectinload(Statement.translations),
)


def statements_by_keys(
    session: Session, keys: Sequence[str], loads: Sequence[ORMOption] = RESULT_LOADS
) -> list[Statement]:
    """Return the statements with the given keys, in that order, with what ``loads`` loads
    (by default what a result list shows)."""
    query = select(Statement).where(Statement.key.in_(list(keys))).options(*loads)
    found = {row.key: row for row in session.scalars(query)}
    return [found[key] for key in keys if key in found]


def signatures_of_statements(
    session: Session, keys: Sequence[str], loads: Sequence[ORMOption] = ()
) -> list[Signature]:
    """Return the signatures of the statements with the given keys: statement by statement in
    that order, each statement's in its own order, with what ``loads`` loads."""
    query = (
        select(Signature)
        .join(Signature.statement)
        .where(Statement.key.in_(list(keys)))
        .options(*loads)
    )
    place = {key: number for number, key in enumerate(keys)}
    found = session.scalars(query).all()
    return sorted(found, key=lambda sig: (place[sig.statement.key], sig.position, sig.id))


# The statement and source pages, and their lists.

# The sort orders of the statement and source lists; the first is the default, each ends with a
# unique key so that pages never overlap.
STATEMENT_ORDERS: dict[str, tuple[Any, ...]] = {
    "date": (Statement.date.desc().nulls_last(), Statement.key),
    "title": (func.lower(Statement.title), Statement.key),
    "key": (Statement.key,),
}


def statement_list() -> Select[Statement]:
    """Return the query of the statements list, loading the districts each row shows."""
    return select(Statement).options(selectinload(Statement.districts))


def signature_counts(session: Session, statement_ids: Iterable[int]) -> dict[int, int]:
    """Return how many signatures each of the statements has (without loading them)."""
    query = (
        select(Signature.statement_id, func.count())
        .where(Signature.statement_id.in_(list(statement_ids)))
        .group_by(Signature.statement_id)
    )
    return {statement_id: n for statement_id, n in session.execute(query)}


def statement_by_key(session: Session, key: str) -> Statement | None:
    """Return the statement with ``key`` and what its page shows but the signatures, or None.

    A petition may have thousands of signatures: its page reads one page of them
    (signatures_on), its twins all of them in batches.
    """
    query = (
        select(Statement)
        .where(Statement.key == key)
        .options(
            selectinload(Statement.demands),
            selectinload(Statement.districts),
            selectinload(Statement.sources),
            selectinload(Statement.translations).selectinload(Translation.source),
        )
    )
    return session.scalar(query)


# The order of a statement's signatures: its own, then the id (positions are not unique).
SIGNATURE_ORDERS: dict[str, tuple[Any, ...]] = {"position": (Signature.position, Signature.id)}


def signatures_on(statement_id: int) -> Select[Signature]:
    """Return the query of a statement's signatures, loading what each row of its page shows."""
    return (
        select(Signature)
        .where(Signature.statement_id == statement_id)
        .options(
            joinedload(Signature.person),
            joinedload(Signature.district),
            joinedload(Signature.withdrawal_source),
            selectinload(Signature.sources),
        )
    )


def signer_names(session: Session, statement_id: int, limit: int) -> list[str]:
    """Return the names of a statement's first ``limit`` signatories who did not withdraw."""
    query = (
        select(Person.name)
        .join(Signature, Signature.person_id == Person.id)
        .where(Signature.statement_id == statement_id, Signature.stance != "withdrawn")
        .order_by(*SIGNATURE_ORDERS["position"])
        .limit(limit)
    )
    return list(session.scalars(query))


def statement_events(session: Session, statement_id: int) -> Sequence[Event]:
    """Return the events that followed a statement, oldest first (undated last)."""
    query = (
        select(Event)
        .where(Event.statement_id == statement_id)
        .order_by(Event.date.nulls_last(), Event.key)
        .options(selectinload(Event.people), selectinload(Event.sources))
    )
    return session.scalars(query).all()
