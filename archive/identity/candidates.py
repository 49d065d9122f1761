"""The candidates list: pairs of people who may be one person, for an archivist to review.

Import never merges people silently, so namesakes and spelling variants become separate
records. :func:`find_candidates` proposes pairs of them, each with a score and its reasons; an
archivist merges a pair or marks it "not the same person" (``refused``), and a refused pair is
never proposed again. The engine is pure: it reads the facts it is given and nothing else.

**The score**, from 0 to 1, is::

    0.75 * name similarity * commonness + the evidence of signatures and identifiers

clamped to 0..1. The name similarity is the best of every name of one person with every name
of the other (:mod:`archive.identity.matching`). The evidence (:mod:`archive.identity.evidence`)
is +0.20 for a district in common (+0.10 for one within the other, -0.20 for districts that
are unrelated), +0.05 for a role in common, up to +0.10 for co-signers in common, -0.10 for a
statement both signed and -0.50 for conflicting identifiers; what speaks for one person counts
only for compatible names, so that a shared district never makes Ivan Petrov and Pavel Petrov
one person. *Commonness* is ``1 - 0.3 * log10(n / 2)``, at least 0.5, for the ``n`` people
filed under the pair's smallest shared key: 1 for two people, 0.91 for four, 0.7 for twenty,
0.5 from about ninety: a name borne by many says little by itself. At the default minimum of
0.6 the same name alone is enough when fewer than ten people share its key (with unrelated
districts, only with a role and many co-signers in common too); a district in common makes it
enough up to about seventy people, and with a role in common too, for any number.
Conflicting identifiers put a pair under any useful minimum: it is listed, with the reason,
only at a minimum low enough.

**Which pairs are compared.** Only people filed under one key in the index of name keys
(:func:`archive.identity.names.name_blocking`): two names with two full words alike
("Aleksandr Ivanov", "Иванов Александр": ``lksndr vnv``), or an initial and a word it
abbreviates ("И. Сидоров", "Иван Сидоров": ``i. sdrv``; a key of initials pairs the names that
abbreviate with the others, never two names written in full). Keys are taken smallest first,
and a pair is scored once, in the smallest key in which it is formed.

**A common name** (a key shared by many people) is not capped. Within a key, a pair is formed
only when it could still reach ``minimum``: the best name there earns ``0.75 * commonness``, and
what it lacks must come from the evidence, which is looked up in an index of the key's people
by district. Under a key of up to five people every pair is formed; beyond, people with
unrelated districts are not paired (their -0.20 cannot be made up); beyond about forty, only
people with a district in common or one within the other. A pair that is formed is first
weighed by its districts and roles alone, and its names compared only if the same name could
bring it to the minimum. So every pair that could score ``minimum`` is scored, same-name pairs
of the commonest names included, and no other. Measured (:mod:`archive.bench.population`):
500,000 people with a million signatures (keys of up to 3,458 people) in about 25 seconds on
one core, besides rigour's four seconds of loading.
"""

from __future__ import annotations

import gc
import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import product
from types import MappingProxyType

from archive.identity.evidence import (
    COSIGNERS,
    MOST_SUPPORT,
    NESTED_DISTRICT,
    OTHER_DISTRICTS,
    SAME_ROLE,
    Cosigners,
    Signing,
    cosigner_evidence,
    most_evidence,
    plain_evidence,
)
from archive.identity.matching import alike, compare_names
from archive.identity.names import NameBlocking, name_blocking

NAME_WEIGHT = 0.75
COMMONNESS = 0.3  # lost for every tenfold of people under the key, beyond two
LEAST_COMMONNESS = 0.5
COMMON_NAME = 50  # from this many people under a key, a reason says the name is common
MINIMUM = 0.6
NO_SIGNERS: Mapping[str, Collection[str]] = MappingProxyType({})


@dataclass(frozen=True)
class PersonFacts:
    """What the candidates list knows of one person: ``key``; ``names`` (the display name
    first, then names in other languages, then aliases); the district keys, roles (as written)
    and statement keys of their signatures; and their identifiers as (scheme, value)."""

    key: str
    names: tuple[str, ...]
    districts: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    statements: frozenset[str] = frozenset()
    identifiers: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Candidate:
    """Two people who may be one: ``left`` is the smaller key; ``score`` from 0 to 1, higher
    is likelier one person; ``reasons`` in English, best first, those against last."""

    left: str
    right: str
    score: float
    reasons: tuple[str, ...]


@dataclass
class Block:
    """The people (by number) filed under one key: ``offered`` are paired with each other,
    ``abbreviated`` (a name with an initial) with everyone."""

    offered: list[int] = field(default_factory=list)
    abbreviated: list[int] = field(default_factory=list)

    def everyone(self) -> list[int]:
        """Return the people filed under the key, in order of number."""
        if not self.abbreviated:
            return self.offered
        return sorted(set(self.offered) | set(self.abbreviated))

    def size(self) -> int:
        """Return how many people are filed under the key."""
        if not self.abbreviated:
            return len(self.offered)
        return len(self.everyone())


def find_candidates(
    people: Iterable[PersonFacts],
    signers: Mapping[str, Collection[str]] = NO_SIGNERS,
    refused: Collection[tuple[str, str]] = (),
    minimum: float = MINIMUM,
) -> list[Candidate]:
    """Return the pairs of ``people`` who may be one person, scoring ``minimum`` or more, best
    first (score, then left and right key).

    ``signers`` maps a statement's key to the keys of the people who signed it (for co-signers
    in common); ``refused`` holds pairs marked "not the same person", in either order, which
    are never returned. The rules are in this module's docstring. Raises ValueError when two
    people have one key.
    """
    with collector_paused():
        return Engine(list(people), signers, refused, minimum).run()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector for the block, and restart it after if it ran before.

    A run makes millions of small objects (keys, sets, tuples) and no reference cycles; the
    collector would walk all of them again and again as they pile up, which took a third of
    the time at 500,000 people. The memory is freed when the run's objects go, as ever.
    """
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()


def commonness(size: int) -> float:
    """Return what a name's evidence is worth when ``size`` people are filed under its key:
    1 for two, 0.3 less for every tenfold, at least 0.5 (module docstring)."""
    return max(LEAST_COMMONNESS, 1.0 - COMMONNESS * math.log10(max(size, 2) / 2))


class Engine:
    """One run of the candidates list over a population (see :func:`find_candidates`):
    ``seen`` holds the pairs formed (as numbers), ``scored`` counts those whose names and
    evidence were weighed."""

    def __init__(
        self,
        people: list[PersonFacts],
        signers: Mapping[str, Collection[str]],
        refused: Collection[tuple[str, str]],
        minimum: float,
    ) -> None:
        keys = [facts.key for facts in people]
        if len(set(keys)) != len(keys):
            raise ValueError("two people have one key")
        self.minimum = minimum
        self.refused = {(min(pair), max(pair)) for pair in refused}
        self.cosigners = Cosigners(signers)
        groups: dict[tuple[str, ...], int] = {}
        self.group_of = [groups.setdefault(facts.names, len(groups)) for facts in people]
        self.group_names = list(groups)
        self.signings = [Signing.of(facts) for facts in people]
        self.likeness: dict[tuple[int, int], tuple[float, bool, str, str]] = {}
        self.seen: set[int] = set()
        self.scored = 0

    def run(self) -> list[Candidate]:
        """Return the candidates, best first."""
        found = []
        for block in sorted(self.blocks().values(), key=Block.size):
            size = block.size()
            for first, second in self.pairs(block, size):
                candidate = self.consider(first, second, size)
                if candidate is not None:
                    found.append(candidate)
        found.sort(key=lambda candidate: (-candidate.score, candidate.left, candidate.right))
        return found

    def blocks(self) -> dict[str, Block]:
        """Return the index of name keys: each key with the people filed under it, keys of
        one person left out. A name written in full is filed under its initials' keys only
        where a name with initials asks for them."""
        keys = [merged_blocking(names) for names in self.group_names]
        asked = frozenset().union(*(initials for _pairs, initials, _expansions in keys))
        index: dict[str, Block] = {}
        for number, group in enumerate(self.group_of):
            pairs, initials, expansions = keys[group]
            for key in pairs | (expansions & asked) if asked else pairs:
                block = index.get(key)
                if block is None:
                    block = index[key] = Block()
                block.offered.append(number)
            for key in initials:
                block = index.get(key)
                if block is None:
                    block = index[key] = Block()
                block.abbreviated.append(number)
        return {key: block for key, block in index.items() if block.size() > 1}

    def pairs(self, block: Block, size: int) -> Iterator[tuple[int, int]]:
        """Yield the pairs of a block that could reach the minimum and were not yet formed
        (each pair once in the whole run), as (smaller, larger) number."""
        everyone = block.everyone()
        firsts = block.abbreviated if block.abbreviated else everyone
        lacking = self.minimum - NAME_WEIGHT * commonness(size)
        linked = Linked(everyone, self.signings, lacking)
        for first in firsts:
            for second in linked.partners(first):
                if first == second or (firsts is everyone and second < first):
                    continue
                low, high = min(first, second), max(first, second)
                pair = low * len(self.signings) + high
                if pair not in self.seen:
                    self.seen.add(pair)
                    yield low, high

    def consider(self, first: int, second: int, size: int) -> Candidate | None:
        """Return two people as a candidate when they score the minimum or more and were not
        refused, else None."""
        a, b = self.signings[first], self.signings[second]
        if b.key < a.key:
            (a, first), (b, second) = (b, second), (a, first)
        if (a.key, b.key) in self.refused:
            return None
        common = commonness(size)
        if NAME_WEIGHT * common + most_evidence(a, b) < self.minimum:
            return None  # even the same name would not do: no need to compare them
        similarity, compatible, one, other = self.alike(self.group_of[first], self.group_of[second])
        name = NAME_WEIGHT * similarity * common
        if name + (MOST_SUPPORT if compatible else 0.0) < self.minimum:
            return None
        self.scored += 1
        found = [item for item in plain_evidence(a, b) if compatible or item[0] < 0]
        total = name + sum(weight for weight, _why in found)
        if compatible and total + COSIGNERS >= self.minimum:
            cosigned = cosigner_evidence(a, b, self.cosigners)
            if cosigned is not None:
                found.append(cosigned)
                total += cosigned[0]
        score = round(min(1.0, max(0.0, total)), 4)
        if score < self.minimum:
            return None
        support = sorted((item for item in found if item[0] > 0), key=lambda item: -item[0])
        against = sorted((item for item in found if item[0] < 0), key=lambda item: item[0])
        if size >= COMMON_NAME:
            against.insert(0, (0.0, lambda: f"common name: {size} people filed under one key"))
        reasons = compare_names(one, other).reasons
        reasons += tuple(reason() for _weight, reason in support + against)
        return Candidate(a.key, b.key, score, reasons)

    def alike(self, first: int, second: int) -> tuple[float, bool, str, str]:
        """Return how alike the names of two groups are, in that order: the best of every name
        of one with every name of the other (compatible first), as similarity, compatible and
        the two names; compared once per run."""
        known = self.likeness.get((first, second))
        if known is None:
            pairs = product(self.group_names[first], self.group_names[second])
            known = max(((*alike(a, b), a, b) for a, b in pairs), key=lambda m: (m[1], m[0]))
            self.likeness[(first, second)] = known
        return known


class Linked:
    """The people of a block that each one could be paired with, given what the best name
    still ``lacks`` to reach the minimum (module docstring: a common name)."""

    def __init__(self, everyone: list[int], signings: list[Signing], lacking: float) -> None:
        self.everyone = everyone
        self.signings = signings
        # Unrelated districts (-0.20) can be made up by a role and co-signers (+0.15)...
        self.anyone = lacking <= OTHER_DISTRICTS + SAME_ROLE + COSIGNERS
        # ...a person without a district needs a role and co-signers to make up the rest...
        self.placeless_too = lacking <= SAME_ROLE + COSIGNERS
        # ...districts one within the other add 0.10 to them.
        self.nested_too = lacking <= NESTED_DISTRICT + SAME_ROLE + COSIGNERS
        self.by_district: dict[str, list[int]] = defaultdict(list)
        self.by_reach: dict[str, list[int]] = defaultdict(list)
        self.placeless: list[int] = []
        if not self.anyone:
            for number in everyone:
                signing = signings[number]
                for district in signing.districts:
                    self.by_district[district].append(number)
                for district in signing.reach if self.nested_too else ():
                    self.by_reach[district].append(number)
                if not signing.districts:
                    self.placeless.append(number)

    def partners(self, number: int) -> Iterable[int]:
        """Return the people of the block one person could be paired with."""
        signing = self.signings[number]
        if self.anyone or (not signing.districts and self.placeless_too):
            return self.everyone
        found: set[int] = set()
        for district in signing.reach if self.nested_too else signing.districts:
            found.update(self.by_district.get(district, ()))
        for district in signing.districts if self.nested_too else ():
            found.update(self.by_reach.get(district, ()))
        if self.placeless_too:
            found.update(self.placeless)
        return sorted(found)


def merged_blocking(names: tuple[str, ...]) -> NameBlocking:
    """Return the keys of all of a person's names together: pairs, initials and expansions
    (:class:`archive.identity.names.NameBlocking`)."""
    if len(names) == 1:
        return name_blocking(names[0])
    blockings = [name_blocking(name) for name in names]
    return NameBlocking(
        frozenset().union(*(b.pairs for b in blockings)),
        frozenset().union(*(b.initials for b in blockings)),
        frozenset().union(*(b.expansions for b in blockings)),
    )
