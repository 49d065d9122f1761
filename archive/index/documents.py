"""Records as documents: one function turns statements and people into the index's documents,
for a catch-up and a rebuild alike (:mod:`archive.index.touched` says which a change touches).

Records are read as plain rows in batches of keys, a few queries per batch (no ORM objects);
each document carries the digest of its own contents, by which ``archive check`` compares the
index with the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive import reads
from archive.data import models
from archive.data.batches import batched


class Districts:
    """The district tree, loaded once, with every name of every district: ``names`` maps a
    district's key to its name, then its other names by language and name."""

    def __init__(self, session: Session) -> None:
        self.tree = reads.districts.district_tree(session)
        self.names = {node.key: [node.name] for node in self.tree.by_id.values()}
        alternates = select(models.District.key, models.DistrictName.name).join(
            models.District, models.DistrictName.district_id == models.District.id
        )
        order = (models.DistrictName.language, models.DistrictName.name)
        for key, name in session.execute(alternates.order_by(*order)):
            self.names[key].append(name)

    def subtree(self, key: str) -> set[str]:
        """Return a district's key and the key of every district below it (the key alone for a
        district not in the tree)."""
        node = self.tree.by_key.get(key)
        if node is None:
            return {key}
        return {below.key for below, _depth in self.tree.walk([node], "key")}


def _join(parts: Iterable[str | None]) -> str:
    return "\n".join(part for part in parts if part)


def _statement_document(
    row: Any, parts: _StatementParts, districts: Districts, sources: _Sources
) -> dict[str, Any]:
    statement_id = row.id
    signatures = parts.signatures.get(statement_id, [])
    district_keys = [*parts.districts.get(statement_id, [])]
    district_keys += [district for _person, district in signatures if district is not None]
    lineage = sorted({k for key in district_keys for k in districts.tree.lineage(key)})
    cited = sources.with_chains(parts.sources.get(statement_id, []))
    translations = parts.translations.get(statement_id, [])
    texts = [row.text, row.summary, row.addressee, *(text for _language, text in translations)]
    languages = {row.language} | {language for language, _text in translations}
    return {
        "id": f"statement:{row.key}",
        "doctype": "statement",
        "key": row.key,
        "title": row.title,
        "text": _join(texts),
        "words": _join([row.title, *texts]),
        "names": _join(parts.names[person] for person, _district in signatures),
        "districts": _join(name for key in lineage for name in districts.names.get(key, [])),
        "source": _join(sources.publisher.get(key) for key in cited),
        "demand": ",".join(parts.demands.get(statement_id, [])),
        "kind": row.kind,
        "lang": ",".join(sorted(lang for lang in languages if lang)),
        "district_keys": ",".join(lineage),
        "date": row.date or "",
        "signatories": [len(signatures), row.reported_signatories],
    }


def _person_document(
    row: Any, names: str, signatures: list[tuple[str | None, str | None]], districts: Districts
) -> dict[str, Any]:
    keys = {district for _role, district in signatures if district is not None}
    lineage = sorted({k for key in keys for k in districts.tree.lineage(key)})
    return {
        "id": f"person:{row.key}",
        "doctype": "person",
        "key": row.key,
        "title": row.name,
        "text": _join([row.description, *(role for role, _district in signatures)]),
        "words": _join([row.name, row.description]),
        "names": names,
        "districts": _join(name for key in lineage for name in districts.names.get(key, [])),
        "district_keys": ",".join(lineage),
        "signatories": [len(signatures), None],
    }


def _with_digest(document: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps(document, sort_keys=True, ensure_ascii=False)
    document["digest"] = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return document


def documents(
    session: Session, doctype: str, keys: Iterable[str]
) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """Yield (key, document) for each record named, once each and in key order.

    ``doctype`` is "statement" or "person". A document maps the fields of
    :data:`archive.index.schema.SCHEMA` to their values, with its ``digest`` (the SHA-256, in
    hex, of its JSON); it is None for a record the database no longer holds. Records are read
    in batches of keys as plain rows, a few queries per batch (no ORM objects).
    """
    districts = Districts(session)
    sources = _Sources(session) if doctype == "statement" else None
    for chunk in batched(sorted(set(keys))):
        if sources is not None:
            found = _statement_documents(session, chunk, districts, sources)
        else:
            found = _people_documents(session, chunk, districts)
        for key in chunk:
            document = found.get(key)
            yield key, _with_digest(document) if document is not None else None


class _Sources:
    """Every source's publisher and the source it cites, read once."""

    def __init__(self, session: Session) -> None:
        cited = models.Source.__table__.alias()
        query = select(models.Source.key, models.Source.publisher, cited.c.key).outerjoin(
            cited, models.Source.cites_id == cited.c.id
        )
        self.publisher: dict[str, str | None] = {}
        self.cites: dict[str, str | None] = {}
        for key, publisher, cites in session.execute(query):
            self.publisher[key], self.cites[key] = publisher, cites

    def with_chains(self, keys: list[str]) -> list[str]:
        """Return the sources in key order, each followed along its chain of citations."""
        found = dict.fromkeys(keys)
        for key in keys:
            cited = self.cites.get(key)
            while cited is not None and cited not in found:
                found[cited] = None
                cited = self.cites.get(cited)
        return list(found)


@dataclass
class _StatementParts:
    """What a chunk of statements' documents need besides their own columns, by statement id."""

    districts: dict[int, list[str]]
    demands: dict[int, list[str]]
    translations: dict[int, list[tuple[str, str]]]
    sources: dict[int, list[str]]
    signatures: dict[int, list[tuple[int, str | None]]]  # (person id, district key)
    names: dict[int, str]  # every name of every signatory, by person id


def _grouped(session: Session, query: Any) -> dict[int, list[Any]]:
    """Group rows whose first column is an owner's id: {id: [rest of each row]}."""
    grouped: dict[int, list[Any]] = {}
    for owner, *rest in session.execute(query):
        grouped.setdefault(owner, []).append(rest[0] if len(rest) == 1 else tuple(rest))
    return grouped


def _statement_documents(
    session: Session, keys: list[str], districts: Districts, sources: _Sources
) -> dict[str, dict[str, Any]]:
    statement = models.Statement
    rows = session.execute(
        select(
            statement.id,
            statement.key,
            statement.title,
            statement.kind,
            statement.date,
            statement.language,
            statement.text,
            statement.summary,
            statement.addressee,
            statement.reported_signatories,
        ).where(statement.key.in_(keys))
    ).all()
    parts = _statement_parts(session, [row.id for row in rows])
    return {row.key: _statement_document(row, parts, districts, sources) for row in rows}


def _statement_parts(session: Session, ids: list[int]) -> _StatementParts:
    """Read what the documents of the statements with ``ids`` need besides their own columns."""
    link, district, signature = models.statement_districts.c, models.District, models.Signature
    signed = (
        select(signature.statement_id, signature.person_id, district.key)
        .outerjoin(district, signature.district_id == district.id)
        .where(signature.statement_id.in_(ids))
        .order_by(signature.statement_id, signature.position)
    )
    demand, translation, cited = models.Demand, models.Translation, models.statement_sources.c
    parts = _StatementParts(
        districts=_grouped(
            session,
            select(link.statement_id, district.key)
            .join(district, link.district_id == district.id)
            .where(link.statement_id.in_(ids)),
        ),
        demands=_grouped(
            session,
            select(demand.statement_id, demand.demand)
            .where(demand.statement_id.in_(ids))
            .order_by(demand.statement_id, demand.position),
        ),
        translations=_grouped(
            session,
            select(translation.statement_id, translation.language, translation.text)
            .where(translation.statement_id.in_(ids))
            .order_by(translation.statement_id, translation.language),
        ),
        sources=_grouped(
            session,
            select(cited.statement_id, models.Source.key)
            .join(models.Source, cited.source_id == models.Source.id)
            .where(cited.statement_id.in_(ids))
            .order_by(cited.statement_id, models.Source.key),
        ),
        signatures=_grouped(session, signed),
        names={},
    )
    people = {person for signed in parts.signatures.values() for person, _district in signed}
    parts.names = _names_of_people(session, people)
    return parts


def _names_of_people(session: Session, people: Iterable[int]) -> dict[int, str]:
    """Return every name of each person (the name, then the others), one per line."""
    names: dict[int, list[str]] = {}
    for chunk in batched(sorted(people)):
        for person, name in session.execute(
            select(models.Person.id, models.Person.name).where(models.Person.id.in_(chunk))
        ):
            names[person] = [name]
        others = (
            select(models.PersonName.person_id, models.PersonName.name)
            .where(models.PersonName.person_id.in_(chunk))
            .order_by(
                models.PersonName.person_id, models.PersonName.language, models.PersonName.name
            )
        )
        for person, name in session.execute(others):
            names[person].append(name)
    return {person: _join(every) for person, every in names.items()}


def _people_documents(
    session: Session, keys: list[str], districts: Districts
) -> dict[str, dict[str, Any]]:
    rows = session.execute(
        select(
            models.Person.id, models.Person.key, models.Person.name, models.Person.description
        ).where(models.Person.key.in_(keys))
    ).all()
    ids = [row.id for row in rows]
    names = _names_of_people(session, ids)
    signatures = _grouped(
        session,
        select(models.Signature.person_id, models.Signature.role, models.District.key)
        .outerjoin(models.District, models.Signature.district_id == models.District.id)
        .where(models.Signature.person_id.in_(ids))
        .order_by(models.Signature.person_id, models.Signature.id),
    )
    return {
        row.key: _person_document(row, names[row.id], signatures.get(row.id, []), districts)
        for row in rows
    }


def all_keys(session: Session) -> dict[str, list[str]]:
    """Return the keys of every statement and person: {"statement": keys, "person": keys}."""
    return {
        "statement": list(session.scalars(select(models.Statement.key))),
        "person": list(session.scalars(select(models.Person.key))),
    }
