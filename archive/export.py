"""The archive as tidy CSV tables: rows in key order, streaming writers, the data package.

The tables and their columns are those of :mod:`archive.tables`, which the import reads, so
an exported package imports back into an empty archive and exports again byte for byte.
Table files depend only on the data: the same dataset version gives identical bytes, whatever
the time zone or locale. The export time is written in ``datapackage.json`` alone.

Two CSV dialects: the plain one is exact UTF-8 (RFC 4180, CRLF line ends); the one for
spreadsheets adds a byte-order mark (so Excel reads UTF-8) and neutralises cells that a
spreadsheet would run as formulas by putting an apostrophe before them.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from sqlalchemy import Result, Select, select
from sqlalchemy.orm import Session, aliased

from archive import records
from archive.models import (
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
from archive.store import dataset_version
from archive.tables import LIST_SEPARATOR, TABLES, TABLES_BY_NAME, Table

# A SELECT of one table's columns (its row type differs from table to table).
Query = Any
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
CHUNK_ROWS = 500
DATE_PATTERN = r"\d{4}(-\d{2}(-\d{2})?)?"
INTEGER_COLUMNS = {"position", "reported_signatories"}
DATE_COLUMNS = {"date", "published", "accessed", "withdrawn"}
# Primary keys and the references between tables, for the data package's table schemas.
PRIMARY_KEYS: dict[str, list[str]] = {
    "districts": ["key"],
    "people": ["key"],
    "sources": ["key"],
    "statements": ["key"],
    "statement_districts": ["statement_key", "district_key"],
    "translations": ["statement_key", "language"],
    "statement_sources": ["statement_key", "source_key"],
    "signatures": ["statement_key", "person_key"],
    "signature_sources": ["statement_key", "person_key", "source_key"],
    "events": ["key"],
    "event_people": ["event_key", "person_key"],
    "event_sources": ["event_key", "source_key"],
}
FOREIGN_KEYS: dict[str, list[tuple[list[str], str, list[str]]]] = {
    "districts": [(["parent_key"], "districts", ["key"])],
    "district_names": [(["district_key"], "districts", ["key"])],
    "aliases": [(["person_key"], "people", ["key"])],
    "sources": [(["cites_key"], "sources", ["key"])],
    "statement_districts": [
        (["statement_key"], "statements", ["key"]),
        (["district_key"], "districts", ["key"]),
    ],
    "translations": [
        (["statement_key"], "statements", ["key"]),
        (["source_key"], "sources", ["key"]),
    ],
    "statement_sources": [
        (["statement_key"], "statements", ["key"]),
        (["source_key"], "sources", ["key"]),
    ],
    "signatures": [
        (["statement_key"], "statements", ["key"]),
        (["person_key"], "people", ["key"]),
        (["district_key"], "districts", ["key"]),
        (["withdrawal_source_key"], "sources", ["key"]),
    ],
    "signature_sources": [
        (["statement_key", "person_key"], "signatures", ["statement_key", "person_key"]),
        (["source_key"], "sources", ["key"]),
    ],
    "events": [(["statement_key"], "statements", ["key"])],
    "event_people": [(["event_key"], "events", ["key"]), (["person_key"], "people", ["key"])],
    "event_sources": [(["event_key"], "events", ["key"]), (["source_key"], "sources", ["key"])],
}


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
                records.date_precision(date),
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
        yield from _batched(query, CHUNK_ROWS)


def rows(session: Session, table: str) -> Iterator[tuple[Any, ...]]:
    """Yield the rows of one table in key order, streaming from the database."""
    for batch in batches(session, table):
        yield from map(tuple, batch)


def _result(session: Session, query: Query) -> Result[*tuple[Any, ...]]:
    """Return a query's rows, fetched CHUNK_ROWS at a time (a server-side cursor on PostgreSQL)."""
    # On the session's connection, as Core rows: the ORM's loading of rows would take as long
    # as the database's own reading of them.
    return session.connection().execute(query.execution_options(yield_per=CHUNK_ROWS))


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


# Writing CSV.


def cell(value: Any, spreadsheet: bool = False) -> str:
    """Return a value as a CSV cell; for spreadsheets, text that looks like a formula is quoted."""
    if value is None:
        return ""
    text = str(value)
    if spreadsheet and isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def stream_csv(
    header: Iterable[str], body: Iterable[Iterable[Any]], spreadsheet: bool = False
) -> Iterator[str]:
    """Yield a CSV document in chunks of rows (RFC 4180, CRLF; BOM and quoting for spreadsheets)."""
    return stream_batches(header, _batched(body, CHUNK_ROWS), spreadsheet)


def stream_batches(
    header: Iterable[str], body: Iterable[Sequence[Iterable[Any]]], spreadsheet: bool = False
) -> Iterator[str]:
    """Yield a CSV document a chunk for each batch of rows (as :func:`stream_csv`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if spreadsheet:
        buffer.write(BOM)
    writer.writerow(list(header))
    for batch in body:
        # The writer makes the plain cells itself, as cell() would: None empty, str() of the
        # rest (repr() of a float, the same text).
        writer.writerows(
            [[cell(value, True) for value in row] for row in batch] if spreadsheet else batch
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def table_csv(session: Session, table: str, spreadsheet: bool = False) -> Iterator[str]:
    """Yield one whole table as CSV."""
    header = [column.name for column in TABLES_BY_NAME[table].columns]
    return stream_batches(header, batches(session, table), spreadsheet)


# The data package.


def field_schema(table: Table) -> list[dict[str, Any]]:
    """Return the Frictionless field descriptors of a table: name, type, description."""
    fields = []
    for column in table.columns:
        field: dict[str, Any] = {"name": column.name, "description": column.description}
        if column.name in INTEGER_COLUMNS:
            field.update(type="integer", constraints={"minimum": 0})
        else:
            field["type"] = "string"
        if column.name in DATE_COLUMNS:
            field["constraints"] = {"pattern": DATE_PATTERN}
        # A key column may not be empty (Frictionless does not imply it from the primary key).
        if column.required or column.name in PRIMARY_KEYS.get(table.name, []):
            field.setdefault("constraints", {})["required"] = True
        fields.append(field)
    return fields


def table_schema(table: Table) -> dict[str, Any]:
    """Return a table's Frictionless schema: fields, primary key and foreign keys."""
    schema: dict[str, Any] = {"fields": field_schema(table), "missingValues": [""]}
    if table.name in PRIMARY_KEYS:
        schema["primaryKey"] = PRIMARY_KEYS[table.name]
    references = FOREIGN_KEYS.get(table.name, [])
    if references:
        schema["foreignKeys"] = [
            {"fields": fields, "reference": {"resource": target, "fields": target_fields}}
            for fields, target, target_fields in references
        ]
    return schema


def datapackage(version: int, created: datetime, spreadsheet: bool = False) -> dict[str, Any]:
    """Return the datapackage.json of an export: every table, its codebook and the version."""
    return {
        "profile": "tabular-data-package",
        "name": "dissent-archive",
        "title": "Dissent archive",
        "version": f"{version}.0.0",
        "dataset_version": version,
        "created": created.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0"}],
        "resources": [_resource(table, spreadsheet) for table in TABLES],
    }


def _resource(table: Table, spreadsheet: bool) -> dict[str, Any]:
    return {
        "name": table.name,
        "path": f"{table.name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8-sig" if spreadsheet else "utf-8",
        "dialect": {
            "delimiter": ",",
            "lineTerminator": "\r\n",
            "quoteChar": '"',
            "doubleQuote": True,
            "header": True,
        },
        "schema": table_schema(table),
    }


class _Sink(io.RawIOBase):
    """A write-only stream whose bytes are collected and handed on in chunks."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


# A fixed time for every member of the zip, so that its bytes depend on the data alone.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# Deflate level 4, not zlib's default 6: at 200,000 signatures (120 MB of CSV) it compresses
# in 1.4 s instead of 4.0 (most of the export's time) to 24.1 MB instead of 21.3; level 2
# would save another 0.5 s for a zip of 27.6 MB.
ZIP_LEVEL = 4


def stream_zip(
    session: Session, created: datetime | None = None, spreadsheet: bool = False
) -> Iterator[bytes]:
    """Yield the whole archive as one zip: every table and datapackage.json, streaming."""
    sink = _Sink()
    version = dataset_version(session)
    created = created or datetime.now(UTC)
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in TABLES:
            info = zipfile.ZipInfo(f"{table.name}.csv", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            # The level is the member's (ZipInfo.compress_level from Python 3.13).
            info._compresslevel = ZIP_LEVEL  # type: ignore[attr-defined]
            with archive.open(info, mode="w") as member:
                for chunk in table_csv(session, table.name, spreadsheet):
                    member.write(chunk.encode("utf-8"))
                    yield sink.take()
        package = (
            json.dumps(datapackage(version, created, spreadsheet), indent=2, ensure_ascii=False)
            + "\n"
        )
        archive.writestr(zipfile.ZipInfo("datapackage.json", date_time=ZIP_TIME), package)
    yield sink.take()
