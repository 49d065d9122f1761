"""What two people's signatures and identifiers say of whether they are one person, besides
their names: districts, roles, co-signers in common, a statement both signed, identifiers.

Each piece of evidence is a weight (positive for one person, negative for two) and a reason in
English. The weights, which :mod:`archive.identity.candidates` adds to the name's part of the
score, are:

=====================================================  ======  ===================================
evidence                                               weight  reason
=====================================================  ======  ===================================
a district in common                                   +0.20   same district: ru/spb
a district within the other's (below the country)      +0.10   district within another: ...
districts on both sides, none related                  -0.20   different districts: ... (against)
a role in common (case and spacing aside)              +0.05   same role: municipal deputy
co-signers in common (below)                           ≤ 0.10  12 co-signers in common
a statement both signed                                -0.10   signed the same statement (against)
identifiers of one scheme with no value in common      -0.50   identifiers conflict: ... (against)
=====================================================  ======  ===================================

*Co-signers in common*: for every statement one of the two signed and the other did not, the
people who signed both statements (the two themselves aside). The pair counts the pair of
statements with the highest share of the smaller statement's other signers, and earns 0.10
times that share. Two big letters share many signers whoever is asked, so their share (and
bonus) is small; two small letters of one council share most. How many people two statements
share is counted once per run (Python's set intersection, which walks the smaller set), however
many pairs ask.

*Two signatures of one statement* are likely two people (import keeps one signature per person
and statement), but a letter's list may name one person twice in two ways, so namesakes of one
letter are still listed, below the same names from different letters; a merge of the two is
refused all the same (one person cannot sign a statement twice).

*Identifiers that conflict* (one scheme, no value in common: wikidata Q1 and Q2) say
two people; people with an identifier in common are one record already (import matches them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from functools import lru_cache
from typing import NamedTuple, Protocol

SAME_DISTRICT = 0.20
NESTED_DISTRICT = 0.10
OTHER_DISTRICTS = -0.20
SAME_ROLE = 0.05
COSIGNERS = 0.10
SAME_STATEMENT = -0.10
IDENTIFIERS_CONFLICT = -0.50
MOST_SUPPORT = SAME_DISTRICT + SAME_ROLE + COSIGNERS
# A piece of evidence: its weight, and its reason (written only when asked for).
Evidence = tuple[float, Callable[[], str]]
# A district key of this many parts or more can hold another ("ru/spb" holds "ru/spb/kolpino");
# the country ("ru") holds everyone and says nothing.
NESTING_PARTS = 2
DISTRICT_SETS_KEPT = 100_000


class Facts(Protocol):
    """What evidence is read from: a person's facts (archive.identity.candidates.PersonFacts)."""

    @property
    def key(self) -> str: ...
    @property
    def districts(self) -> frozenset[str]: ...
    @property
    def roles(self) -> frozenset[str]: ...
    @property
    def statements(self) -> frozenset[str]: ...
    @property
    def identifiers(self) -> frozenset[tuple[str, str]]: ...


class Signing(NamedTuple):
    """One person's signatures and identifiers as evidence compares them: districts and those
    holding them (``reach``), roles folded (folded -> as written), identifiers by scheme."""

    key: str
    districts: frozenset[str]
    reach: frozenset[str]
    roles: dict[str, str]
    statements: frozenset[str]
    identifiers: dict[str, frozenset[str]]

    @classmethod
    def of(cls, facts: Facts) -> Signing:
        """Return the signing of a person's facts."""
        by_scheme: dict[str, set[str]] = defaultdict(set)
        for scheme, value in facts.identifiers:
            by_scheme[scheme].add(value)
        return cls(
            facts.key,
            facts.districts,
            reach_of(facts.districts),
            {" ".join(role.casefold().split()): role for role in sorted(facts.roles)},
            facts.statements,
            {scheme: frozenset(values) for scheme, values in by_scheme.items()},
        )


class Cosigners:
    """The co-signers in common of two people, from the signers of each statement; the overlap
    of two statements is counted once. People are numbered, so that statements' sets of
    signers are sets of numbers, quick to intersect."""

    def __init__(self, signers: Mapping[str, Collection[str]]) -> None:
        self.signers = signers
        self.numbers: dict[str, int] = {}
        self.sets: dict[str, frozenset[int]] = {}
        self.overlaps: dict[tuple[str, str], int] = {}

    def number(self, key: str) -> int:
        """Return the number of a person's key, given when first asked."""
        return self.numbers.setdefault(key, len(self.numbers))

    def signed(self, statement: str) -> frozenset[int]:
        """Return the people (by number) who signed a statement, as a set made once."""
        known = self.sets.get(statement)
        if known is None:
            signers = self.signers.get(statement, ())
            known = self.sets[statement] = frozenset(self.number(key) for key in signers)
        return known

    def overlap(self, one: str, other: str) -> int:
        """Return how many people signed both statements."""
        pair = (one, other) if one < other else (other, one)
        known = self.overlaps.get(pair)
        if known is None:
            known = self.overlaps[pair] = len(self.signed(one) & self.signed(other))
        return known

    def in_common(self, a: Signing, b: Signing) -> tuple[float, int]:
        """Return the best share of co-signers in common of two people and their number
        (0, 0 for none; of two pairs of statements with one share, the one with more people):
        module docstring."""
        best = (0.0, 0)
        theirs = b.statements - a.statements
        if not theirs:
            return best
        me, you = self.number(a.key), self.number(b.key)
        for one in a.statements - b.statements:
            first = self.signed(one)
            for other in theirs:
                second = self.signed(other)
                smaller = min(len(first), len(second)) - 1
                if smaller < 1:
                    continue
                common = self.overlap(one, other) - (me in second) - (you in first)
                if common > 0 and (common / smaller, common) > best:
                    best = (common / smaller, common)
        return best


@lru_cache(maxsize=DISTRICT_SETS_KEPT)
def reach_of(districts: frozenset[str]) -> frozenset[str]:
    """Return the districts and every district holding one of them, the country aside
    ("ru/spb/kolpino": itself and "ru/spb")."""
    reach: set[str] = set()
    for district in districts:
        parts = district.split("/")
        reach.update("/".join(parts[:end]) for end in range(NESTING_PARTS, len(parts) + 1))
        reach.add(district)
    return frozenset(reach)


def evidence(a: Signing, b: Signing, cosigners: Cosigners) -> Iterator[Evidence]:
    """Yield what two people's signatures and identifiers say, as (weight, reason): positive
    for one person, negative for two (module docstring); the reason is written when asked."""
    yield from plain_evidence(a, b)
    cosigned = cosigner_evidence(a, b, cosigners)
    if cosigned is not None:
        yield cosigned


def plain_evidence(a: Signing, b: Signing) -> Iterator[Evidence]:
    """Yield the evidence of two people that costs little to find: all but co-signers."""
    district = district_evidence(a, b)
    if district is not None:
        yield district
    roles = a.roles.keys() & b.roles.keys()
    if roles:
        yield SAME_ROLE, lambda: f"same role: {a.roles[min(roles)]}"
    both = a.statements & b.statements
    if both:
        yield SAME_STATEMENT, lambda: f"signed the same statement: {listed(both)}"
    for scheme in a.identifiers.keys() & b.identifiers.keys():
        ours, theirs = a.identifiers[scheme], b.identifiers[scheme]
        if not ours & theirs:
            yield IDENTIFIERS_CONFLICT, conflict_reason(scheme, ours, theirs)


def cosigner_evidence(a: Signing, b: Signing, cosigners: Cosigners) -> Evidence | None:
    """Return the evidence of two people's co-signers in common, None when they have none."""
    share, common = cosigners.in_common(a, b)
    if not common:
        return None
    return COSIGNERS * share, lambda: f"{common} co-signer{'s' * (common > 1)} in common"


def conflict_reason(scheme: str, ours: frozenset[str], theirs: frozenset[str]) -> Callable[[], str]:
    """Return the reason two people's identifiers of one scheme conflict, written when asked."""
    return lambda: f"identifiers conflict: {scheme} {listed(ours)} / {listed(theirs)}"


def most_evidence(a: Signing, b: Signing) -> float:
    """Return the most the evidence of two people could weigh, found cheaply: their districts
    and roles as they are, co-signers as if they shared them all."""
    district = district_evidence(a, b)
    weight = district[0] if district is not None else 0.0
    if not a.roles.keys().isdisjoint(b.roles.keys()):
        weight += SAME_ROLE
    return weight + COSIGNERS


def district_evidence(a: Signing, b: Signing) -> Evidence | None:
    """Return what two people's districts say: one in common, one within the other, or none
    related (when both have districts); None when one has none."""
    if not a.districts or not b.districts:
        return None
    same = a.districts & b.districts
    if same:
        deepest = max(sorted(same), key=lambda district: district.count("/"))
        return SAME_DISTRICT, lambda: f"same district: {deepest}"
    if a.reach & b.districts or b.reach & a.districts:
        one = min(a.districts & b.reach or a.districts)
        other = min(b.districts & a.reach or b.districts)
        return NESTED_DISTRICT, lambda: f"district within another: {one} / {other}"
    return (
        OTHER_DISTRICTS,
        lambda: f"different districts: {listed(a.districts)} / {listed(b.districts)}",
    )


def listed(values: Iterable[str]) -> str:
    """Return values in sorted order, joined by commas."""
    return ", ".join(sorted(values))
