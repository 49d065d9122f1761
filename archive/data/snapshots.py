"""Stored rows as whole records in the import format, and the rows loaded by natural key
with what their snapshots read."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from archive.data.batches import batched
from archive.data.models import (
    District,
    DistrictName,
    Event,
    Person,
    PersonName,
    Signature,
    Source,
    Statement,
    Translation,
)

Record = dict[str, Any]
MODELS: dict[str, Any] = {
    "district": District,
    "person": Person,
    "source": Source,
    "statement": Statement,
    "event": Event,
}


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
        for chunk in batched(wanted):
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
    "person": (
        selectinload(Person.names),
        selectinload(Person.identifiers),
        selectinload(Person.merged),
    ),
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

# The fields of each kind that are plain columns of its row, in the import format's order.
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


def snapshot(kind: str, row: Any) -> Record:
    """Return a stored row as a whole record in the import format."""
    return SNAPSHOTS[kind](row)


def _names(rows: Iterable[DistrictName | PersonName]) -> tuple[dict[str, str], list[str]]:
    names = {row.language: row.name for row in rows if row.language}
    aliases = sorted(row.name for row in rows if not row.language)
    return dict(sorted(names.items())), aliases


def _key(row: Any) -> str | None:
    return row.key if row is not None else None


def _scalars(kind: str, row: Any) -> Record:
    return {name: getattr(row, name) for name in SCALARS[kind]}


def _district(row: District) -> Record:
    names, aliases = _names(row.names)
    return {
        **_scalars("district", row),
        "parent": _key(row.parent),
        "names": names,
        "aliases": aliases,
    }


def _person(row: Person) -> Record:
    names, aliases = _names(row.names)
    identifiers = [{"scheme": i.scheme, "value": i.value} for i in row.identifiers]
    return {
        **_scalars("person", row),
        "names": names,
        "aliases": aliases,
        "identifiers": identifiers,
        "merged_keys": [merged.key for merged in row.merged],
    }


def _source(row: Source) -> Record:
    return {**_scalars("source", row), "cites": _key(row.cites)}


def _statement(row: Statement) -> Record:
    translations = [
        {
            "language": t.language,
            "text": t.text,
            "translator": t.translator,
            "source": _key(t.source),
        }
        for t in row.translations
    ]
    return {
        **_scalars("statement", row),
        "demands": [demand.demand for demand in row.demands],
        "districts": [district.key for district in row.districts],
        "translations": translations,
        "sources": [source.key for source in row.sources],
    }


def _signature(row: Signature) -> Record:
    return {
        **_scalars("signature", row),
        "statement": row.statement.key,
        "person": row.person.key,
        "district": _key(row.district),
        "withdrawal_source": _key(row.withdrawal_source),
        "sources": [source.key for source in row.sources],
    }


def _event(row: Event) -> Record:
    return {
        **_scalars("event", row),
        "statement": _key(row.statement),
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
