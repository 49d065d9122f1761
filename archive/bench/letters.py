"""Two synthetic open letters for measuring the candidates list, and the measurement.

The letters are modelled on two real open letters of IT workers: the first with about 1,900
signers, the second with about 400, of whom about 100 signed the first too. The second letter
writes those hundred as lists of signatures do: the same, surname first, in the Latin alphabet
(the passport's, BGN's or the popular romanisation: Dmitrii, Dmitriy, Dmitry), with ё written
е or е written ё, with a patronymic, surname first with the patronymic (the official order), or
with initials; a signer of the first letter in the Latin alphabet is written in Cyrillic or in
another romanisation. A dozen signers of the second letter are namesakes of signers of the
first (the same name, another person, from another city) and must not be taken for them.
Every other signer has a name (given name and surname) that no other signer of either letter
bears, as in a population more varied than these lists: chance namesakes would blur what is
measured.

Every person here is **fake**, drawn from :mod:`archive.bench.letters_names`; the letters depend
only on their sizes and the seed (:class:`random.Random` seeded with a string, no clock).

The second letter finds most of the hundred in the same city and job; one in ten gives no
city (or no job), one in twenty moved to another city (or changed jobs), which a namesake does
too. The documents are in the import format, people inline without keys. Imported into an
archive, every signer becomes a person of their own: a name written alike in both letters (a
namesake, or someone in both written the same way) is a new person with a numbered key
(archive.importing.people), never taken for the first letter's.

:func:`evaluate` runs :func:`archive.identity.candidates.find_candidates` on one person per
signature and counts the true pairs found and missed and the wrong pairs proposed;
:func:`evaluate_imported` counts the same after importing both letters into a new archive and
reading its candidates list (archive.identity.review), as a curator would.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select

from archive.bench.letters_names import MEN, SURNAMES, SYSTEMS, WOMEN, feminine, romanise
from archive.bench.storage import migrated
from archive.data.models import Person, Signature, Statement
from archive.identity.candidates import Candidate, PersonFacts, find_candidates
from archive.identity.names import load_rigour
from archive.identity.review import review
from archive.importing import importer
from archive.importing.fields import person_key_for

FORMAT = "dissent-archive/1"
FIRST_SIZE = 1_900
SECOND_SIZE = 400
IN_BOTH = 100
NAMESAKES = 12
ATTEMPTS = 20  # writings tried for a name whose key another signature of the letter has

# City: district key, English name, Russian name, kind, parent, share of signers.
CITIES = (
    ("ru/moscow", "Moscow", "Москва", "federal_city", "ru", 40),
    ("ru/spb", "Saint Petersburg", "Санкт-Петербург", "federal_city", "ru", 22),
    ("ru/novosibirsk", "Novosibirsk", "Новосибирск", "city", "ru", 5),
    ("ru/yekaterinburg", "Yekaterinburg", "Екатеринбург", "city", "ru", 5),
    ("ru/kazan", "Kazan", "Казань", "city", "ru", 4),
    ("ru/nizhny-novgorod", "Nizhny Novgorod", "Нижний Новгород", "city", "ru", 4),
    ("ru/tomsk", "Tomsk", "Томск", "city", "ru", 3),
    ("ru/perm", "Perm", "Пермь", "city", "ru", 3),
    ("ru/samara", "Samara", "Самара", "city", "ru", 3),
    ("ru/krasnodar", "Krasnodar", "Краснодар", "city", "ru", 3),
    ("ge/tbilisi", "Tbilisi", "Тбилиси", "city", "ge", 4),
    ("am/yerevan", "Yerevan", "Ереван", "city", "am", 3),
    ("rs/belgrade", "Belgrade", "Белград", "city", "rs", 1),
)
COUNTRIES = (("ru", "Russia", "Россия"), ("ge", "Georgia", "Грузия"), ("am", "Armenia", "Армения"),
             ("rs", "Serbia", "Сербия"))  # fmt: skip
ROLES = (
    "software engineer", "backend developer", "frontend developer", "mobile developer",
    "QA engineer", "data scientist", "team lead", "system administrator", "DevOps engineer",
    "product manager", "designer", "analyst", "security engineer", "CTO",
)  # fmt: skip
# How the second letter writes a signer of the first, with weights: for a name the first letter
# writes in Cyrillic, and for one it writes in the Latin alphabet.
FROM_CYRILLIC = (
    ("same", 10), ("surname first", 20), ("Latin", 20), ("Latin, surname first", 5),
    ("ё or е", 10), ("with patronymic", 15), ("official order", 10), ("initials", 10),
)  # fmt: skip
FROM_LATIN = (("Cyrillic", 40), ("another romanisation", 40), ("same", 20))
LATIN_SHARE = 0.15  # of the first letter's signers, written in the Latin alphabet
KEEPS_YO = 0.6  # of names with ё, written with it
SAME_CITY, NO_CITY = 0.85, 0.10  # of the signers of both: the rest moved
SAME_ROLE, NO_ROLE = 0.80, 0.10  # the rest changed jobs


@dataclass(frozen=True)
class Signer:
    """A person who signs: name in Cyrillic, sex, city (index into CITIES), role."""

    given: str
    patronymic: str
    surname: str
    woman: bool
    city: int
    role: str

    def name(self) -> tuple[str, str]:
        """Return the given name and surname, which no two signers share but namesakes."""
        return self.given, self.surname


@dataclass(frozen=True)
class Letters:
    """The two letters as import documents, and what the measurement needs to know of them.

    ``same`` maps (signature index in the first letter, in the second) of every person who
    signed both to how the second letter writes them; ``namesakes`` holds the same kind of
    pairs for namesakes, who are two people.
    """

    first: dict[str, Any]
    second: dict[str, Any]
    same: dict[tuple[int, int], str]
    namesakes: frozenset[tuple[int, int]]


def generate(
    seed: int = 1,
    first_size: int = FIRST_SIZE,
    second_size: int = SECOND_SIZE,
    in_both: int = IN_BOTH,
    namesakes: int = NAMESAKES,
) -> Letters:
    """Return two letters of ``first_size`` and ``second_size`` signatures, ``in_both`` people
    signing both and ``namesakes`` namesakes, drawn from ``seed`` alone."""
    rng = random.Random(f"letters-{seed}")
    taken: set[tuple[str, str]] = set()
    first_keys: set[str] = set()
    first_signers = [new_signer(rng, taken) for _ in range(first_size)]
    first_names = [
        claimed(first_keys, partial(write_first, rng, signer)) for signer in first_signers
    ]
    chosen = rng.sample(range(first_size), in_both + namesakes)
    second_keys: set[str] = set()
    second: list[tuple[Signer, str, int | None, str | None]] = []
    for index in chosen[:in_both]:
        signer, first = first_signers[index], first_names[index]
        way, written = claimed_way(second_keys, partial(write_second, rng, signer, first))
        second.append((moved(rng, signer), written, index, way))
    for index in chosen[in_both:]:
        namesake = new_signer(rng, set(), first_signers[index])
        way = rng.choice(("same", "surname first", "Latin"))
        written = first_names[index] if way == "same" else write(rng, namesake, way)
        second.append((namesake, claimed(second_keys, partial(str, written)), index, None))
    while len(second) < second_size:
        signer = new_signer(rng, taken)
        second.append((signer, claimed(second_keys, partial(write_first, rng, signer)), None, None))
    rng.shuffle(second)
    same = {
        (index, place): way
        for place, (_s, _w, index, way) in enumerate(second)
        if index is not None and way
    }
    twins = {(index, place) for place, (_s, _w, index, way) in enumerate(second)
             if index is not None and way is None}  # fmt: skip
    return Letters(
        first=document(
            "it-workers-letter-a",
            "Synthetic letter A: IT workers against the war",
            "2022-02-27",
            list(zip(first_signers, first_names, strict=True)),
        ),
        second=document(
            "it-workers-letter-b",
            "Synthetic letter B: IT workers against mobilisation",
            "2022-09-23",
            [(signer, written) for signer, written, _index, _way in second],
        ),
        same=same,
        namesakes=frozenset(twins),
    )


def claimed(keys: set[str], write: Callable[[], str]) -> str:
    """Return a name from ``write`` whose key (as the importer derives it from the name) no
    other signature of the letter has, and claim the key: writing again when it is taken (a
    few times; then the name is kept as it is)."""
    return claimed_way(keys, lambda: ("", write()))[1]


def claimed_way(keys: set[str], write: Callable[[], tuple[str, str]]) -> tuple[str, str]:
    """Return a way of writing and a name from ``write``, as :func:`claimed` does."""
    for _attempt in range(ATTEMPTS):
        way, written = write()
        if person_key_for(written) not in keys:
            break
    keys.add(person_key_for(written))
    return way, written


def new_signer(
    rng: random.Random, taken: set[tuple[str, str]], namesake_of: Signer | None = None
) -> Signer:
    """Return a new signer whose name is not ``taken`` (and take it), or a namesake of
    ``namesake_of``: the same name, another father, city and role."""
    while True:
        woman = rng.random() < 0.3 if namesake_of is None else namesake_of.woman
        given = rng.choice(WOMEN) if woman else rng.choice(MEN)[0]
        surname = rng.choice(SURNAMES)
        if namesake_of is not None:
            given, surname = namesake_of.given, namesake_of.surname
        elif woman:
            surname = feminine(surname)
        _father, son, daughter = rng.choice(MEN)
        city = rng.choices(range(len(CITIES)), [city[5] for city in CITIES])[0]
        if namesake_of is not None and city == namesake_of.city:
            continue
        signer = Signer(given, daughter if woman else son, surname, woman, city, rng.choice(ROLES))
        if namesake_of is not None or signer.name() not in taken:
            taken.add(signer.name())
            return signer


def moved(rng: random.Random, signer: Signer) -> Signer:
    """Return a signer of the first letter as the second finds them: mostly in the same city
    and job, some moved to another city or job (and some not saying: see :func:`document`)."""
    city, role = signer.city, signer.role
    if rng.random() > SAME_CITY + NO_CITY:
        city = rng.choice([other for other in range(len(CITIES)) if other != city])
    elif rng.random() < NO_CITY / (SAME_CITY + NO_CITY):
        city = -1
    if rng.random() > SAME_ROLE + NO_ROLE:
        role = rng.choice([other for other in ROLES if other != role])
    elif rng.random() < NO_ROLE / (SAME_ROLE + NO_ROLE):
        role = ""
    return Signer(signer.given, signer.patronymic, signer.surname, signer.woman, city, role)


def write_first(rng: random.Random, signer: Signer) -> str:
    """Return a signer's name as the first letter writes it: given name and surname, mostly in
    Cyrillic (ё kept or written е), some in the Latin alphabet."""
    if rng.random() < LATIN_SHARE:
        return write(rng, signer, "Latin")
    return write(rng, signer, "Cyrillic")


def write_second(rng: random.Random, signer: Signer, first: str) -> tuple[str, str]:
    """Return how the second letter writes a signer of the first (the way, and the name),
    given the name as the first letter writes it."""
    ways = FROM_LATIN if first.isascii() else FROM_CYRILLIC
    while True:
        way = rng.choices([way for way, _weight in ways], [weight for _way, weight in ways])[0]
        if way == "same":
            return way, first
        if way == "ё or е" and "ё" not in signer.given + signer.surname:
            continue
        if way == "ё or е":
            return way, toggle_yo(first, signer)
        written = write(rng, signer, way)
        if written != first:
            return way, written


def write(rng: random.Random, signer: Signer, way: str) -> str:
    """Return a signer's name written one way (see FROM_CYRILLIC and FROM_LATIN)."""
    given, patronymic, surname = signer.given, signer.patronymic, signer.surname
    if way in ("Latin", "Latin, surname first", "another romanisation"):
        system = rng.choice(SYSTEMS)
        given, surname = romanise(given, system), romanise(surname, system)
        return f"{surname} {given}" if way == "Latin, surname first" else f"{given} {surname}"
    if rng.random() > KEEPS_YO:
        given, patronymic, surname = (
            word.replace("ё", "е") for word in (given, patronymic, surname)
        )
    if way == "surname first":
        return f"{surname} {given}"
    if way == "with patronymic":
        return f"{given} {patronymic} {surname}"
    if way == "official order":
        return f"{surname} {given} {patronymic}"
    if way == "initials":
        if rng.random() < 0.5:
            return f"{given[0]}. {surname}"
        return f"{surname} {given[0]}. {patronymic[0]}."
    return f"{given} {surname}"


def toggle_yo(written: str, signer: Signer) -> str:
    """Return a Cyrillic name with ё written е, or with е written ё where the name has ё."""
    if "ё" in written:
        return written.replace("ё", "е")
    return f"{signer.given} {signer.surname}"


def document(
    key: str, title: str, date: str, signatures: list[tuple[Signer, str]]
) -> dict[str, Any]:
    """Return one letter as an import document: its districts and one statement with its
    signatures, people inline (name and description, no key)."""
    return {
        "format": FORMAT,
        "districts": districts(),
        "statements": [
            {
                "key": key,
                "title": title,
                "kind": "open_letter",
                "date": date,
                "language": "ru",
                "signatures": [signature(signer, written) for signer, written in signatures],
            }
        ],
    }


def signature(signer: Signer, written: str) -> dict[str, Any]:
    """Return one signature: the person inline, role and district when known."""
    city = CITIES[signer.city] if signer.city >= 0 else None
    about = [part for part in (signer.role.capitalize(), city[1] if city else "") if part]
    person: dict[str, Any] = {"name": written}
    if about:
        person["description"] = ", ".join(about) + "."
    entry: dict[str, Any] = {"person": person, "stance": "signed"}
    if signer.role:
        entry["role"] = signer.role
    if city:
        entry["district"] = city[0]
    return entry


def districts() -> list[dict[str, Any]]:
    """Return the districts the letters' signatures refer to: countries and cities."""
    found: list[dict[str, Any]] = [
        {"key": key, "name": name, "kind": "country", "names": {"ru": russian}}
        for key, name, russian in COUNTRIES
    ]
    found += [
        {"key": key, "name": name, "kind": kind, "parent": parent, "names": {"ru": russian}}
        for key, name, russian, kind, parent, _share in CITIES
    ]
    return found


@dataclass(frozen=True)
class Evaluation:
    """What the candidates list found in the two letters.

    ``found`` and ``missed`` count the true pairs (one person in both letters) proposed and
    not; ``wrong`` lists the other pairs proposed (namesakes among them) with their reasons;
    ``ways`` gives, for each way the second letter writes a person, (found, true pairs);
    ``seconds`` is the time :func:`find_candidates` took, ``loading`` rigour's first call
    before it (0 when rigour was loaded already).
    """

    people: int
    found: int
    missed: tuple[tuple[str, str, str], ...]
    wrong: tuple[tuple[str, str, float, tuple[str, ...]], ...]
    namesakes_proposed: int
    ways: dict[str, tuple[int, int]]
    seconds: float
    loading: float

    @property
    def precision(self) -> float:
        """Return the share of proposed pairs that are one person."""
        return self.found / max(1, self.found + len(self.wrong))

    @property
    def recall(self) -> float:
        """Return the share of true pairs proposed."""
        return self.found / max(1, self.found + len(self.missed))


def people_of(letters: Letters) -> tuple[list[PersonFacts], dict[str, list[str]]]:
    """Return one person per signature of the two letters (keys ``a-0001``, ``b-0001`` by
    place in each letter) and the signers of each statement."""
    people: list[PersonFacts] = []
    signers: dict[str, list[str]] = {}
    for prefix, letter in (("a", letters.first), ("b", letters.second)):
        statement = letter["statements"][0]
        keys = signers.setdefault(statement["key"], [])
        for place, entry in enumerate(statement["signatures"]):
            key = person_key(prefix, place)
            keys.append(key)
            people.append(
                PersonFacts(
                    key=key,
                    names=(entry["person"]["name"],),
                    districts=frozenset([entry["district"]] if "district" in entry else []),
                    roles=frozenset([entry["role"]] if "role" in entry else []),
                    statements=frozenset([statement["key"]]),
                )
            )
    return people, signers


def person_key(prefix: str, place: int) -> str:
    """Return the key of the person of one signature: the letter's prefix and the place."""
    return f"{prefix}-{place:04d}"


def evaluate(letters: Letters, minimum: float | None = None) -> Evaluation:
    """Run the candidates list over the people of two letters and count what it got right."""
    people, signers = people_of(letters)
    names = {person.key: person.names[0] for person in people}
    loading = _load_rigour()
    started = time.perf_counter()
    if minimum is None:
        candidates = find_candidates(people, signers)
    else:
        candidates = find_candidates(people, signers, minimum=minimum)
    seconds = time.perf_counter() - started
    return _counted(letters, names, candidates, seconds, loading)


def evaluate_imported(letters: Letters, folder: Path) -> Evaluation:
    """Import the two letters into a new archive in ``folder`` (the first, then the second,
    as two imports) and count what its candidates list (archive.identity.review) got right;
    ``seconds`` is the time of the whole list, database reads included."""
    database = migrated(folder / "letters.sqlite3")
    try:
        for name, document in (("first.json", letters.first), ("second.json", letters.second)):
            path = folder / name
            path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
            importer.run(database, [path])
        prefixes = {letters.first["statements"][0]["key"]: "a"}
        prefixes[letters.second["statements"][0]["key"]] = "b"
        with database.session() as session:
            signed = session.execute(
                select(Statement.key, Signature.position, Person.key)
                .join(Signature, Signature.statement_id == Statement.id)
                .join(Person, Signature.person_id == Person.id)
            ).all()
            loading = _load_rigour()
            started = time.perf_counter()
            found = review(session)
            seconds = time.perf_counter() - started
    finally:
        database.dispose()
    place = {key: person_key(prefixes[statement], n - 1) for statement, n, key in signed}
    people, _signers = people_of(letters)
    names = {person.key: person.names[0] for person in people}
    candidates = []
    for candidate in found.candidates:
        left, right = sorted((place[candidate.left], place[candidate.right]))
        candidates.append(Candidate(left, right, candidate.score, candidate.reasons))
    return _counted(letters, names, candidates, seconds, loading)


def _load_rigour() -> float:
    """Load rigour's data now (timed apart from the list); return the seconds it took."""
    started = time.perf_counter()
    load_rigour()
    return time.perf_counter() - started


def _counted(
    letters: Letters,
    names: dict[str, str],
    candidates: list[Candidate],
    seconds: float,
    loading: float,
) -> Evaluation:
    """Count the true pairs found and missed and the wrong pairs among ``candidates``, whose
    people are keyed by letter and place (:func:`person_key`)."""
    truth = {(person_key("a", a), person_key("b", b)): way for (a, b), way in letters.same.items()}
    twins = {(person_key("a", a), person_key("b", b)) for a, b in letters.namesakes}
    proposed = {(candidate.left, candidate.right): candidate for candidate in candidates}
    wrong = [candidate for pair, candidate in proposed.items() if pair not in truth]
    ways_found: Counter[str] = Counter(way for pair, way in truth.items() if pair in proposed)
    return Evaluation(
        people=len(letters.first["statements"][0]["signatures"])
        + len(letters.second["statements"][0]["signatures"]),
        found=sum(ways_found.values()),
        missed=tuple(
            (names[left], names[right], way)
            for (left, right), way in sorted(truth.items())
            if (left, right) not in proposed
        ),
        wrong=tuple(described(candidate, names) for candidate in wrong),
        namesakes_proposed=len(twins & proposed.keys()),
        ways={way: (ways_found[way], total) for way, total in Counter(truth.values()).items()},
        seconds=seconds,
        loading=loading,
    )


def described(
    candidate: Candidate, names: dict[str, str]
) -> tuple[str, str, float, tuple[str, ...]]:
    """Return a candidate with the people's names in place of their keys."""
    return names[candidate.left], names[candidate.right], candidate.score, candidate.reasons


def report(evaluation: Evaluation) -> str:
    """Return an evaluation as lines of text: totals, each way of writing, misses, mistakes."""
    lines = [
        f"people: {evaluation.people}; true pairs: {evaluation.found + len(evaluation.missed)}",
        f"found {evaluation.found}, missed {len(evaluation.missed)}, wrong {len(evaluation.wrong)}"
        f" (namesakes among them: {evaluation.namesakes_proposed})",
        f"precision {evaluation.precision:.3f}, recall {evaluation.recall:.3f}",
        f"find_candidates: {evaluation.seconds:.2f} s"
        f" (rigour's first call before it: {evaluation.loading:.2f} s)",
    ]
    lines += [
        f"  {way}: {found}/{total}" for way, (found, total) in sorted(evaluation.ways.items())
    ]
    lines += [f"missed: {a} | {b} ({way})" for a, b, way in evaluation.missed]
    lines += [f"wrong: {a} | {b} {score} {'; '.join(why)}" for a, b, score, why in evaluation.wrong]
    return "\n".join(lines)


if __name__ == "__main__":
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    print(report(evaluate(generate(seed))))
    with tempfile.TemporaryDirectory() as folder:
        print("\nimported into an archive:")
        print(report(evaluate_imported(generate(seed), Path(folder))))
