"""Rows of each export table in key order, read from one session in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Result, Select, select
from sqlalchemy.orm import Session, aliased

from archive.data.batches import batched
from archive.data.models import (
    Demand,
    District,
    DistrictName,
    Event,
    Person,
    PersonName,
    Signature,
    Source,
    Statement,
    Translation,
    event_people,
    event_sources,
    signature_sources,
    statement_districts,
    statement_sources,
)
from archive.importing import fields
from archive.importing.tables import LIST_SEPARATOR

# A SELECT of one table's columns (its row type differs from table to table).
Query = Any
CHUNK_ROWS = 500

# Rows of each table, in key order.


def _ordered(session: Session, *columns: Any) -> list[Any]:
    """Order by keys bytewise on every database (PostgreSQL would use its locale's order)."""
    if session.get_bind().dialect.name == "postgresql":
        return [column.collate("C") for column in columns]
    return list(columns)


def _districts(session: Session) -> Query:
    parent = aliased(District)
    query = select(District.key, District.name, District.kind, parent.key)
    query = query.outerjoin(parent, District.parent_id == parent.id)
    return query.order_by(*_ordered(session, District.key))


def _names(session: Session, owner: Any, model: Any, owner_id: Any) -> Query:
    query = select(owner.key, model.language, model.name).join(owner, owner_id == owner.id)
    key, language, name = _ordered(session, owner.key, model.language, model.name)
    # No language (a variant spelling) is an empty cell, first bytewise; PostgreSQL would
    # put NULL last.
    return query.order_by(key, language.nulls_first(), name)


def _people(session: Session) -> Query:
    query = select(Person.key, Person.name, Person.description)
    return query.order_by(*_ordered(session, Person.key))


def _sources(session: Session) -> Query:
    cited = aliased(Source)
    query = select(
        Source.key,
        Source.url,
        Source.kind,
        Source.publisher,
        Source.author,
        Source.title,
        Source.published,
        Source.accessed,
        Source.archive_url,
        cited.key,
        Source.capture_sha256,
        Source.capture_text,
    ).outerjoin(cited, Source.cites_id == cited.id)
    return query.order_by(*_ordered(session, Source.key))


def _statements(session: Session) -> Iterator[tuple[Any, ...]]:
    """Yield statement rows with their demands joined (two ordered queries, merged)."""
    query = select(
        Statement.key,
        Statement.title,
        Statement.kind,
        Statement.date,
        Statement.language,
        Statement.addressee,
        Statement.reported_signatories,
        Statement.summary,
        Statement.text,
    ).order_by(*_ordered(session, Statement.key))
    demands = select(Statement.key, Demand.demand).join(
        Statement, Demand.statement_id == Statement.id
    )
    demands = demands.order_by(*_ordered(session, Statement.key), Demand.position)
    with _result(session, demands) as pending, _result(session, query) as statements:
        waiting = next(pending, None)
        for key, title, kind, date, language, addressee, reported, summary, text in statements:
            tags = []
            while waiting is not None and waiting[0] == key:
                tags.append(waiting[1])
                waiting = next(pending, None)
            yield (
                key,
                title,
                kind,
                date,
                fields.date_precision(date),
                language,
                addressee,
                reported,
                LIST_SEPARATOR.join(tags),
                summary,
                text,
            )


def _link(
    session: Session, table: Any, owner: Any, owner_column: Any, other: Any, other_column: Any
) -> Query:
    query = select(owner.key, other.key).select_from(table)
    query = query.join(owner, owner_column == owner.id).join(other, other_column == other.id)
    return query.order_by(*_ordered(session, owner.key, other.key))


def _translations(session: Session) -> Query:
    source = aliased(Source)
    query = select(
        Statement.key, Translation.language, Translation.text, Translation.translator, source.key
    ).join(Statement, Translation.statement_id == Statement.id)
    query = query.outerjoin(source, Translation.source_id == source.id)
    return query.order_by(*_ordered(session, Statement.key, Translation.language))


def _signatures(session: Session) -> Query:
    district, withdrawal = aliased(District), aliased(Source)
    query = (
        select(
            Statement.key,
            Person.key,
            Signature.position,
            Signature.role,
            district.key,
            Signature.stance,
            Signature.withdrawn,
            withdrawal.key,
            Signature.note,
        )
        .join(Statement, Signature.statement_id == Statement.id)
        .join(Person, Signature.person_id == Person.id)
        .outerjoin(district, Signature.district_id == district.id)
        .outerjoin(withdrawal, Signature.withdrawal_source_id == withdrawal.id)
    )
    return query.order_by(*_ordered(session, Statement.key, Person.key))


def _signature_sources(session: Session) -> Query:
    query = (
        select(Statement.key, Person.key, Source.key)
        .select_from(signature_sources)
        .join(Signature, signature_sources.c.signature_id == Signature.id)
        .join(Statement, Signature.statement_id == Statement.id)
        .join(Person, Signature.person_id == Person.id)
        .join(Source, signature_sources.c.source_id == Source.id)
    )
    return query.order_by(*_ordered(session, Statement.key, Person.key, Source.key))


def _events(session: Session) -> Query:
    statement = aliased(Statement)
    query = select(Event.key, Event.date, Event.kind, statement.key, Event.description)
    query = query.outerjoin(statement, Event.statement_id == statement.id)
    return query.order_by(*_ordered(session, Event.key))


ROWS: dict[str, Callable[[Session], Query | Iterator[tuple[Any, ...]]]] = {
    "districts": _districts,
    "district_names": lambda s: _names(s, District, DistrictName, DistrictName.district_id),
    "people": _people,
    "aliases": lambda s: _names(s, Person, PersonName, PersonName.person_id),
    "sources": _sources,
    "statements": _statements,
    "statement_districts": lambda s: _link(
        s,
        statement_districts,
        Statement,
        statement_districts.c.statement_id,
        District,
        statement_districts.c.district_id,
    ),
    "translations": _translations,
    "statement_sources": lambda s: _link(
        s,
        statement_sources,
        Statement,
        statement_sources.c.statement_id,
        Source,
        statement_sources.c.source_id,
    ),
    "signatures": _signatures,
    "signature_sources": _signature_sources,
    "events": _events,
    "event_people": lambda s: _link(
        s, event_people, Event, event_people.c.event_id, Person, event_people.c.person_id
    ),
    "event_sources": lambda s: _link(
        s, event_sources, Event, event_sources.c.event_id, Source, event_sources.c.source_id
    ),
}


def batches(session: Session, table: str) -> Iterator[Sequence[Sequence[Any]]]:
    """Yield the rows of one table in key order, in lists of CHUNK_ROWS, streaming."""
    query = ROWS[table](session)
    if isinstance(query, Select):
        # Closed when the reader stops early (a dropped download), not left to the collector.
        with _result(session, query) as result:
            yield from result.partitions()
    else:
        yield from batched(query, CHUNK_ROWS)


def rows(session: Session, table: str) -> Iterator[tuple[Any, ...]]:
    """Yield the rows of one table in key order, streaming from the database."""
    for batch in batches(session, table):
        yield from map(tuple, batch)


def _result(session: Session, query: Query) -> Result[*tuple[Any, ...]]:
    """Return a query's rows, fetched CHUNK_ROWS at a time (a server-side cursor on PostgreSQL)."""
    # On the session's connection, as Core rows: the ORM's loading of rows would take as long
    # as the database's own reading of them.
    return session.connection().execute(query.execution_options(yield_per=CHUNK_ROWS))
