"""Curating who a person is: merge people who are one, split a person who is two, mark two
people as not the same. Each is one write with revisions of every record it changes, and a
decision that names who (the changeset's actor), when and why (the reason).

Modelled on the decisions of OpenSanctions' nomenklatura resolver: a judgement once made is
kept and always respected, so a pair marked "not the same person" never comes back among the
candidates and cannot be merged, and a merged key stays reserved for good (its URL redirects
to the person it now belongs to).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from archive import reads
from archive.data import vocab
from archive.data.models import (
    Decision,
    Event,
    MergedKey,
    Person,
    Signature,
    event_people,
)
from archive.data.revisions import Writer, absorb, numbered_key, record_key
from archive.data.snapshots import SNAPSHOTS, Record, snapshot
from archive.data.writes import insert_links, table_of

# The kinds of decision, as person_decisions.decision keeps them.
MERGE, SPLIT, DISTINCT = "merge", "split", reads.people.DISTINCT


# The records a curation writes are whole (snapshots), so nothing is completed from defaults.
WHOLE: dict[str, Record] = {kind: {} for kind in SNAPSHOTS}


class Refused(Exception):
    """A merge, split or decision that cannot be made as asked (it would lose or overwrite
    something, or names what is not there); the message says what and why. Nothing is
    written."""


@dataclass
class Done:
    """What a curation wrote: the changeset, and how many revisions."""

    changeset: int | None
    revisions: int


def _person(session: Session, key: str) -> Person:
    """Return the stored person with ``key``, or refuse naming what the key is instead."""
    person = session.scalar(select(Person).where(Person.key == key))
    if person is not None:
        return person
    merged = session.scalar(select(MergedKey).where(MergedKey.key == key))
    if merged is not None:
        raise Refused(f"{key!r} was merged into {merged.person.key!r}; use that key")
    raise Refused(f"there is no person with the key {key!r}")


def _statements(session: Session, person: Person) -> dict[str, Signature]:
    """Return a person's signatures by statement key."""
    query = select(Signature).where(Signature.person_id == person.id).join(Signature.statement)
    return {signature.statement.key: signature for signature in session.scalars(query)}


def decided_distinct(session: Session, left: str, right: str) -> Decision | None:
    """Return the decision that ``left`` and ``right`` are not the same person, if any."""
    query = select(Decision).where(
        Decision.decision == DISTINCT,
        or_(
            (Decision.person_key == left) & (Decision.other_key == right),
            (Decision.person_key == right) & (Decision.other_key == left),
        ),
    )
    return session.scalars(query).first()


def _decide(writer: Writer, decision: str, person: str, other: str, reason: str | None) -> Record:
    """Record a decision in the writer's changeset, with a revision of its own (so that the
    dataset version moves and every copy can tell it was made); return it as a record."""
    record = {"decision": decision, "person": person, "other": other, "reason": reason}
    writer.revise("decision", [(f"{person}|{other}", "insert", None, record)])
    insert_links(
        writer.session,
        table_of(Decision),
        [
            {
                "changeset_id": writer.changeset_id,
                "decision": decision,
                "person_key": person,
                "other_key": other,
                "reason": reason,
            }
        ],
    )
    return record


def merge(
    session: Session, keep: str, others: Sequence[str], actor: str, reason: str | None = None
) -> Done:
    """Merge ``others`` into the person ``keep``, in the write transaction of ``session``.

    Every signature and event of the others moves to ``keep``; their names become aliases
    of ``keep`` (which keeps its own name), their identifiers and aliases are added, and a
    description only where ``keep`` has none. The others are deleted, their keys reserved for
    good (``merged_keys``: their URLs redirect to ``keep``, as do keys merged into them
    before). Raises Refused, writing nothing, for an unknown or merged key, a person named
    twice, two people who signed the same statement (one person would have two signatures
    of it), or two of them once decided not the same person.
    """
    if not others:
        raise Refused("name at least one person to merge into the first")
    if len({keep, *others}) != len(others) + 1:
        raise Refused("a person is named twice")
    kept = _person(session, keep)
    people = [_person(session, key) for key in others]
    for first, second in combinations([keep, *others], 2):
        decision = decided_distinct(session, first, second)
        if decision is not None:
            raise Refused(
                f"{first!r} and {second!r} were decided not the same person "
                f"({decision.changeset.actor}, {decision.changeset.created_at:%Y-%m-%d})"
                + (f": {decision.reason}" if decision.reason else "")
            )
    signed = {key: keep for key in _statements(session, kept)}
    for other in people:
        for statement in _statements(session, other):
            if statement in signed:
                raise Refused(
                    f"{signed[statement]!r} and {other.key!r} both signed {statement!r}: one "
                    "person cannot sign a statement twice"
                )
            signed[statement] = other.key
    writer = Writer(session, actor=actor, defaults=WHOLE, summary=reason)
    after = snapshot("person", kept)
    last: dict[str, Record] = {}
    for other in people:
        last[other.key] = record = snapshot("person", other)
        after = absorb(after, record)
        after["merged_keys"] = sorted({*after["merged_keys"], other.key, *record["merged_keys"]})
        _move(session, writer, other, kept)
        _decide(writer, MERGE, keep, other.key, reason)
    session.expire(kept)  # the keys merged into the others now point at it
    writer.write("person", [after])
    for key, record in last.items():  # each merged key keeps its person's last record
        session.execute(update(MergedKey).where(MergedKey.key == key).values(record=record))
    return Done(writer.changeset_id, writer.tally.changed())


def _move(session: Session, writer: Writer, other: Person, kept: Person) -> None:
    """Move the signatures and events of ``other`` to ``kept`` and the keys merged into
    ``other`` too, then delete ``other`` (the caller reserves its key)."""
    keep = kept.key
    signatures = [
        snapshot("signature", s)
        for s in session.scalars(select(Signature).where(Signature.person_id == other.id))
    ]
    for signature in signatures:
        writer.delete("signature", record_key("signature", signature))
    writer.write("signature", [{**signature, "person": keep} for signature in signatures])
    events = [snapshot("event", event) for event in _events(session, other)]
    writer.write(
        "event",
        [
            {**event, "people": sorted({keep if p == other.key else p for p in event["people"]})}
            for event in events
        ],
    )
    session.execute(
        update(MergedKey).where(MergedKey.person_id == other.id).values(person_id=kept.id)
    )
    session.expire(other)  # or deleting it would delete the keys merged into it
    writer.delete("person", other.key)


def _events(session: Session, person: Person) -> list[Event]:
    """Return the events concerning ``person``."""
    query = (
        select(Event)
        .join(event_people, event_people.c.event_id == Event.id)
        .where(event_people.c.person_id == person.id)
        .order_by(Event.key)
    )
    return list(session.scalars(query))


def split(
    session: Session,
    key: str,
    statements: Sequence[str],
    new_key: str | None,
    name: str | None,
    actor: str,
    reason: str | None = None,
) -> Done:
    """Move the signatures of ``key`` on ``statements`` to a new person ``new_key`` (by
    default the first free of ``key-2``, ``key-3``...), named ``name`` or as ``key`` is, in
    the write transaction of ``session``.

    Raises Refused, writing nothing, for an unknown or merged key, a new key that is a
    person's or a merged one (it would join or overwrite another record), no statements, or a
    statement that ``key`` did not sign.
    """
    person = _person(session, key)
    if not statements:
        raise Refused("name the statements whose signatures move to the new person")
    if new_key is None:
        number = 2
        while _taken(session, numbered_key(key, number)):
            number += 1
        new_key = numbered_key(key, number)
    elif new_key in vocab.RESERVED_PERSON_KEYS:
        raise Refused(f"{new_key!r} is the address of a page, not a key a person may have")
    elif _taken(session, new_key):
        raise Refused(f"{new_key!r} is already a person's key; a split makes a new person")
    signed = _statements(session, person)
    missing = [s for s in statements if s not in signed]
    if missing:
        raise Refused(f"{key!r} did not sign {', '.join(map(repr, missing))}")
    writer = Writer(session, actor=actor, defaults=WHOLE, summary=reason)
    record = snapshot("person", person)
    new = {
        **record,
        "key": new_key,
        "name": name or record["name"],
        "names": {},
        "aliases": [],
        "identifiers": [],
        "merged_keys": [],
        "description": None,
    }
    writer.write("person", [new])
    moved = [snapshot("signature", signed[statement]) for statement in sorted(set(statements))]
    for signature in moved:
        writer.delete("signature", record_key("signature", signature))
    writer.write("signature", [{**signature, "person": new_key} for signature in moved])
    _decide(writer, SPLIT, key, new_key, reason)
    return Done(writer.changeset_id, writer.tally.changed())


def _taken(session: Session, key: str) -> bool:
    """Tell whether ``key`` is a person's or a merged person's."""
    person = session.scalar(select(Person.id).where(Person.key == key))
    merged = session.scalar(select(MergedKey.id).where(MergedKey.key == key))
    return person is not None or merged is not None


def distinct(session: Session, left: str, right: str, actor: str, reason: str | None) -> Done:
    """Decide that ``left`` and ``right`` are not the same person, in the write transaction
    of ``session``: the pair never comes back among the candidates and cannot be merged.
    Raises Refused for an unknown or merged key, one person named twice, or a pair decided
    already."""
    if left == right:
        raise Refused("name two different people")
    for key in (left, right):
        _person(session, key)
    if decided_distinct(session, left, right) is not None:
        raise Refused(f"{left!r} and {right!r} are already decided not the same person")
    first, second = sorted((left, right))
    writer = Writer(session, actor=actor, defaults=WHOLE, summary=reason)
    _decide(writer, DISTINCT, first, second, reason)
    return Done(writer.changeset_id, writer.tally.changed())
