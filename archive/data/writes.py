"""Whole records onto rows: changes to stored rows through the ORM, and new records as plain
bulk inserts with their references resolved by id."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from archive.data.batches import batched
from archive.data.models import (
    Demand,
    DistrictName,
    MergedKey,
    PersonIdentifier,
    PersonName,
    Signature,
    Translation,
    event_people,
    event_sources,
    signature_sources,
    statement_districts,
    statement_sources,
)
from archive.data.snapshots import MODELS, SCALARS, Record, Rows
from archive.data.urls import url_key

# A whole record onto a row.


def derived(kind: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """Return the columns of a row that are computed from its record, not given: a source's
    ``url_key`` (one source per address, archive.data.urls)."""
    return {"url_key": url_key(record["url"])} if kind == "source" else {}


def apply(kind: str, row: Any, record: Mapping[str, Any], rows: Rows) -> None:
    """Set every field of ``row`` from the whole ``record``, resolving keys through ``rows``."""
    for name in SCALARS[kind]:
        setattr(row, name, record[name])
    for name, value in derived(kind, record).items():
        setattr(row, name, value)
    if kind in ("district", "person"):
        name_model = DistrictName if kind == "district" else PersonName
        row.names = [name_model(name=n, language=lang) for lang, n in record["names"].items()]
        row.names += [name_model(name=alias, language=None) for alias in record["aliases"]]
    if kind == "person":
        row.identifiers = _reuse(
            row.identifiers, ("scheme", "value"), record["identifiers"], PersonIdentifier
        )
        merged = [{"key": key} for key in record["merged_keys"]]
        row.merged = _reuse(row.merged, ("key",), merged, MergedKey)
    if kind == "district":
        row.parent = rows.get("district", record["parent"])
    elif kind == "source":
        row.cites = rows.get("source", record["cites"])
    elif kind == "statement":
        row.districts = [rows.get("district", key) for key in record["districts"]]
        row.demands = _reuse(
            row.demands,
            ("demand",),
            [{"demand": demand, "position": i} for i, demand in enumerate(record["demands"], 1)],
            Demand,
        )
        row.translations = _reuse(
            row.translations,
            ("language",),
            [{**t, "source": rows.get("source", t["source"])} for t in record["translations"]],
            Translation,
        )
    elif kind == "signature":
        row.statement = rows.get("statement", record["statement"])
        row.person = rows.get("person", record["person"])
        row.district = rows.get("district", record["district"])
        row.withdrawal_source = rows.get("source", record["withdrawal_source"])
    elif kind == "event":
        row.statement = rows.get("statement", record["statement"])
        row.people = [rows.get("person", key) for key in record["people"]]
    if kind in ("statement", "signature", "event"):
        row.sources = [rows.get("source", key) for key in record["sources"]]


def _reuse(
    current: list[Any], match: tuple[str, ...], wanted: list[dict[str, Any]], model: Any
) -> list[Any]:
    """Return child rows for ``wanted``, updating the current row that has the same values
    of the ``match`` fields.

    Replacing children with new objects would insert before the old ones are deleted, and so
    break a unique constraint such as one translation per language or one person per
    identifier.
    """
    by_match = {tuple(getattr(child, name) for name in match): child for child in current}
    children = []
    for values in wanted:
        child = by_match.get(tuple(values[name] for name in match)) or model()
        for name, value in values.items():
            setattr(child, name, value)
        children.append(child)
    return children


# New records in bulk: plain inserts of many rows at once, references resolved by id.


def table_of(model: Any) -> Table:
    """Return the table a model declares."""
    return cast(Table, model.__table__)


# Columns that refer to another kind: column -> (field of the record, kind referred to).
REFERENCES: dict[str, dict[str, tuple[str, str]]] = {
    "signature": {
        "statement_id": ("statement", "statement"),
        "person_id": ("person", "person"),
        "district_id": ("district", "district"),
        "withdrawal_source_id": ("withdrawal_source", "source"),
    },
    "event": {"statement_id": ("statement", "statement")},
}
# A reference to the same kind, set once every new row of the kind has its id.
SELF_REFERENCES = {"district": ("parent_id", "parent"), "source": ("cites_id", "cites")}
# Names in other languages and spellings: kind -> (table, column of the owner).
# Identifiers of people: (table, column of the owner).
IDENTIFIERS = (table_of(PersonIdentifier), "person_id")
NAME_TABLES: dict[str, tuple[Table, str]] = {
    "district": (table_of(DistrictName), "district_id"),
    "person": (table_of(PersonName), "person_id"),
}
# Many-to-many lists: kind -> (link table, field of the record, kind referred to).
LINKS: dict[str, tuple[tuple[Table, str, str], ...]] = {
    "statement": (
        (statement_sources, "sources", "source"),
        (statement_districts, "districts", "district"),
    ),
    "signature": ((signature_sources, "sources", "source"),),
    "event": ((event_people, "people", "person"), (event_sources, "sources", "source")),
}


class Ids:
    """Row ids by natural key, loaded in chunks and learned as rows are inserted."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[str, dict[str, int]] = {kind: {} for kind in MODELS}

    def need(self, kind: str, keys: Iterable[str | None]) -> None:
        """Load the ids of those ``keys`` not yet known."""
        known = self.known[kind]
        missing = sorted({key for key in keys if key is not None and key not in known})
        model = MODELS[kind]
        for chunk in batched(missing):
            rows = self.session.execute(select(model.key, model.id).where(model.key.in_(chunk)))
            known.update((key, row_id) for key, row_id in rows)

    def of(self, kind: str, key: str | None) -> int | None:
        """Return the id of a key that :meth:`need` loaded (None for no key)."""
        return None if key is None else self.known[kind][key]


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` into ``table`` and return their ids, in order."""
    if not rows:
        return []
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.execute(statement, rows).scalars())


def insert_links(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows that need no id back (names, demands, links)."""
    if rows:
        session.execute(insert(table), rows)


def insert_new(
    session: Session, ids: Ids, kind: str, new: list[tuple[str, Record]]
) -> list[tuple[int, str]]:
    """Insert whole new records of one kind, with their names, children and links; return
    (row id, key) for each reference to the same kind, for :func:`set_self_references` once
    every new record of the kind is in (a district's parent may come later in the file)."""
    if not new:
        return []
    records = [record for _key, record in new]
    _need_references(ids, kind, records)
    references = REFERENCES.get(kind, {})
    table = table_of(Signature if kind == "signature" else MODELS[kind])
    values = [
        {name: record[name] for name in SCALARS[kind]}
        | derived(kind, record)
        | {
            column: ids.of(ref_kind, record[field_name])
            for column, (field_name, ref_kind) in references.items()
        }
        for record in records
    ]
    row_ids = insert_rows(session, table, values)
    if kind != "signature":
        ids.known[kind].update(zip((key for key, _record in new), row_ids, strict=True))
    owned = list(zip(row_ids, records, strict=True))
    _insert_parts(session, ids, kind, owned)
    if kind not in SELF_REFERENCES:
        return []
    _column, field_name = SELF_REFERENCES[kind]
    return [(row_id, r[field_name]) for row_id, r in owned if r[field_name]]


def _need_references(ids: Ids, kind: str, records: list[Record]) -> None:
    """Load the ids of every record the new records refer to, a few queries per kind."""
    for field_name, ref_kind in REFERENCES.get(kind, {}).values():
        ids.need(ref_kind, (record[field_name] for record in records))
    for _table, field_name, ref_kind in LINKS.get(kind, ()):
        ids.need(ref_kind, (key for record in records for key in record[field_name]))
    if kind == "statement":
        ids.need("source", (t["source"] for record in records for t in record["translations"]))


def _insert_parts(session: Session, ids: Ids, kind: str, owned: list[tuple[int, Record]]) -> None:
    """Insert the names, links, demands and translations of new rows, given as (id, record)."""
    if kind in NAME_TABLES:
        name_table, owner = NAME_TABLES[kind]
        insert_links(
            session,
            name_table,
            [
                {owner: row_id, "name": name, "language": language}
                for row_id, r in owned
                for language, name in [*r["names"].items(), *((None, a) for a in r["aliases"])]
            ],
        )
    if kind == "person":
        table, owner = IDENTIFIERS
        insert_links(
            session, table, [{owner: row_id, **i} for row_id, r in owned for i in r["identifiers"]]
        )
        insert_links(
            session,
            table_of(MergedKey),
            [
                {"person_id": row_id, "key": key, "record": {}}
                for row_id, r in owned
                for key in r["merged_keys"]
            ],
        )
    for link_table, field_name, ref_kind in LINKS.get(kind, ()):
        mine, theirs = (column.name for column in link_table.c)
        insert_links(
            session,
            link_table,
            [
                {mine: row_id, theirs: ids.of(ref_kind, key)}
                for row_id, r in owned
                for key in r[field_name]
            ],
        )
    if kind == "statement":
        _insert_statement_parts(session, ids, owned)


def _insert_statement_parts(session: Session, ids: Ids, owned: list[tuple[int, Record]]) -> None:
    """Insert the demands and translations of new statements."""
    insert_links(
        session,
        table_of(Demand),
        [
            {"statement_id": row_id, "position": position, "demand": demand}
            for row_id, r in owned
            for position, demand in enumerate(r["demands"], 1)
        ],
    )
    insert_links(
        session,
        table_of(Translation),
        [
            {
                "statement_id": row_id,
                "language": t["language"],
                "text": t["text"],
                "translator": t["translator"],
                "source_id": ids.of("source", t["source"]),
            }
            for row_id, r in owned
            for t in r["translations"]
        ],
    )


def set_self_references(
    session: Session, ids: Ids, kind: str, pointing: list[tuple[int, str]]
) -> None:
    """Point new rows at the rows of their own kind they refer to (parents, cited sources)."""
    if not pointing:
        return
    column, _field_name = SELF_REFERENCES[kind]
    ids.need(kind, (key for _row_id, key in pointing))
    table = table_of(MODELS[kind])
    session.execute(
        update(table).where(table.c.id == bindparam("b_id")).values({column: bindparam("b_ref")}),
        [{"b_id": row_id, "b_ref": ids.of(kind, key)} for row_id, key in pointing],
    )
