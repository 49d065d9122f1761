"""The candidates list read from the database: every person's names, with what their
signatures (read in one pass), identifiers and co-signers say, given to
:func:`archive.identity.candidates.find_candidates`, which files the names under the keys of
the index of name keys and scores only people filed together; pairs decided not the same
person never come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive import reads
from archive.data.models import District, Person, PersonIdentifier, PersonName, Signature, Statement
from archive.identity.candidates import Candidate, PersonFacts, find_candidates

# Rows fetched at a time when scanning the signatures.
SCAN = 10_000


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
    facts, signers = _facts(session, sorted(names), names)
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
    signed it.

    The signatures are read in one pass over their table, with the keys of people, statements
    and districts looked up by id in memory: at a million signatures, a tenth of the time of
    asking for each chunk of people in turn with joins.
    """
    connection = session.connection()  # plain rows, without the ORM's work per row
    person_keys = dict(connection.execute(select(Person.id, Person.key)).all())
    statement_keys = dict(connection.execute(select(Statement.id, Statement.key)).all())
    district_keys = dict(connection.execute(select(District.id, District.key)).all())
    wanted = set(keys)
    signed: dict[str, list[tuple[str, str | None, str | None]]] = {key: [] for key in keys}
    signers: dict[str, set[str]] = {}
    query = select(
        Signature.person_id, Signature.statement_id, Signature.district_id, Signature.role
    )
    rows = connection.execution_options(yield_per=SCAN).execute(query)
    for person_id, statement_id, district_id, role in rows:
        person, statement = person_keys[person_id], statement_keys[statement_id]
        signers.setdefault(statement, set()).add(person)
        if person in wanted:
            district = None if district_id is None else district_keys[district_id]
            signed[person].append((statement, district, role))
    identifiers: dict[str, set[tuple[str, str]]] = {key: set() for key in keys}
    held = select(Person.key, PersonIdentifier.scheme, PersonIdentifier.value).join(
        Person, PersonIdentifier.person_id == Person.id
    )
    for key, scheme, value in session.execute(held):
        if key in wanted:
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
    return facts, {statement: signers[statement] for statement in statements}
