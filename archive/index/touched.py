"""Which documents a change touches: the statements and people whose documents the revisions
of the log change, directly or through a person, a district or a chain of sources."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.data.batches import batched
from archive.data.models import (
    District,
    Person,
    Signature,
    Source,
    Statement,
    statement_districts,
    statement_sources,
)
from archive.index.documents import Districts


def affected(session: Session, revisions: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """Return the statements and people whose documents the given revisions change.

    ``revisions`` are (record type, record key) pairs of the revision log (a signature's key
    is "statement key/person key"); the answer is {"statement": keys, "person": keys}. A
    person's change touches the statements they signed; a district's, every statement and
    signatory of it or of a district below it; a source's, every statement citing it directly
    or along a chain of citations. Keys are gathered by kind first, so that a large import
    costs a few queries per batch of keys rather than a few per record.
    """
    touched: dict[str, set[str]] = {"statement": set(), "person": set()}
    changed: dict[str, set[str]] = {"person": set(), "district": set(), "source": set()}
    for record_type, key in revisions:
        if record_type == "statement":
            touched["statement"].add(key)
        elif record_type == "signature":
            statement_key, person_key = key.split("/", 1)
            touched["statement"].add(statement_key)
            touched["person"].add(person_key)
        elif record_type in changed:
            changed[record_type].add(key)
    touched["person"] |= changed["person"]
    signed = (
        select(Statement.key)
        .join(Signature, Signature.statement_id == Statement.id)
        .join(Person, Signature.person_id == Person.id)
    )
    for chunk in batched(sorted(changed["person"])):
        touched["statement"].update(session.scalars(signed.where(Person.key.in_(chunk))))
    if changed["district"]:
        districts = Districts(session)
        within = set().union(*(districts.subtree(key) for key in changed["district"]))
        _touch_districts(session, within, touched)
    touched["statement"] |= _statements_citing(session, changed["source"])
    return touched


def _touch_districts(session: Session, keys: set[str], touched: dict[str, set[str]]) -> None:
    signed = (
        select(Statement.key, Person.key)
        .join(Signature, Signature.statement_id == Statement.id)
        .join(Person, Signature.person_id == Person.id)
        .join(District, Signature.district_id == District.id)
    )
    listed = (
        select(Statement.key)
        .join(statement_districts, statement_districts.c.statement_id == Statement.id)
        .join(District, statement_districts.c.district_id == District.id)
    )
    for chunk in batched(sorted(keys)):
        for statement_key, person_key in session.execute(signed.where(District.key.in_(chunk))):
            touched["statement"].add(statement_key)
            touched["person"].add(person_key)
        touched["statement"].update(session.scalars(listed.where(District.key.in_(chunk))))


def _statements_citing(session: Session, source_keys: set[str]) -> set[str]:
    """Return the statements that cite any of the sources, directly or along a chain."""
    sources, new = set(source_keys), set(source_keys)
    cited = Source.__table__.alias()
    citing = select(Source.key).join(cited, Source.cites_id == cited.c.id)
    while new:
        found: set[str] = set()
        for chunk in batched(sorted(new)):
            found.update(session.scalars(citing.where(cited.c.key.in_(chunk))))
        new = found - sources
        sources |= new
    listed = (
        select(Statement.key)
        .join(statement_sources, statement_sources.c.statement_id == Statement.id)
        .join(Source, statement_sources.c.source_id == Source.id)
    )
    statements: set[str] = set()
    for chunk in batched(sorted(sources)):
        statements.update(session.scalars(listed.where(Source.key.in_(chunk))))
    return statements
