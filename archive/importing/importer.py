"""Import JSON documents and CSV tables, all or nothing.

Reading a file turns it into records and a list of problems, without the database
(:mod:`archive.importing.readers`). Only when every file of an import reads without a problem does
:func:`run` open one write transaction, check references against the database, and write;
any problem found there rolls it all back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.data import revisions
from archive.data.batches import batched
from archive.data.database import Database
from archive.data.models import District, MergedKey, Person, Signature, Source, Statement
from archive.data.snapshots import MODELS
from archive.data.urls import url_key
from archive.importing import people
from archive.importing.fields import DEFAULTS, KINDS, Problem, missing_required
from archive.importing.readers import Batch, read_files

# The demo data: the seed article as an import document.
DEMO = Path(__file__).resolve().parent / "demo" / "seed.json"


class ImportRejected(Exception):
    """The import was refused; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def check(session: Session, batch: Batch) -> list[Problem]:
    """Return the problems that only the database can show: references, required, cycles."""
    problems: list[Problem] = []
    known = {kind: set(batch.records.get(kind, {})) for kind in MODELS}
    stored = {
        kind: revisions.existing_keys(session, kind, keys)
        for kind, keys in _referenced_and_given(batch).items()
    }
    for kind, by_key in batch.records.items():
        for key, fields in by_key.items():
            where = batch.where[kind, key]
            problems += _check_references(batch, kind, key, known, stored)
            # A new record needs every required field; a stored one keeps those not given.
            new = kind != "signature" and key not in stored[kind]
            whole = {**DEFAULTS[kind], **fields}
            problems += [
                Problem(where, name, "is required")
                for name in missing_required(kind, whole)
                if new or name in fields
            ]
    problems += _check_cycles(session, batch, "district", District, "parent")
    problems += _check_cycles(session, batch, "source", Source, "cites")
    problems += _check_urls(session, batch)
    problems += _check_merged_keys(session, batch)
    return problems


def _referenced_and_given(batch: Batch) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {kind: set(batch.records.get(kind, {})) for kind in MODELS}
    for kind, by_key in batch.records.items():
        for fields in by_key.values():
            for _name, ref_kind, ref in _references(kind, fields):
                keys[ref_kind].add(ref)
    return keys


def _references(kind: str, fields: Mapping[str, Any]) -> Iterable[tuple[str, str, str]]:
    """Yield (field, kind referred to, key) for every reference a record makes."""
    for name, spec in KINDS[kind].items():
        value = fields.get(name)
        if spec.ref is None or value is None:
            continue
        for ref in value if isinstance(value, list) else [value]:
            yield name, spec.ref, ref
    for translation in fields.get("translations") or []:
        if translation["source"] is not None:
            yield "translations", "source", translation["source"]


def _check_references(
    batch: Batch,
    kind: str,
    key: str,
    known: Mapping[str, set[str]],
    stored: Mapping[str, set[str]],
) -> list[Problem]:
    return [
        Problem(
            batch.item_where.get((kind, key, name, ref), batch.where[kind, key]),
            name,
            f"refers to an unknown {ref_kind} {ref!r}",
        )
        for name, ref_kind, ref in _references(kind, batch.records[kind][key])
        if ref not in known[ref_kind] and ref not in stored[ref_kind]
    ]


def _check_cycles(
    session: Session, batch: Batch, kind: str, model: Any, field_name: str
) -> list[Problem]:
    """Refuse a district that lies within itself, or a source that cites itself in a chain."""
    given = batch.records.get(kind, {})
    if not any(field_name in fields for fields in given.values()):
        return []
    parent_of: dict[str, str | None] = {}
    ref_column = getattr(model, f"{field_name}_id")
    alias = model.__table__.alias()
    rows = session.execute(
        select(model.key, alias.c.key).outerjoin(alias, ref_column == alias.c.id)
    )
    parent_of.update({child: parent for child, parent in rows})
    parent_of.update({key: f[field_name] for key, f in given.items() if field_name in f})
    problems = []
    for key in given:
        chain, current = [key], parent_of.get(key)
        while current is not None and current not in chain:
            chain.append(current)
            current = parent_of.get(current)
        if current == key:
            path = " -> ".join([*chain, key])
            problems.append(Problem(batch.where[kind, key], field_name, f"makes a cycle: {path}"))
    return problems


def _check_urls(session: Session, batch: Batch) -> list[Problem]:
    """Refuse a URL that is the address of another source, stored or earlier in the import.

    Two URLs are one address when they are equal after normalisation (archive.data.urls: case
    of scheme and host, default port, percent-encoding, Unicode form); the problem names the
    source that has the address, and how its URL is written when that differs.
    """
    given = batch.records.get("source", {})
    # Sources whose URL this import sets: their stored addresses may change, so are not owners.
    keyed = {key: url_key(fields["url"]) for key, fields in given.items() if fields.get("url")}
    owners: dict[str | None, tuple[str, str]] = {}
    for chunk in batched(sorted({address for address in keyed.values() if address})):
        query = select(Source.url_key, Source.key, Source.url).where(Source.url_key.in_(chunk))
        stored = session.execute(query)
        owners.update(
            {address: (key, url or "") for address, key, url in stored if key not in keyed}
        )
    problems = []
    for key, address in keyed.items():
        url = given[key]["url"]
        owner, written = owners.setdefault(address, (key, url))
        if owner != key:
            spelling = "" if written == url else f" (written {written})"
            message = f"{url} already belongs to source {owner!r}{spelling}"
            problems.append(Problem(batch.where["source", key], "url", message))
    return problems


def _check_merged_keys(session: Session, batch: Batch) -> list[Problem]:
    """Refuse what would undo a merge: a person given, or referred to, by a key merged into
    another person (use that person's key); a merged key that is a person's, or is merged into
    another person; a stored merged key left out (merged keys stay reserved for good)."""
    given = batch.records.get("person", {})
    listed = {key for fields in given.values() for key in fields.get("merged_keys", [])}
    people = revisions.existing_keys(session, "person", listed) | set(given) & listed
    owners: dict[str, str] = {}  # merged key -> the person it belongs to
    query = select(MergedKey.key, Person.key).join(Person, MergedKey.person_id == Person.id)
    named = listed | set(given) | _referenced_and_given(batch)["person"]
    for chunk in batched(sorted(named)):
        owners.update(session.execute(query.where(MergedKey.key.in_(chunk))).all())
    for chunk in batched(sorted(given)):
        owners.update(session.execute(query.where(Person.key.in_(chunk))).all())
    problems = []
    for kind, by_key in batch.records.items():
        for key, fields in by_key.items():
            refs = [ref for _f, ref_kind, ref in _references(kind, fields) if ref_kind == "person"]
            for ref in [key] * (kind == "person") + refs:
                if ref in owners:
                    message = f"person {ref!r} was merged into {owners[ref]!r}: use that key"
                    field = "key" if ref == key else "person"
                    problems.append(Problem(batch.where[kind, key], field, message))
    first: dict[str, str] = {}
    for owner, fields in given.items():
        where = batch.where["person", owner]
        for key in fields.get("merged_keys", []):
            if key in people:
                message = f"{key!r} is a person's key, not one merged into another person"
            elif first.setdefault(key, owner) != owner:
                message = f"{key!r} is listed as merged into {first[key]!r} too"
            elif owners.get(key, owner) != owner:
                message = f"{key!r} is merged into {owners[key]!r} already"
            else:
                continue
            problems.append(Problem(where, "merged_keys", message))
        if "merged_keys" in fields:
            problems += [
                Problem(where, "merged_keys", f"{key!r} stays reserved for good: keep it listed")
                for key, o in sorted(owners.items())
                if o == owner and key not in fields["merged_keys"]
            ]
    return problems


@dataclass
class Result:
    """What an import did."""

    tally: revisions.Tally
    version_before: int
    version_after: int
    records: int
    warnings: list[Problem]  # read and written, but worth a word (a person listed twice)
    people: people.Matching  # who the people given inline without a key turned out to be


def run(
    database: Database,
    paths: Iterable[Path],
    actor: str = "import",
    progress: Callable[[int, int], None] | None = None,
    match_people: str | None = None,
) -> Result:
    """Import files in one transaction; raise ImportRejected with every problem, writing nothing.

    ``match_people`` names a rule that may match a person given inline to a stored one besides
    identifiers and the statement they signed (archive.importing.people: "name", or None).
    """
    paths = list(paths)
    batch = read_files(paths)
    if batch.problems:
        raise ImportRejected(batch.problems)
    summary = ", ".join(path.name for path in paths)
    with database.writing() as session:
        version_before = revisions.dataset_version(session)
        problems, matching = people.resolve(session, batch, match_people)
        problems = problems or check(session, batch)
        if problems:
            raise ImportRejected(problems)  # leaving the block rolls the transaction back
        writer = revisions.Writer(session, actor=actor, defaults=DEFAULTS, summary=summary)
        done, total = 0, batch.count()
        for kind in revisions.WRITE_ORDER:
            given = list(batch.records.get(kind, {}).values())
            writer.write(kind, given)
            done += len(given)
            if progress is not None:
                progress(done, total)
            if kind == "signature":
                _delete_unlisted_signatures(session, writer, batch)
        version_after = revisions.dataset_version(session)
    return Result(writer.tally, version_before, version_after, total, batch.warnings, matching)


def _delete_unlisted_signatures(session: Session, writer: revisions.Writer, batch: Batch) -> None:
    """Delete the stored signatures of statements whose whole signature list was given."""
    listed = (
        select(Statement.key, Person.key)
        .join(Signature, Signature.statement_id == Statement.id)
        .join(Person, Signature.person_id == Person.id)
    )
    statements = sorted(batch.signature_sets)
    for chunk in batched(statements):
        stored = session.execute(listed.where(Statement.key.in_(chunk)))
        unlisted = sorted(
            f"{statement_key}/{person_key}"
            for statement_key, person_key in stored
            if person_key not in batch.signature_sets[statement_key]
        )
        for key in unlisted:
            writer.delete("signature", key)
