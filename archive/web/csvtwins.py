"""The CSV twins of the pages: tidy rows built from records, streamed by one function.

Every list and record page, and the search, has a CSV twin beside its JSON twin. A twin is a
:class:`Layout` (stable snake_case columns, each described: the codebook on ``/export`` lists
them) and a lazy iterator of rows; :func:`csv_response` streams any of them the same way:
every row, not one page, read in batches from one database transaction, with the dataset
version in a last column, in the ``X-Dataset-Version`` header and in the file name.

Two dialects, as in the archive's export (:mod:`archive.export`): the plain one is exact UTF-8
(RFC 4180); ``?excel=1`` gives the one for spreadsheets, with a byte-order mark and cells that
a spreadsheet would run as formulas neutralised. ``?dl=1`` sends the file as a download.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any, AnyStr, TypeVar

from anyascii import anyascii
from flask import Response, request, stream_with_context, url_for
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from archive import reads
from archive.data import revisions
from archive.data.models import Event, Person, Signature, Statement
from archive.export import dialects
from archive.importing import fields
from archive.importing.tables import LIST_SEPARATOR, TABLES_BY_NAME
from archive.reads.tree import DistrictTree
from archive.web.context import take_session

CSV_TYPE = "text/csv; charset=utf-8"
BATCH = 100  # records read from the database at a time
MAX_NAME_WORD = 60  # characters of a query or key kept in a file name
TRUE = ("1", "true", "yes", "on")
T = TypeVar("T")


# The layouts of the twins: their columns and what each holds.


@dataclass(frozen=True)
class Layout:
    """The columns of one kind of CSV twin, with their descriptions, and where it is used."""

    name: str
    used_by: str
    columns: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        if self.columns[-1][0] != "dataset_version":
            raise ValueError(f"the {self.name} layout must end with dataset_version")

    @property
    def header(self) -> list[str]:
        """Return the column names, ending with dataset_version."""
        return [name for name, _ in self.columns]


def _table(table: str, *names: str) -> tuple[tuple[str, str], ...]:
    """Return columns of an export table with the descriptions that tables.py gives them."""
    described = {column.name: column.description for column in TABLES_BY_NAME[table].columns}
    return tuple((name, described[name]) for name in names)


VERSION_COLUMN = (
    "dataset_version",
    "the dataset version the file was exported from (the same in every row)",
)
STATEMENTS = Layout(
    "statements",
    "search results (/search.csv), the statements list (/statements.csv) and the statements "
    "from a district and the districts below it (/districts/<key>.csv)",
    (
        ("key", "the statement's permanent key"),
        ("url", "address of the statement's page in the archive"),
        *_table("statements", "title", "date", "date_precision", "kind", "language", "demands"),
        *_table("statements", "addressee", "reported_signatories"),
        ("named_signatories", "number of signatories the archive names"),
        ("districts", "keys of the districts where its signatories hold office, separated by ;"),
        ("district_names", "names of those districts, in the same order, separated by ;"),
        ("publishers", "publishers of its sources, separated by ;"),
        ("sources", "keys of its sources, separated by ;"),
        *_table("statements", "summary"),
        VERSION_COLUMN,
    ),
)
SIGNATURES = Layout(
    "signatures",
    "the signatures of the statements found (/search.csv?rows=signatures), of one statement "
    "(/statements/<key>.csv) and of one person (/people/<key>.csv), one row per signature",
    (
        ("statement_key", "key of the statement"),
        ("statement_title", "title of the statement"),
        ("statement_date", "date of the statement (YYYY, YYYY-MM or YYYY-MM-DD)"),
        ("person_key", "key of the person"),
        ("person_name", "display name of the person"),
        *_table("signatures", "position", "role", "district_key"),
        ("district_name", "name of that district"),
        *_table("signatures", "stance", "withdrawn", "withdrawal_source_key", "note"),
        ("sources", "keys of the sources for the signature, separated by ;"),
        VERSION_COLUMN,
    ),
)
PEOPLE = Layout(
    "people",
    "the list of people (/people.csv)",
    (
        ("key", "the person's permanent key"),
        ("url", "address of the person's page in the archive"),
        *_table("people", "name", "description"),
        ("statements", "number of statements the person is part of"),
        VERSION_COLUMN,
    ),
)
DISTRICTS = Layout(
    "districts",
    "the district tree (/districts.csv), depth first",
    (
        *_table("districts", "key"),
        ("url", "address of the district's page in the archive"),
        *_table("districts", "name", "kind", "parent_key"),
        ("depth", "how deep in the tree it lies (0 for a country)"),
        ("statements", "number of statements from it and the districts below it"),
        ("signatories", "number of named signatories holding office in it or below it"),
        VERSION_COLUMN,
    ),
)
SOURCES = Layout(
    "sources",
    "the list of sources (/sources.csv)",
    (
        ("key", "the source's permanent key"),
        ("page_url", "address of the source's page in the archive"),
        *_table("sources", "url", "kind", "publisher", "author", "title", "published"),
        *_table("sources", "accessed", "archive_url", "cites_key", "capture_sha256"),
        VERSION_COLUMN,
    ),
)
CITING = Layout(
    "citing",
    "the records citing one source (/sources/<key>.csv): statements, then signatures, then events",
    (
        ("record_type", "statement, signature or event"),
        ("date", "date of the statement, or of the event"),
        ("statement_key", "key of the statement (for an event: the statement it followed)"),
        ("statement_title", "title of that statement"),
        ("person_key", "key of the signatory, or of the people an event concerns, separated by ;"),
        ("person_name", "their names, in the same order, separated by ;"),
        ("event_key", "key of the event"),
        ("event_kind", "what happened"),
        ("description", "the event in words"),
        (
            "cited_as",
            "how the record cites the source, separated by ;: source, withdrawal (a signature "
            "withdrawn on its word) or translation:<language> (a statement's translation)",
        ),
        VERSION_COLUMN,
    ),
)
LAYOUTS = (STATEMENTS, SIGNATURES, PEOPLE, DISTRICTS, SOURCES, CITING)


# The answer: one streamed CSV for every twin.


def flag(name: str) -> bool:
    """Tell whether the request sets a yes-or-no argument (?excel=1, ?dl=1)."""
    return request.args.get(name, "").strip().lower() in TRUE


def slug(text: str) -> str:
    """Return text as a piece of a file name: ASCII letters, digits and hyphens."""
    ascii_text = re.sub(r"[^a-z0-9]+", "-", anyascii(text).lower()).strip("-")
    return ascii_text[:MAX_NAME_WORD].strip("-")


def file_name(parts: Iterable[str], version: int, spreadsheet: bool, extension: str) -> str:
    """Return a download's file name: what it holds, the dataset version, the dialect."""
    words = [word for word in (slug(part) for part in parts) if word]
    words.append(f"v{version}")
    if spreadsheet:
        words.append("excel")
    return f"{'-'.join(words)}.{extension}"


def own_version() -> tuple[Session, int]:
    """Take the request's session over (archive.web.context.take_session) and read the version
    in it.

    Everything a stream reads from that session sees the data of that version (one
    transaction); should reading the version fail, the session is closed here.
    """
    session = take_session()
    try:
        return session, revisions.dataset_version(session)
    except BaseException:
        session.close()
        raise


def _closing(body: Iterable[AnyStr], session: Session) -> Iterator[AnyStr]:
    try:
        yield from body
    finally:
        session.close()


def stream_response(
    body: Iterable[AnyStr],
    content_type: str,
    filename: str,
    version: int,
    session: Session,
    attachment: bool = False,
    exported: datetime | None = None,
) -> Response:
    """Stream a body read from ``session`` (closed at the end) with the export's headers.

    The file is sent as a download when ``attachment`` or the request asks (?dl=1).
    """
    response = Response(stream_with_context(_closing(body, session)), content_type=content_type)
    response.call_on_close(session.close)  # also when the body is never read to its end
    disposition = "attachment" if attachment or flag("dl") else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["X-Dataset-Version"] = str(version)
    response.headers["X-Export-Time"] = export_time(exported)
    return response


def sort_name(sort: str, orders: Mapping[str, Any]) -> str:
    """Return the words naming a list's sort order in a file name (none for the default)."""
    return "" if sort == next(iter(orders)) else f"by-{sort}"


def export_time(when: datetime | None = None) -> str:
    """Return a time (by default now) in UTC, as ISO 8601 to the second, as datapackage.json."""
    when = when or datetime.now(UTC)
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def csv_response(
    layout: Layout,
    rows: Iterable[Sequence[Any] | Mapping[str, Any]],
    name: Sequence[str],
) -> Response:
    """Stream rows (tuples in the layout's order, or dicts by column) as a CSV twin.

    Rows leave out dataset_version, which is added here. ``name`` names the file: what it
    holds, in words or keys (the version and dialect are added).
    """
    session, version = own_version()
    spreadsheet = flag("excel")
    header = layout.header
    names = header[:-1]

    def values(row: Sequence[Any] | Mapping[str, Any]) -> list[Any]:
        cells = [row.get(n) for n in names] if isinstance(row, Mapping) else list(row)
        cells.append(version)
        return cells

    body = dialects.stream_csv(header, (values(row) for row in rows), spreadsheet)
    return stream_response(
        body, CSV_TYPE, file_name(name, version, spreadsheet, "csv"), version, session
    )


# Reading records in batches.


def batched(items: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    """Yield lists of up to ``size`` items."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


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


def statement_rows(session: Session, statements: Iterable[Statement]) -> Iterator[tuple[Any, ...]]:
    """Yield a row for each statement (loaded with STATEMENT_LOADS), in the order given."""
    for batch in batched(statements):
        named = reads.statements.signature_counts(session, [statement.id for statement in batch])
        for statement in batch:
            yield _statement_row(statement, named.get(statement.id, 0))


def _statement_row(statement: Statement, named: int) -> tuple[Any, ...]:
    return (
        statement.key,
        url_for("statements.show", key=statement.key, _external=True),
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


def listed_statements(session: Session, query: Select[Statement]) -> Iterator[tuple[Any, ...]]:
    """Yield the rows of every statement a query selects, in its order."""
    return statement_rows(session, streamed(session, query.options(*STATEMENT_LOADS)))


def statements_by_keys(session: Session, keys: Sequence[str]) -> list[Statement]:
    """Return the statements with the given keys, in that order, loaded for their rows."""
    query = select(Statement).where(Statement.key.in_(list(keys))).options(*STATEMENT_LOADS)
    found = {statement.key: statement for statement in session.scalars(query)}
    return [found[key] for key in keys if key in found]


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


def signatures_of_statements(session: Session, keys: Sequence[str]) -> list[Signature]:
    """Return the signatures of the statements with the given keys: statement by statement in
    that order, each statement's in its own order."""
    query = (
        select(Signature)
        .join(Signature.statement)
        .where(Statement.key.in_(list(keys)))
        .options(*SIGNATURE_LOADS)
    )
    place = {key: number for number, key in enumerate(keys)}
    found = session.scalars(query).all()
    return sorted(found, key=lambda sig: (place[sig.statement.key], sig.position, sig.id))


def person_signatures(session: Session, person: Person) -> Iterator[tuple[Any, ...]]:
    """Yield a person's signatures as rows, oldest statement first (as on their page)."""
    query = (
        select(Signature)
        .join(Signature.statement)
        .where(Signature.person_id == person.id)
        .order_by(Statement.date.asc().nulls_last(), Statement.key)
        .options(*SIGNATURE_LOADS)
    )
    return (signature_row(signature) for signature in streamed(session, query))


# The search: every statement it finds (archive.index.search.all_matching_keys finds their keys).


def search_statement_rows(session: Session, keys: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """Yield a row for each of the statements a search found, in the search's order."""
    for batch in batched(keys):
        yield from statement_rows(session, statements_by_keys(session, batch))


def search_signature_rows(session: Session, keys: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """Yield a row for every signature of the statements a search found."""
    for batch in batched(keys):
        for signature in signatures_of_statements(session, batch):
            yield signature_row(signature)


def search_name(text: str, filters: Mapping[str, str], signatures: bool) -> list[str]:
    """Return the words that name a search's download: its query and filters."""
    words = ["search", text or "all"]
    words += [f"{name}-{value}" for name, value in filters.items()]
    if signatures:
        words.append("signatures")
    return words


# People, districts and sources.


def people_rows(session: Session, query: Select[Person]) -> Iterator[tuple[Any, ...]]:
    """Yield a row for every person a query selects, with their number of statements."""
    for batch in batched(streamed(session, query)):
        counts = reads.people.statement_counts(session, batch)
        for person in batch:
            yield (
                person.key,
                url_for("people.show", key=person.key, _external=True),
                person.name,
                person.description,
                counts[person.id],
            )


def district_rows(session: Session, tree: DistrictTree, order: str) -> Iterator[tuple[Any, ...]]:
    """Yield a row for every district of the tree, depth first, siblings in ``order``."""
    counts = reads.districts.district_counts(session)
    for node, depth in tree.walk(order=order):
        parent = tree.by_id.get(node.parent_id) if node.parent_id is not None else None
        counted = counts.get(node.id, reads.districts.DistrictCounts())
        yield (
            node.key,
            url_for("districts.show", key=node.key, _external=True),
            node.name,
            node.kind,
            parent.key if parent is not None else None,
            depth,
            counted.statements,
            counted.signatories,
        )


def source_rows(session: Session, query: Select[Any]) -> Iterator[tuple[Any, ...]]:
    """Yield a row for every source a query selects (without its captured text)."""
    for source in streamed(session, query):
        yield (
            source.key,
            url_for("sources.show", key=source.key, _external=True),
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
