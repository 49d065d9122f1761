"""Records in and out of the database: a row as a whole record, a whole record onto a row.

Every write goes through :func:`write_records`, which compares each record with what is stored,
changes only what differs and writes a revision (before and after) for every change. The
dataset version is the newest revision's id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(session.scalars(select(model.key).where(model.key.in_(chunk))))
    return found


class Rows:
    """Rows by natural key, loaded once per import and shared by every reference to them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[tuple[str, str], Any] = {}

    def get(self, kind: str, key: str | None) -> Any:
        """Return the row of ``kind`` with ``key``, or None."""
        if key is None:
            return None
        if (kind, key) not in self.cache:
            self.cache[kind, key] = self._load(kind, key)
        return self.cache[kind, key]

    def _load(self, kind: str, key: str) -> Any:
        if kind == "signature":
            statement_key, person_key = key.split("/", 1)
            statement, person = self.get("statement", statement_key), self.get("person", person_key)
            if statement is None or person is None:
                return None
            return self.session.scalar(
                select(Signature).where(
                    Signature.statement_id == statement.id, Signature.person_id == person.id
                )
            )
        model = MODELS[kind]
        return self.session.scalar(select(model).where(model.key == key))

    def add(self, kind: str, key: str, row: Any) -> None:
        """Remember a new row under its key and add it to the session."""
        self.cache[kind, key] = row
        self.session.add(row)


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
    """Writes records in one transaction, with a changeset and a revision per change."""

    session: Session
    actor: str
    summary: str | None = None
    rows: Rows = field(init=False)
    tally: Tally = field(default_factory=Tally)
    changeset: Changeset | None = None

    def __post_init__(self) -> None:
        self.rows = Rows(self.session)

    def _revision(self, kind: str, key: str, action: str, before: Any, after: Any) -> None:
        if self.changeset is None:
            self.changeset = Changeset(
                created_at=datetime.now(UTC).replace(tzinfo=None),
                actor=self.actor,
                summary=self.summary,
            )
            self.session.add(self.changeset)
        self.session.add(
            Revision(
                changeset=self.changeset,
                record_type=kind,
                record_key=key,
                action=action,
                before=before,
                after=after,
            )
        )
        self.tally.add(kind, {"insert": "created", "update": "updated"}.get(action, "deleted"))

    def write(self, kind: str, given: Iterable[Mapping[str, Any]]) -> None:
        """Create or update records of one kind; a record equal to the stored one is left."""
        given = list(given)
        with self.session.no_autoflush:
            pending = []
            for record in given:
                key = record_key(kind, record)
                row = self.rows.get(kind, key)
                before = snapshot(kind, row) if row is not None else None
                after = complete(kind, before, record)
                if after == before:
                    self.tally.add(kind, "unchanged")
                    continue
                if row is None:
                    row = _new_row(kind)
                    self.rows.add(kind, key, row)
                pending.append((key, row, before, after))
            # Rows are all known before references are set, so records may point at each
            # other in any order within one kind (a district's parent, a source it cites).
            for key, row, before, after in pending:
                apply(kind, row, after, self.rows)
                action = "insert" if before is None else "update"
                self._revision(kind, key, action, before, after)
        self.session.flush()

    def delete_signature(self, key: str) -> None:
        """Delete a stored signature, keeping its last state in a revision."""
        row = self.rows.get("signature", key)
        if row is None:
            return
        before = snapshot("signature", row)
        self.session.delete(row)
        self.rows.cache["signature", key] = None
        self._revision("signature", key, "delete", before, None)
