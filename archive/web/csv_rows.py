"""The rows of the CSV twins, built from records in the order of their layouts.

Rows are lazy: records are read from the database a batch at a time, however many there are.
A row's URL column comes from a function of the record's key (:func:`archive.web.links.
record_urls`), made once per answer; nothing here knows of Flask or the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session, selectinload

from archive import reads
from archive.data.batches import batched
from archive.data.models import Event, Person, Signature, Statement
from archive.importing import fields
from archive.importing.tables import LIST_SEPARATOR
from archive.reads.tree import DistrictTree

BATCH = 100  # records read from the database at a time
# The URL of a record's page, by its key.
KeyUrl = Callable[[str], str]


def streamed(session: Session, query: Select[Any]) -> Iterator[Any]:
    """Yield the records of a query, read from the database a batch at a time."""
    yield from session.scalars(query.execution_options(yield_per=BATCH))


def _joined(values: Iterable[str | None]) -> str:
    return LIST_SEPARATOR.join(value for value in values if value)


def _unique(values: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))


# Statements.

STATEMENT_LOADS = (
    selectinload(Statement.districts),
    selectinload(Statement.demands),
    selectinload(Statement.sources),
)


def statement_rows(
    session: Session, statements: Iterable[Statement], url: KeyUrl
) -> Iterator[tuple[Any, ...]]:
    """Yield a row for each statement (loaded with STATEMENT_LOADS), in the order given."""
    for batch in batched(statements, BATCH):
        named = reads.statements.signature_counts(session, [statement.id for statement in batch])
        for statement in batch:
            yield _statement_row(statement, named.get(statement.id, 0), url)


def _statement_row(statement: Statement, named: int, url: KeyUrl) -> tuple[Any, ...]:
    return (
        statement.key,
        url(statement.key),
        statement.title,
        statement.date,
        fields.date_precision(statement.date),
        statement.kind,
        statement.language,
        _joined(demand.demand for demand in statement.demands),
        statement.addressee,
        statement.reported_signatories,
        named,
        _joined(district.key for district in statement.districts),
        LIST_SEPARATOR.join(district.name for district in statement.districts),  # as keys
        _joined(_unique(source.publisher for source in statement.sources)),
        _joined(source.key for source in statement.sources),
        statement.summary,
    )


def listed_statements(
    session: Session, query: Select[Statement], url: KeyUrl
) -> Iterator[tuple[Any, ...]]:
    """Yield the rows of every statement a query selects, in its order."""
    return statement_rows(session, streamed(session, query.options(*STATEMENT_LOADS)), url)


# Signatures, one row each.

SIGNATURE_LOADS = (
    selectinload(Signature.statement),
    selectinload(Signature.person),
    selectinload(Signature.district),
    selectinload(Signature.withdrawal_source),
    selectinload(Signature.sources),
)


def signature_row(signature: Signature) -> tuple[Any, ...]:
    """Return one signature as a row of the long form."""
    statement, district = signature.statement, signature.district
    withdrawal = signature.withdrawal_source
    return (
        statement.key,
        statement.title,
        statement.date,
        signature.person.key,
        signature.person.name,
        signature.position,
        signature.role,
        district.key if district is not None else None,
        district.name if district is not None else None,
        signature.stance,
        signature.withdrawn,
        withdrawal.key if withdrawal is not None else None,
        signature.note,
        _joined(source.key for source in signature.sources),
    )


def person_signatures(session: Session, person: Person) -> Iterator[tuple[Any, ...]]:
    """Yield a person's signatures as rows, oldest statement first (as on their page)."""
    query = reads.people.signatures_by(person.id).options(*SIGNATURE_LOADS)
    return (signature_row(signature) for signature in streamed(session, query))


# The search: every statement it finds (archive.index.search.all_matching_keys finds their keys).


def search_statement_rows(
    session: Session, keys: Sequence[str], url: KeyUrl
) -> Iterator[tuple[Any, ...]]:
    """Yield a row for each of the statements a search found, in the search's order."""
    for batch in batched(keys, BATCH):
        found = reads.statements.statements_by_keys(session, batch, STATEMENT_LOADS)
        yield from statement_rows(session, found, url)


def search_signature_rows(session: Session, keys: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """Yield a row for every signature of the statements a search found."""
    for batch in batched(keys, BATCH):
        for signature in reads.statements.signatures_of_statements(session, batch, SIGNATURE_LOADS):
            yield signature_row(signature)


# People, districts and sources.


def people_rows(session: Session, query: Select[Person], url: KeyUrl) -> Iterator[tuple[Any, ...]]:
    """Yield a row for every person a query selects, with their number of statements."""
    for batch in batched(streamed(session, query), BATCH):
        counts = reads.people.statement_counts(session, batch)
        for person in batch:
            yield (person.key, url(person.key), person.name, person.description, counts[person.id])


def district_rows(
    session: Session, tree: DistrictTree, order: str, url: KeyUrl
) -> Iterator[tuple[Any, ...]]:
    """Yield a row for every district of the tree, depth first, siblings in ``order``."""
    counts = reads.districts.district_counts(session)
    for node, depth in tree.walk(order=order):
        parent = tree.by_id.get(node.parent_id) if node.parent_id is not None else None
        counted = counts.get(node.id, reads.districts.DistrictCounts())
        yield (
            node.key,
            url(node.key),
            node.name,
            node.kind,
            parent.key if parent is not None else None,
            depth,
            counted.statements,
            counted.signatories,
        )


def source_rows(session: Session, query: Select[Any], url: KeyUrl) -> Iterator[tuple[Any, ...]]:
    """Yield a row for every source a query selects (without its captured text)."""
    for source in streamed(session, query):
        yield (
            source.key,
            url(source.key),
            source.url,
            source.kind,
            source.publisher,
            source.author,
            source.title,
            source.published,
            source.accessed,
            source.archive_url,
            source.cites.key if source.cites is not None else None,
            source.capture_sha256,
        )


def citing_rows(session: Session, source_id: int) -> Iterator[tuple[Any, ...]]:
    """Yield a row for every statement, signature and event citing a source, as on its page."""
    found = reads.sources.citing_queries(source_id)
    for statement in streamed(session, found["statements"]):
        how = ["source"] if any(source.id == source_id for source in statement.sources) else []
        how += [
            f"translation:{t.language}" for t in statement.translations if t.source_id == source_id
        ]
        row = (statement.key, statement.title, None, None, None, None, None)
        yield ("statement", statement.date, *row, _joined(how))
    signatures = found["signatures"].options(selectinload(Signature.sources))
    for signature in streamed(session, signatures):
        statement, person = signature.statement, signature.person
        how = ["source"] if any(source.id == source_id for source in signature.sources) else []
        if signature.withdrawal_source_id == source_id:
            how.append("withdrawal")
        row = (statement.key, statement.title, person.key, person.name, None, None, None)
        yield ("signature", statement.date, *row, _joined(how))
    for event in streamed(session, found["events"]):
        yield _event_row(event)


def _event_row(event: Event) -> tuple[Any, ...]:
    statement = event.statement
    return (
        "event",
        event.date,
        statement.key if statement is not None else None,
        statement.title if statement is not None else None,
        _joined(person.key for person in event.people),
        _joined(person.name for person in event.people),
        event.key,
        event.kind,
        event.description,
        "source",
    )
