"""Rows of each export table in key order, read from one session in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Result, Select, select
from sqlalchemy.orm import Session, aliased

from archive.data import models
from archive.data.batches import batched
from archive.importing import fields
from archive.importing.tables import LIST_SEPARATOR, TABLES_BY_NAME

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
    parent = aliased(models.District)
    query = select(models.District.key, models.District.name, models.District.kind, parent.key)
    query = query.outerjoin(parent, models.District.parent_id == parent.id)
    return query.order_by(*_ordered(session, models.District.key))


def _names(session: Session, owner: Any, model: Any, owner_id: Any) -> Query:
    query = select(owner.key, model.language, model.name).join(owner, owner_id == owner.id)
    key, language, name = _ordered(session, owner.key, model.language, model.name)
    # No language (a variant spelling) is an empty cell, first bytewise; PostgreSQL would
    # put NULL last.
    return query.order_by(key, language.nulls_first(), name)


def _people(session: Session) -> Query:
    query = select(models.Person.key, models.Person.name, models.Person.description)
    return query.order_by(*_ordered(session, models.Person.key))


def _identifiers(session: Session) -> Query:
    person, identifier = models.Person, models.PersonIdentifier
    query = select(person.key, identifier.scheme, identifier.value)
    query = query.join(person, identifier.person_id == person.id)
    return query.order_by(*_ordered(session, person.key, identifier.scheme, identifier.value))


def _merged_keys(session: Session) -> Query:
    query = select(models.Person.key, models.MergedKey.key)
    query = query.join(models.Person, models.MergedKey.person_id == models.Person.id)
    return query.order_by(*_ordered(session, models.Person.key, models.MergedKey.key))


def _sources(session: Session) -> Query:
    cited = aliased(models.Source)
    # The table's columns are the source's own fields but the key of the source it cites.
    columns = [
        cited.key if column.field == "cites" else getattr(models.Source, column.name)
        for column in TABLES_BY_NAME["sources"].columns
    ]
    query = select(*columns).outerjoin(cited, models.Source.cites_id == cited.id)
    return query.order_by(*_ordered(session, models.Source.key))


def _statements(session: Session) -> Iterator[tuple[Any, ...]]:
    """Yield statement rows with their demands joined (two ordered queries, merged)."""
    query = select(
        models.Statement.key,
        models.Statement.title,
        models.Statement.kind,
        models.Statement.date,
        models.Statement.language,
        models.Statement.addressee,
        models.Statement.reported_signatories,
        models.Statement.summary,
        models.Statement.text,
    ).order_by(*_ordered(session, models.Statement.key))
    demands = select(models.Statement.key, models.Demand.demand).join(
        models.Statement, models.Demand.statement_id == models.Statement.id
    )
    demands = demands.order_by(*_ordered(session, models.Statement.key), models.Demand.position)
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


def _link(table: Any) -> Callable[[Session], Query]:
    """Return the rows of a link table as (owner's key, other's key), in that order: its two
    columns refer to the ``id`` of the owner's table and of the other's."""
    owner_column, other_column = table.c
    owner = next(iter(owner_column.foreign_keys)).column.table
    other = next(iter(other_column.foreign_keys)).column.table

    def rows(session: Session) -> Query:
        query = select(owner.c.key, other.c.key).select_from(table)
        query = query.join(owner, owner_column == owner.c.id)
        query = query.join(other, other_column == other.c.id)
        return query.order_by(*_ordered(session, owner.c.key, other.c.key))

    return rows


def _translations(session: Session) -> Query:
    source = aliased(models.Source)
    query = select(
        models.Statement.key,
        models.Translation.language,
        models.Translation.text,
        models.Translation.translator,
        source.key,
    ).join(models.Statement, models.Translation.statement_id == models.Statement.id)
    query = query.outerjoin(source, models.Translation.source_id == source.id)
    return query.order_by(*_ordered(session, models.Statement.key, models.Translation.language))


def _signatures(session: Session) -> Query:
    district, withdrawal = aliased(models.District), aliased(models.Source)
    query = (
        select(
            models.Statement.key,
            models.Person.key,
            models.Signature.position,
            models.Signature.role,
            district.key,
            models.Signature.stance,
            models.Signature.withdrawn,
            withdrawal.key,
            models.Signature.note,
        )
        .join(models.Statement, models.Signature.statement_id == models.Statement.id)
        .join(models.Person, models.Signature.person_id == models.Person.id)
        .outerjoin(district, models.Signature.district_id == district.id)
        .outerjoin(withdrawal, models.Signature.withdrawal_source_id == withdrawal.id)
    )
    return query.order_by(*_ordered(session, models.Statement.key, models.Person.key))


def _signature_sources(session: Session) -> Query:
    query = (
        select(models.Statement.key, models.Person.key, models.Source.key)
        .select_from(models.signature_sources)
        .join(models.Signature, models.signature_sources.c.signature_id == models.Signature.id)
        .join(models.Statement, models.Signature.statement_id == models.Statement.id)
        .join(models.Person, models.Signature.person_id == models.Person.id)
        .join(models.Source, models.signature_sources.c.source_id == models.Source.id)
    )
    return query.order_by(
        *_ordered(session, models.Statement.key, models.Person.key, models.Source.key)
    )


def _events(session: Session) -> Query:
    event, statement = models.Event, aliased(models.Statement)
    query = select(event.key, event.date, event.kind, statement.key, event.description)
    query = query.outerjoin(statement, event.statement_id == statement.id)
    return query.order_by(*_ordered(session, event.key))


ROWS: dict[str, Callable[[Session], Query | Iterator[tuple[Any, ...]]]] = {
    "districts": _districts,
    "district_names": lambda s: _names(
        s, models.District, models.DistrictName, models.DistrictName.district_id
    ),
    "people": _people,
    "aliases": lambda s: _names(s, models.Person, models.PersonName, models.PersonName.person_id),
    "identifiers": _identifiers,
    "merged_keys": _merged_keys,
    "sources": _sources,
    "statements": _statements,
    "statement_districts": _link(models.statement_districts),
    "translations": _translations,
    "statement_sources": _link(models.statement_sources),
    "signatures": _signatures,
    "signature_sources": _signature_sources,
    "events": _events,
    "event_people": _link(models.event_people),
    "event_sources": _link(models.event_sources),
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
