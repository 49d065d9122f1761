"""Who a person given inline is: matched to a stored person only by a rule the import names,
otherwise a new person, never silently merged with a namesake.

A signature may give its person inline, without a key (``{"name": "Ivan Petrov",
"description": "Kazan"}``). The readers give each such person a placeholder; here, inside the
import's transaction, each placeholder becomes a key, in the order of the files, by the first
rule that applies:

1. **identifier**: a person who has one of its identifiers (stored, or given earlier in the
   import) is that person; identifiers naming two people are a problem.
2. **statement**: a person who already signed the same statement, whose key is the derived
   key or a numbered one (``ivan-petrov``, ``ivan-petrov-2``...) and whose stored fields agree
   with every field given (a name agrees with the name or any other name of the person). This
   is what makes importing the same file twice change nothing.
3. **name** (only with ``match="name"``): the one person with the same script-neutral name,
   words in any order (archive.identity.names.neutral_name), who signed something in the same
   district.
4. Otherwise a **new person**, keyed by the derived key or, when that is taken (in the database,
   by a merged person, or earlier in the import), the first free numbered one: a namesake,
   listed among the candidates to review.

A person matched by a rule keeps its name: the name given, if new, becomes an alias, and so do
names in a language the person already has another name in; aliases and identifiers given are
added, and a description only where the person has none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session

from archive.data.batches import batched
from archive.data.models import (
    District,
    MergedKey,
    Person,
    PersonIdentifier,
    PersonName,
    Signature,
    Statement,
)
from archive.data.revisions import absorb, numbered_key, record_key
from archive.data.snapshots import Record, Rows, snapshot
from archive.identity.names import neutral_name
from archive.importing.fields import Problem
from archive.importing.readers import Batch, InlinePerson, listed_again

# The rules that may match an inline person to another, as ``--match-people`` names them.
MATCH_RULES = ("name",)
Identifier = tuple[str, str]


@dataclass
class Matching:
    """What deciding who the inline people are did: keys by how they were decided."""

    new: list[str] = field(default_factory=list)
    # new people whose derived key another person has: namesakes, numbered
    namesakes: list[str] = field(default_factory=list)
    # rule -> how many inline people it matched to a person
    matched: dict[str, int] = field(default_factory=dict)


def resolve(
    session: Session, batch: Batch, match: str | None = None
) -> tuple[list[Problem], Matching]:
    """Give every inline person of ``batch`` a key (the rules above) and rewrite the
    signatures that name them; return the problems found and what was decided.

    ``match`` is None or one of MATCH_RULES (ValueError otherwise). Reads the database,
    writes nothing; the batch's people and signatures are changed in place.
    """
    if match is not None and match not in MATCH_RULES:
        raise ValueError(f"unknown rule {match!r}")
    resolver = _Resolver(session, batch, match)
    return resolver.run(), resolver.matching


def agrees(record: Mapping[str, Any], given: Mapping[str, Any]) -> bool:
    """Tell whether a stored person's ``record`` agrees with every field ``given`` inline: the
    name is one of its names, each name in a language is its name in that language, aliases and
    identifiers are among its own, and the description is the same."""
    spellings = {record["name"], *record["names"].values(), *record["aliases"]}
    checks: dict[str, Callable[[Any], bool]] = {
        "name": lambda value: value in spellings,
        "description": lambda value: value == record["description"],
        "names": lambda value: all(record["names"].get(lang) == n for lang, n in value.items()),
        "aliases": lambda value: set(value) <= spellings,
        "identifiers": lambda value: all(i in record["identifiers"] for i in value),
    }
    return all(checks[name](value) for name, value in given.items())


class _Resolver:
    """Decides who the inline people of one batch are, with what it read of the database."""

    def __init__(self, session: Session, batch: Batch, match: str | None) -> None:
        self.session = session
        self.batch = batch
        self.match = match
        self.problems: list[Problem] = []
        self.people = batch.records.setdefault("person", {})
        self.rows = Rows(session)
        self.keys: dict[str, str] = {}  # placeholder -> key
        self.claimed: set[str] = set()  # people an inline person was matched to
        self.matching = Matching()

    def run(self) -> list[Problem]:
        """Decide every inline person, then rewrite the signatures; return the problems."""
        inline = self.batch.inline
        self.taken = self._taken({person.base for person in inline.values()})
        self.signed = self._signed()
        self.holders = self._holders()
        self.districts = self._districts_by_placeholder()
        self.by_name = self._stored_by_name() if self.match == "name" else {}
        for placeholder, person in inline.items():
            self.keys[placeholder] = self._decide(placeholder, person)
        if not self.problems:
            self._rewrite_signatures()
        return self.problems

    # What the database holds.

    def _taken(self, bases: set[str]) -> dict[str, str | None]:
        """Return the stored keys of the families of ``bases``: a person's key -> None, a
        merged key -> the key of the person it now belongs to."""
        taken: dict[str, str | None] = {}
        for chunk in batched(sorted(bases), 200):
            like = [Person.key.like(f"{base}-%") for base in chunk]
            taken.update(
                (key, None)
                for key in self.session.scalars(
                    select(Person.key).where(or_(Person.key.in_(chunk), *like))
                )
            )
            like = [MergedKey.key.like(f"{base}-%") for base in chunk]
            merged = select(MergedKey.key, Person.key).join(
                Person, MergedKey.person_id == Person.id
            )
            rows = self.session.execute(merged.where(or_(MergedKey.key.in_(chunk), *like)))
            taken.update((key, owner) for key, owner in rows)
        return taken

    def _signed(self) -> dict[str, set[str]]:
        """Return, for each person of the families (or the person a merged key belongs to),
        the statements of this import they already signed."""
        statements = sorted({p.statement for p in self.batch.inline.values() if p.statement})
        people = sorted({owner or key for key, owner in self.taken.items()})
        signed: dict[str, set[str]] = {}
        query = (
            select(Person.key, Statement.key)
            .join(Signature, Signature.person_id == Person.id)
            .join(Statement, Signature.statement_id == Statement.id)
        )
        for chunk in batched(people):
            rows = self.session.execute(
                query.where(Person.key.in_(chunk), Statement.key.in_(statements))
            )
            for person_key, statement_key in rows:
                signed.setdefault(person_key, set()).add(statement_key)
        return signed

    def _holders(self) -> dict[Identifier, str]:
        """Return who holds each identifier given in the import (stored or given by key), and
        note a problem for an identifier given to two people or held by another."""
        given: dict[Identifier, tuple[str, str]] = {}  # identifier -> (key, where)
        for key, fields in self.people.items():
            for identifier in fields.get("identifiers", []):
                pair = (identifier["scheme"], identifier["value"])
                first = given.setdefault(pair, (key, self.batch.where["person", key]))
                if first[0] != key:
                    self._two_people(pair, self.batch.where["person", key], first[0])
        wanted = set(given) | {
            (i["scheme"], i["value"])
            for person in self.batch.inline.values()
            for i in person.fields.get("identifiers", [])
        }
        holders: dict[Identifier, str] = {}
        query = select(PersonIdentifier.scheme, PersonIdentifier.value, Person.key).join(
            Person, PersonIdentifier.person_id == Person.id
        )
        for chunk in batched(sorted(wanted)):
            rows = self.session.execute(
                query.where(tuple_(PersonIdentifier.scheme, PersonIdentifier.value).in_(chunk))
            )
            holders.update(((scheme, value), key) for scheme, value, key in rows)
        for pair, (key, where) in given.items():
            if holders.setdefault(pair, key) != key:
                self._two_people(pair, where, holders[pair])
        return holders

    def _two_people(self, pair: Identifier, where: str, other: str) -> None:
        message = f"{pair[0]} {pair[1]} already names person {other!r}; one person at most has it"
        self.problems.append(Problem(where, "identifiers", message))

    def _districts_by_placeholder(self) -> dict[str, set[str]]:
        """Return the districts of the signatures each inline person is given in."""
        districts: dict[str, set[str]] = {}
        for signature in self.batch.records.get("signature", {}).values():
            if signature["person"] in self.batch.inline and signature.get("district"):
                districts.setdefault(signature["person"], set()).add(signature["district"])
        return districts

    def _stored_by_name(self) -> dict[str, dict[str, set[str]]]:
        """Return, for the script-neutral names of the inline people, the stored people with
        that name (any of their names) and the districts they signed in."""
        wanted = {neutral_name(p.fields["name"]) for p in self.batch.inline.values()}
        people: dict[str, set[str]] = {}  # person key -> neutral names
        names = select(Person.key, Person.name).union_all(
            select(Person.key, PersonName.name).join(Person, PersonName.person_id == Person.id)
        )
        for key, name in self.session.execute(names):
            neutral = neutral_name(name)
            if neutral in wanted:
                people.setdefault(key, set()).add(neutral)
        by_name: dict[str, dict[str, set[str]]] = {}
        query = (
            select(Person.key, District.key)
            .join(Signature, Signature.person_id == Person.id)
            .join(District, Signature.district_id == District.id)
        )
        for chunk in batched(sorted(people)):
            for key, district in self.session.execute(query.where(Person.key.in_(chunk))):
                for neutral in people[key]:
                    by_name.setdefault(neutral, {}).setdefault(key, set()).add(district)
        return by_name

    # Deciding.

    def _decide(self, placeholder: str, person: InlinePerson) -> str:
        """Return the key of the person ``placeholder`` is, by the first rule that applies."""
        matching = self.matching
        for rule, key in (
            ("identifier", self._by_identifier(person)),
            ("statement", self._by_statement(person)),
            ("name", self._by_name(placeholder, person)),
        ):
            if key is not None:
                matching.matched[rule] = matching.matched.get(rule, 0) + 1
                self._absorb(key, person)
                return key
        return self._new(placeholder, person)

    def _by_identifier(self, person: InlinePerson) -> str | None:
        pairs = [(i["scheme"], i["value"]) for i in person.fields.get("identifiers", [])]
        found = {self.holders[pair] for pair in pairs if pair in self.holders}
        if len(found) > 1:
            names = " and ".join(repr(key) for key in sorted(found))
            message = f"its identifiers name two people: {names}"
            self.problems.append(Problem(person.where, "identifiers", message))
        return found.pop() if len(found) == 1 else None

    def _by_statement(self, person: InlinePerson) -> str | None:
        if person.statement is None:
            return None
        number = 1
        while (key := numbered_key(person.base, number)) in self.taken:
            number += 1
            owner = self.taken[key] or key
            if owner in self.claimed or person.statement not in self.signed.get(owner, ()):
                continue
            record = self._stored_record(key) if self.taken[key] is None else self._merged(key)
            if record and agrees(record, person.fields):  # {}: a merged key imported as such
                self.claimed.add(owner)
                return owner
        return None

    def _by_name(self, placeholder: str, person: InlinePerson) -> str | None:
        if self.match != "name":
            return None
        neutral = neutral_name(person.fields["name"])
        mine = self.districts.get(placeholder, set())
        found = {key for key, there in self.by_name.get(neutral, {}).items() if there & mine}
        if len(found) > 1:
            others = ", ".join(repr(key) for key in sorted(found))
            message = f"the same name and district as {others}: a new person is made"
            self.batch.warnings.append(Problem(person.where, "name", message))
            return None
        return found.pop() if found else None

    def _new(self, placeholder: str, person: InlinePerson) -> str:
        number = 1
        while (key := numbered_key(person.base, number)) in self.taken or key in self.people:
            number += 1
        self.people[key] = {"key": key, **person.fields}
        self.batch.where.setdefault(("person", key), person.where)
        self.matching.new.append(key)
        if number > 1:
            self.matching.namesakes.append(key)
        if self.match == "name":  # later inline people may be this one, by the same rule
            districts = self.districts.get(placeholder, set())
            named = self.by_name.setdefault(neutral_name(person.fields["name"]), {})
            named.setdefault(key, set()).update(districts)
        for identifier in person.fields.get("identifiers", []):
            self.holders.setdefault((identifier["scheme"], identifier["value"]), key)
        return key

    def _absorb(self, key: str, person: InlinePerson) -> None:
        """Add what an inline person gives to the person it was matched to, renaming nothing."""
        given = self.people.get(key)
        stored = self._stored_record(key) if key not in self.matching.new else None
        current = {**(stored or {}), **(given or {})}
        whole = {"names": {}, "aliases": [], "identifiers": [], "description": None, **current}
        after = absorb(whole, person.fields)
        changed = {name: value for name, value in after.items() if whole.get(name) != value}
        if changed or given is not None:
            self.people[key] = {**(given or {"key": key}), **changed}
            self.batch.where.setdefault(("person", key), person.where)

    def _stored_record(self, key: str) -> Record:
        row = self.rows.get("person", key)
        return snapshot("person", row) if row is not None else {}

    def _merged(self, key: str) -> Record:
        record = self.session.scalar(select(MergedKey.record).where(MergedKey.key == key))
        return dict(record or {})

    # Rewriting.

    def _rewrite_signatures(self) -> None:
        """Name each signature's person by key, one signature per person and statement."""
        batch = self.batch
        signatures = batch.records.get("signature", {})
        rewritten: dict[str, dict[str, Any]] = {}
        kept: dict[str, dict[str, tuple[dict[str, Any], str]]] = {}  # by statement
        for old_key, fields in signatures.items():
            where = batch.where.pop(("signature", old_key))
            fields["person"] = self.keys.get(fields["person"], fields["person"])
            by_person = kept.setdefault(fields["statement"], {})
            if listed_again(fields, where, by_person, batch):
                continue
            by_person[fields["person"]] = (fields, where)
            key = record_key("signature", fields)
            rewritten[key] = fields
            batch.where["signature", key] = where
        batch.records["signature"] = rewritten
        for statement, people in batch.signature_sets.items():
            batch.signature_sets[statement] = {self.keys.get(p, p) for p in people}
