"""Records in and out of the database: a row as a whole record, a whole record onto a row.

Every write goes through :func:`write_records`, which compares each record with what is stored,
changes only what differs and writes a revision (before and after) for every change. The
dataset version is the newest revision's id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from archive.models import (
    Changeset,
    Demand,
    District,
    DistrictName,
    Event,
    Person,
    PersonName,
    Revision,
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
from archive.records import complete, record_key

Record = dict[str, Any]
MODELS: dict[str, Any] = {
    "district": District,
    "person": Person,
    "source": Source,
    "statement": Statement,
    "event": Event,
}
# Keys per query: well below SQLite's limit of bound parameters.
CHUNK = 500
# Rows per bulk insert of new records, which bounds the memory of one statement's parameters.
INSERT_CHUNK = 5000
# The order in which kinds are written, so that a record's references exist before it.
WRITE_ORDER = ("district", "source", "person", "statement", "signature", "event")


def dataset_version(session: Session) -> int:
    """Return the dataset version: the id of the newest revision (0 for an empty archive)."""
    return session.scalar(select(func.max(Revision.id))) or 0


def existing_keys(session: Session, kind: str, keys: Iterable[str]) -> set[str]:
    """Return which of ``keys`` name stored records of ``kind``."""
    model = MODELS[kind]
    wanted = sorted(set(keys))
    found: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        found.update(session.scalars(select(model.key).where(model.key.in_(chunk))))
    return found


class Rows:
    """Stored rows by natural key: loaded in chunks, with what their snapshots need."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[tuple[str, str], Any] = {}

    def get(self, kind: str, key: str | None) -> Any:
        """Return the row of ``kind`` with ``key``, or None."""
        if key is None:
            return None
        if (kind, key) not in self.cache:
            self.cache[kind, key] = self.load(kind, [key]).get(key)
        return self.cache[kind, key]

    def load(self, kind: str, keys: Iterable[str]) -> dict[str, Any]:
        """Return the stored rows among ``keys``, by key, in chunks of one query each."""
        wanted = sorted(set(keys))
        found: dict[str, Any] = {}
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            if kind == "signature":
                found.update(self._signatures(chunk))
                continue
            model = MODELS[kind]
            query = select(model).where(model.key.in_(chunk)).options(*EAGER[kind])
            found.update((row.key, row) for row in self.session.scalars(query))
        return found

    def _signatures(self, keys: list[str]) -> dict[str, Signature]:
        wanted = set(keys)
        statements = {key.split("/", 1)[0] for key in keys}
        query = (
            select(Signature)
            .join(Signature.statement)
            .where(Statement.key.in_(statements))
            .options(*EAGER["signature"])
        )
        by_key = {
            f"{row.statement.key}/{row.person.key}": row for row in self.session.scalars(query)
        }
        return {key: row for key, row in by_key.items() if key in wanted}

    def add(self, kind: str, key: str, row: Any) -> None:
        """Remember a row under its key and add it to the session."""
        self.cache[kind, key] = row
        self.session.add(row)


# What a snapshot reads, loaded with the rows (one query per relationship, not per row).
EAGER: dict[str, tuple[Any, ...]] = {
    "district": (selectinload(District.names), joinedload(District.parent)),
    "person": (selectinload(Person.names),),
    "source": (joinedload(Source.cites),),
    "statement": (
        selectinload(Statement.demands),
        selectinload(Statement.translations).joinedload(Translation.source),
        selectinload(Statement.sources),
        selectinload(Statement.districts),
    ),
    "signature": (
        joinedload(Signature.statement),
        joinedload(Signature.person),
        joinedload(Signature.district),
        joinedload(Signature.withdrawal_source),
        selectinload(Signature.sources),
    ),
    "event": (
        joinedload(Event.statement),
        selectinload(Event.people),
        selectinload(Event.sources),
    ),
}


# A row as a whole record.


def snapshot(kind: str, row: Any) -> Record:
    """Return a stored row as a whole record in the import format."""
    return SNAPSHOTS[kind](row)


def _names(rows: Iterable[DistrictName | PersonName]) -> tuple[dict[str, str], list[str]]:
    names = {row.language: row.name for row in rows if row.language}
    aliases = sorted(row.name for row in rows if not row.language)
    return dict(sorted(names.items())), aliases


def _key(row: Any) -> str | None:
    return row.key if row is not None else None


def _district(row: District) -> Record:
    names, aliases = _names(row.names)
    parent = _key(row.parent)
    return {
        "key": row.key,
        "name": row.name,
        "kind": row.kind,
        "parent": parent,
        "names": names,
        "aliases": aliases,
    }


def _person(row: Person) -> Record:
    names, aliases = _names(row.names)
    return {
        "key": row.key,
        "name": row.name,
        "description": row.description,
        "names": names,
        "aliases": aliases,
    }


def _source(row: Source) -> Record:
    return {
        "key": row.key,
        "url": row.url,
        "kind": row.kind,
        "publisher": row.publisher,
        "author": row.author,
        "title": row.title,
        "published": row.published,
        "accessed": row.accessed,
        "archive_url": row.archive_url,
        "cites": _key(row.cites),
        "capture_sha256": row.capture_sha256,
        "capture_text": row.capture_text,
    }


def _statement(row: Statement) -> Record:
    return {
        "key": row.key,
        "title": row.title,
        "kind": row.kind,
        "date": row.date,
        "language": row.language,
        "addressee": row.addressee,
        "reported_signatories": row.reported_signatories,
        "demands": [demand.demand for demand in row.demands],
        "summary": row.summary,
        "text": row.text,
        "districts": [district.key for district in row.districts],
        "translations": [
            {
                "language": t.language,
                "text": t.text,
                "translator": t.translator,
                "source": _key(t.source),
            }
            for t in row.translations
        ],
        "sources": [source.key for source in row.sources],
    }


def _signature(row: Signature) -> Record:
    return {
        "statement": row.statement.key,
        "person": row.person.key,
        "position": row.position,
        "role": row.role,
        "district": _key(row.district),
        "stance": row.stance,
        "withdrawn": row.withdrawn,
        "withdrawal_source": _key(row.withdrawal_source),
        "note": row.note,
        "sources": [source.key for source in row.sources],
    }


def _event(row: Event) -> Record:
    return {
        "key": row.key,
        "date": row.date,
        "kind": row.kind,
        "statement": _key(row.statement),
        "description": row.description,
        "people": [person.key for person in row.people],
        "sources": [source.key for source in row.sources],
    }


SNAPSHOTS: dict[str, Callable[[Any], Record]] = {
    "district": _district,
    "person": _person,
    "source": _source,
    "statement": _statement,
    "signature": _signature,
    "event": _event,
}

# A whole record onto a row.

SCALARS = {
    "district": ("key", "name", "kind"),
    "person": ("key", "name", "description"),
    "source": (
        "key",
        "url",
        "kind",
        "publisher",
        "author",
        "title",
        "published",
        "accessed",
        "archive_url",
        "capture_sha256",
        "capture_text",
    ),
    "statement": (
        "key",
        "title",
        "kind",
        "date",
        "language",
        "addressee",
        "reported_signatories",
        "summary",
        "text",
    ),
    "signature": ("position", "role", "stance", "withdrawn", "note"),
    "event": ("key", "date", "kind", "description"),
}


def apply(kind: str, row: Any, record: Mapping[str, Any], rows: Rows) -> None:
    """Set every field of ``row`` from the whole ``record``, resolving keys through ``rows``."""
    for name in SCALARS[kind]:
        setattr(row, name, record[name])
    if kind in ("district", "person"):
        name_model = DistrictName if kind == "district" else PersonName
        row.names = [name_model(name=n, language=lang) for lang, n in record["names"].items()]
        row.names += [name_model(name=alias, language=None) for alias in record["aliases"]]
    if kind == "district":
        row.parent = rows.get("district", record["parent"])
    elif kind == "source":
        row.cites = rows.get("source", record["cites"])
    elif kind == "statement":
        row.districts = [rows.get("district", key) for key in record["districts"]]
        row.demands = _reuse(
            row.demands,
            "demand",
            [{"demand": demand, "position": i} for i, demand in enumerate(record["demands"], 1)],
            Demand,
        )
        row.translations = _reuse(
            row.translations,
            "language",
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


def _reuse(current: list[Any], match: str, wanted: list[dict[str, Any]], model: Any) -> list[Any]:
    """Return child rows for ``wanted``, updating the current row that has the same ``match``.

    Replacing children with new objects would insert before the old ones are deleted, and so
    break a unique constraint such as one translation per language.
    """
    by_match = {getattr(child, match): child for child in current}
    children = []
    for values in wanted:
        child = by_match.get(values[match]) or model()
        for name, value in values.items():
            setattr(child, name, value)
        children.append(child)
    return children


def _new_row(kind: str) -> Any:
    return Signature() if kind == "signature" else MODELS[kind]()


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
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start : start + CHUNK]
            rows = self.session.execute(select(model.key, model.id).where(model.key.in_(chunk)))
            known.update((key, row_id) for key, row_id in rows)

    def of(self, kind: str, key: str | None) -> int | None:
        """Return the id of a key that :meth:`need` loaded (None for no key)."""
        return None if key is None else self.known[kind][key]


def _insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` into ``table`` and return their ids, in order."""
    if not rows:
        return []
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.execute(statement, rows).scalars())


def _link(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
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
    references = REFERENCES.get(kind, {})
    for field_name, ref_kind in references.values():
        ids.need(ref_kind, (record[field_name] for record in records))
    for _table, field_name, ref_kind in LINKS.get(kind, ()):
        ids.need(ref_kind, (key for record in records for key in record[field_name]))
    if kind == "statement":
        ids.need("source", (t["source"] for record in records for t in record["translations"]))
    table = table_of(Signature if kind == "signature" else MODELS[kind])
    values = [
        {name: record[name] for name in SCALARS[kind]}
        | {
            column: ids.of(ref_kind, record[field_name])
            for column, (field_name, ref_kind) in references.items()
        }
        for record in records
    ]
    row_ids = _insert(session, table, values)
    if kind != "signature":
        ids.known[kind].update(zip((key for key, _record in new), row_ids, strict=True))
    owned = list(zip(row_ids, records, strict=True))
    if kind in NAME_TABLES:
        name_table, owner = NAME_TABLES[kind]
        _link(
            session,
            name_table,
            [
                {owner: row_id, "name": name, "language": language}
                for row_id, r in owned
                for language, name in [*r["names"].items(), *((None, a) for a in r["aliases"])]
            ],
        )
    for link_table, field_name, ref_kind in LINKS.get(kind, ()):
        mine, theirs = (column.name for column in link_table.c)
        _link(
            session,
            link_table,
            [
                {mine: row_id, theirs: ids.of(ref_kind, key)}
                for row_id, r in owned
                for key in r[field_name]
            ],
        )
    if kind == "statement":
        _link(
            session,
            table_of(Demand),
            [
                {"statement_id": row_id, "position": position, "demand": demand}
                for row_id, r in owned
                for position, demand in enumerate(r["demands"], 1)
            ],
        )
        _link(
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
    if kind not in SELF_REFERENCES:
        return []
    _column, field_name = SELF_REFERENCES[kind]
    return [(row_id, r[field_name]) for row_id, r in owned if r[field_name]]


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


@dataclass
class Tally:
    """What a write did, per kind: created, updated, unchanged, deleted."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, kind: str, outcome: str) -> None:
        """Count one outcome for one kind."""
        per_kind = self.counts.setdefault(kind, {})
        per_kind[outcome] = per_kind.get(outcome, 0) + 1

    def changed(self) -> int:
        """Return how many records were created, updated or deleted."""
        return sum(
            n
            for per_kind in self.counts.values()
            for outcome, n in per_kind.items()
            if outcome != "unchanged"
        )


@dataclass
class Writer:
    """Writes records in one transaction, with a changeset and a revision per change.

    New records go in as plain bulk inserts; stored ones are loaded in chunks, compared as
    whole records and changed through the ORM only where they differ.
    """

    session: Session
    actor: str
    summary: str | None = None
    rows: Rows = field(init=False)
    ids: Ids = field(init=False)
    tally: Tally = field(default_factory=Tally)
    changeset_id: int | None = None

    def __post_init__(self) -> None:
        self.rows = Rows(self.session)
        self.ids = Ids(self.session)

    def _revisions(self, kind: str, changes: list[tuple[str, str, Any, Any]]) -> None:
        """Write a revision (key, action, before, after) for every change, in one insert."""
        if not changes:
            return
        if self.changeset_id is None:
            self.changeset_id = _insert(
                self.session,
                table_of(Changeset),
                [
                    {
                        "created_at": datetime.now(UTC).replace(tzinfo=None),
                        "actor": self.actor,
                        "summary": self.summary,
                    }
                ],
            )[0]
        _link(
            self.session,
            table_of(Revision),
            [
                {
                    "changeset_id": self.changeset_id,
                    "record_type": kind,
                    "record_key": key,
                    "action": action,
                    "before": before,
                    "after": after,
                }
                for key, action, before, after in changes
            ],
        )
        for _key, action, _before, _after in changes:
            self.tally.add(kind, {"insert": "created", "update": "updated"}.get(action, "deleted"))

    def write(self, kind: str, given: Iterable[Mapping[str, Any]]) -> None:
        """Create or update records of one kind; a record equal to the stored one is left.

        New records go in chunk by chunk; references within the kind and changes to stored
        records follow once every new record of the kind is in, so records may point at each
        other in any order (a district's parent, a source it cites).
        """
        keyed = [(record_key(kind, record), record) for record in given]
        changed: list[tuple[str, Any, Record | None, Record]] = []
        pointing: list[tuple[int, str]] = []
        for start in range(0, len(keyed), INSERT_CHUNK):
            new = self._sort_chunk(kind, keyed[start : start + INSERT_CHUNK], changed)
            pointing += insert_new(self.session, self.ids, kind, new)
            self._revisions(kind, [(key, "insert", None, after) for key, after in new])
        set_self_references(self.session, self.ids, kind, pointing)
        with self.session.no_autoflush:
            for key, row, _before, _after in changed:
                self.rows.add(kind, key, row)
            for _key, row, _before, after in changed:
                apply(kind, row, after, self.rows)
        self.session.flush()
        self._revisions(
            kind, [(key, "update", before, after) for key, _row, before, after in changed]
        )

    def _sort_chunk(
        self,
        kind: str,
        keyed: list[tuple[str, Mapping[str, Any]]],
        changed: list[tuple[str, Any, Record | None, Record]],
    ) -> list[tuple[str, Record]]:
        """Return the new records of a chunk as whole records; add the stored ones that
        differ to ``changed``, and count those that do not."""
        stored = self.rows.load(kind, (key for key, _record in keyed))
        new: list[tuple[str, Record]] = []
        for key, record in keyed:
            row = stored.get(key)
            before = snapshot(kind, row) if row is not None else None
            after = complete(kind, before, record)
            if row is None:
                new.append((key, after))
            elif after == before:
                self.tally.add(kind, "unchanged")
            else:
                changed.append((key, row, before, after))
        return new

    def delete_signature(self, key: str) -> None:
        """Delete a stored signature, keeping its last state in a revision."""
        row = self.rows.get("signature", key)
        if row is None:
            return
        before = snapshot("signature", row)
        self.session.delete(row)
        self.session.flush()
        self.rows.cache["signature", key] = None
        self._revisions("signature", [(key, "delete", before, None)])
