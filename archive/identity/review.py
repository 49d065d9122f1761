"""The candidates list read from the database: the people whose names share a key of the
index of name keys, with what their signatures and identifiers say, scored by
:func:`archive.identity.candidates.find_candidates`; pairs decided not the same person never
come back.

Only the names of every person are read whole; signatures, identifiers and co-signers are read
for the people filed under a key with someone else, a chunk of keys a query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive import reads
from archive.data.batches import batched
from archive.data.models import District, Person, PersonIdentifier, PersonName, Signature, Statement
from archive.identity.candidates import Candidate, PersonFacts, find_candidates
from archive.identity.names import blocking_keys


@dataclass(frozen=True)
class Review:
    """The candidates list, with each person's display name by key."""

    candidates: list[Candidate]
    names: dict[str, str]

    def pair(self, candidate: Candidate) -> dict[str, Any]:
        """Return one pair as plain JSON values: score, the two people (key and name) and
        the reasons."""
        return {
            "score": candidate.score,
            "person": {"key": candidate.left, "name": self.names[candidate.left]},
            "other": {"key": candidate.right, "name": self.names[candidate.right]},
            "reasons": list(candidate.reasons),
        }


def review(session: Session) -> Review:
    """Return the pairs of people who may be one person, best first (see the module)."""
    names = _names(session)
    filed: dict[str, set[str]] = {}
    for key, spellings in names.items():
        for spelling in spellings:
            for block in blocking_keys(spelling):
                filed.setdefault(block, set()).add(key)
    shared = sorted({key for keys in filed.values() if len(keys) > 1 for key in keys})
    facts, signers = _facts(session, shared, names)
    candidates = find_candidates(facts, signers, reads.people.distinct_pairs(session))
    shown = {key for c in candidates for key in (c.left, c.right)}
    return Review(candidates, {key: names[key][0] for key in shown})


def _names(session: Session) -> dict[str, list[str]]:
    """Return every person's names by key: the display name first, then the others."""
    names = {key: [name] for key, name in session.execute(select(Person.key, Person.name))}
    others = select(Person.key, PersonName.name).join(Person, PersonName.person_id == Person.id)
    for key, name in session.execute(others.order_by(PersonName.language, PersonName.name)):
        names[key].append(name)
    return names


def _facts(
    session: Session, keys: list[str], names: dict[str, list[str]]
) -> tuple[list[PersonFacts], dict[str, set[str]]]:
    """Return the facts of the people ``keys`` and, for each statement they signed, who
    signed it."""
    signed: dict[str, list[tuple[str, str | None, str | None]]] = {key: [] for key in keys}
    identifiers: dict[str, set[tuple[str, str]]] = {key: set() for key in keys}
    signatures = (
        select(Person.key, Statement.key, District.key, Signature.role)
        .join(Signature, Signature.person_id == Person.id)
        .join(Statement, Signature.statement_id == Statement.id)
        .outerjoin(District, Signature.district_id == District.id)
    )
    held = select(Person.key, PersonIdentifier.scheme, PersonIdentifier.value).join(
        Person, PersonIdentifier.person_id == Person.id
    )
    for chunk in batched(keys):
        for key, statement, district, role in session.execute(
            signatures.where(Person.key.in_(chunk))
        ):
            signed[key].append((statement, district, role))
        for key, scheme, value in session.execute(held.where(Person.key.in_(chunk))):
            identifiers[key].add((scheme, value))
    facts = [
        PersonFacts(
            key=key,
            names=tuple(dict.fromkeys(names[key])),
            districts=frozenset(d for _s, d, _r in signed[key] if d),
            roles=frozenset(r for _s, _d, r in signed[key] if r),
            statements=frozenset(s for s, _d, _r in signed[key]),
            identifiers=frozenset(identifiers[key]),
        )
        for key in keys
    ]
    statements = {s for rows in signed.values() for s, _d, _r in rows}
    return facts, _signers(session, statements)


def _signers(session: Session, statements: Iterable[str]) -> dict[str, set[str]]:
    """Return who signed each of ``statements``, by statement key."""
    signers: dict[str, set[str]] = {}
    query = (
        select(Statement.key, Person.key)
        .join(Signature, Signature.statement_id == Statement.id)
        .join(Person, Signature.person_id == Person.id)
    )
    for chunk in batched(sorted(statements)):
        for statement, person in session.execute(query.where(Statement.key.in_(chunk))):
            signers.setdefault(statement, set()).add(person)
    return signers
