"""A synthetic population of people for timing the candidates list at the archive's scale:
about 500,000 people and a million signatures.

Every person is **fake**. Surnames are the 150 of :mod:`archive.bench.letters_names` and about
12,000 more made from their roots with other prefixes and endings (Новоиванский, Белопетренко),
drawn with Zipf-like weights (the commonest borne by about one person in two hundred); given
names too (the commonest man's name about one man in eight). People are written as lists of
signatures write them (given name first or surname first, with a patronymic, in the Latin
alphabet, with initials), 15 % with a second name in the other alphabet; 3 % are second records
of an earlier person, written another way. Districts are 85 regions of 20 districts each (a
tenth of people have none, some only a region); statements (about 37,000 for 500,000 people)
have a capped power law of sizes (the largest 7,000 signers) and draw most of their signers
from one region, so that co-signers cluster as they do; everyone signed something.

The population depends only on its size and the seed. :func:`measure` times
:func:`archive.identity.candidates.find_candidates` over it: ``python -m
archive.bench.population [size]``.
"""

# Cyrillic words are meant: ruff would take their letters for Latin look-alikes.
# ruff: noqa: RUF001

from __future__ import annotations

import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from itertools import accumulate

from archive.bench.letters import ROLES
from archive.bench.letters_names import MEN, SURNAMES, SYSTEMS, WOMEN, feminine, romanise
from archive.identity.candidates import MINIMUM, Engine, PersonFacts, collector_paused
from archive.identity.names import load_rigour

PEOPLE = 500_000
SIGNATURES_PER_PERSON = 2
LARGEST_STATEMENT = 7_000
SMALLEST_STATEMENT = 5
REGIONS, DISTRICTS_PER_REGION = 85, 20
FROM_REGION = 0.7  # of a statement's signers, drawn from its region's people
WOMEN_SHARE = 0.35
SECOND_NAME = 0.15
SECOND_RECORD = 0.03
PREFIXES = ("", "Ново", "Старо", "Бело", "Черно", "Красно", "Мало", "Верхо")
ENDINGS = ("ов", "ев", "ин", "ский", "енко", "ук", "цев", "иков", "ушкин", "ышев")
# How a person's name is written, with weights.
WAYS = (
    ("given first", 60), ("surname first", 10), ("official order", 8), ("with patronymic", 5),
    ("Latin", 12), ("initials", 5),
)  # fmt: skip


@dataclass(frozen=True)
class Population:
    """People as the candidates list takes them, and the signers of each statement."""

    people: list[PersonFacts]
    signers: dict[str, list[str]]


@dataclass(frozen=True)
class Measurement:
    """One run of the candidates list over a population: its size, how many pairs were
    formed (taken from the index of name keys), scored (their names alike enough) and
    proposed, and the seconds it took (rigour's first call timed apart)."""

    people: int
    statements: int
    signatures: int
    formed: int
    scored: int
    proposed: int
    seconds: float
    loading: float


def surnames() -> list[str]:
    """Return the surnames of the population, the real ones first (the commonest)."""
    roots = sorted({root_of(surname) for surname in SURNAMES})
    made = [prefix + (root.lower() if prefix else root) + ending
            for prefix in PREFIXES for root in roots for ending in ENDINGS]  # fmt: skip
    return list(dict.fromkeys([*SURNAMES, *made]))


def root_of(surname: str) -> str:
    """Return a surname without its ending: Иванов → Иван, Островский → Остров."""
    for ending in ("ский", "енко", "ов", "ев", "ёв", "ин", "ой", "их", "ых"):
        if surname.endswith(ending) and len(surname) > len(ending) + 2:
            return surname[: -len(ending)]
    return surname


def zipf(count: int, offset: float) -> list[float]:
    """Return cumulative Zipf-like weights for ``count`` ranked items, each 1 / (rank +
    ``offset``): cumulative, so that drawing one costs a bisection."""
    return list(accumulate(1 / (rank + offset) for rank in range(count)))


def generate(size: int = PEOPLE, seed: int = 1) -> Population:
    """Return a population of ``size`` people with about two signatures each."""
    rng = random.Random(f"population-{seed}")
    family = surnames()
    family_weights = zipf(len(family), 30)
    men_weights, women_weights = zipf(len(MEN), 4), zipf(len(WOMEN), 4)
    region_weights = zipf(REGIONS, 3)
    people: list[PersonFacts] = []
    regions: dict[int, list[int]] = defaultdict(list)
    drawn: list[tuple[str, str, str, int, int]] = []
    for number in range(size):
        if drawn and rng.random() < SECOND_RECORD:
            person = rng.choice(drawn)  # a second record of someone drawn before
        else:
            woman = rng.random() < WOMEN_SHARE
            given = (
                rng.choices(WOMEN, cum_weights=women_weights)[0]
                if woman
                else rng.choices(MEN, cum_weights=men_weights)[0][0]
            )
            surname = rng.choices(family, cum_weights=family_weights)[0]
            father = rng.choice(MEN)
            region = rng.choices(range(REGIONS), cum_weights=region_weights)[0]
            person = (
                given,
                father[2] if woman else father[1],
                feminine(surname) if woman else surname,
                region,
                rng.randrange(DISTRICTS_PER_REGION),
            )
            drawn.append(person)
        regions[person[3]].append(number)
        people.append(person_facts(rng, number, person))
    return signed(rng, people, regions)


def person_facts(
    rng: random.Random, number: int, person: tuple[str, str, str, int, int]
) -> PersonFacts:
    """Return one person's facts: names written some way, district, role (statements come
    later)."""
    given, patronymic, surname, region, district = person
    way = rng.choices([way for way, _w in WAYS], [weight for _way, weight in WAYS])[0]
    names = [written(rng, way, given, patronymic, surname)]
    if rng.random() < SECOND_NAME:
        other = "given first" if way == "Latin" else "Latin"
        names.append(written(rng, other, given, patronymic, surname))
    place = rng.random()
    districts = (
        [f"ru/r{region:02d}/d{district:02d}"] if place < 0.85 else
        [f"ru/r{region:02d}"] if place < 0.9 else []
    )  # fmt: skip
    roles = [rng.choice(ROLES)] if rng.random() < 0.7 else []
    return PersonFacts(
        key=f"p{number:07d}",
        names=tuple(dict.fromkeys(names)),
        districts=frozenset(districts),
        roles=frozenset(roles),
    )


def written(rng: random.Random, way: str, given: str, patronymic: str, surname: str) -> str:
    """Return a name written one way (see WAYS)."""
    if way == "Latin":
        system = rng.choice(SYSTEMS)
        return f"{romanise(given, system)} {romanise(surname, system)}"
    if way == "surname first":
        return f"{surname} {given}"
    if way == "official order":
        return f"{surname} {given} {patronymic}"
    if way == "with patronymic":
        return f"{given} {patronymic} {surname}"
    if way == "initials":
        return f"{surname} {given[0]}. {patronymic[0]}."
    return f"{given} {surname}"


def signed(
    rng: random.Random, people: list[PersonFacts], regions: dict[int, list[int]]
) -> Population:
    """Return the population with statements: sizes by a capped power law, most signers of a
    statement from its region."""
    total = SIGNATURES_PER_PERSON * len(people)
    sizes: list[int] = []
    while sum(sizes) < total:
        size = int(SMALLEST_STATEMENT / rng.random() ** 0.9)
        sizes.append(min(size, LARGEST_STATEMENT, len(people)))
    statements: dict[int, set[str]] = defaultdict(set)
    signers: dict[str, list[str]] = {}
    for index, size in enumerate(sizes):
        key = f"s{index:05d}"
        local = regions[rng.randrange(REGIONS)] or list(range(len(people)))
        chosen = set(rng.sample(local, min(len(local), int(size * FROM_REGION))))
        while len(chosen) < size:
            chosen.add(rng.randrange(len(people)))
        signers[key] = [people[number].key for number in sorted(chosen)]
        for number in chosen:
            statements[number].add(key)
    keys = list(signers)
    for number, person in enumerate(people):  # everyone signed something
        if number not in statements:
            key = rng.choice(keys)
            signers[key].append(person.key)
            statements[number].add(key)
    people = [
        PersonFacts(
            person.key, person.names, person.districts, person.roles,
            frozenset(statements.get(number, ())),
        )
        for number, person in enumerate(people)
    ]  # fmt: skip
    return Population(people, signers)


def measure(population: Population) -> Measurement:
    """Time the candidates list over a population (rigour's first call timed apart)."""
    started = time.perf_counter()
    load_rigour()
    loading = time.perf_counter() - started
    started = time.perf_counter()
    with collector_paused():
        engine = Engine(population.people, population.signers, (), MINIMUM)
        candidates = engine.run()
    seconds = time.perf_counter() - started
    return Measurement(
        people=len(population.people),
        statements=len(population.signers),
        signatures=sum(len(keys) for keys in population.signers.values()),
        formed=len(engine.seen),
        scored=engine.scored,
        proposed=len(candidates),
        seconds=seconds,
        loading=loading,
    )


def report(measured: Measurement) -> str:
    """Return a measurement as a line of text."""
    return (
        f"{measured.people:,} people, {measured.statements:,} statements,"
        f" {measured.signatures:,} signatures: {measured.formed:,} pairs formed,"
        f" {measured.scored:,} scored, {measured.proposed:,} proposed in {measured.seconds:.1f} s"
        f" (and {measured.loading:.1f} s loading rigour before)"
    )


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else PEOPLE
    started = time.perf_counter()
    population = generate(size)
    print(f"generated {size} people in {time.perf_counter() - started:.1f} s")
    print(report(measure(population)))
