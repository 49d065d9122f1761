"""The candidates list: which pairs it proposes, with what score and reasons, and which never."""

# Cyrillic names are meant: ruff would take their letters for Latin look-alikes.
# ruff: noqa: RUF001

from __future__ import annotations

import gc
from collections import Counter

import pytest

from archive.bench import letters, population
from archive.identity.candidates import (
    Candidate,
    PersonFacts,
    collector_paused,
    commonness,
    find_candidates,
)

# People whom no name of the cases below resembles, so that each case is among strangers.
STRANGERS = [
    PersonFacts(f"z-{number}", (name,))
    for number, name in enumerate(
        ["Ольга Белова", "Pavel Orlov", "Нина Крылова", "Oleg Zuev", "Вера Титова", "Roman Lvov"]
    )
]


def person(
    key: str,
    name: str,
    *others: str,
    districts: frozenset[str] = frozenset(),
    roles: frozenset[str] = frozenset(),
    statements: frozenset[str] = frozenset(),
    identifiers: frozenset[tuple[str, str]] = frozenset(),
) -> PersonFacts:
    """Return a person with these names and facts."""
    return PersonFacts(key, (name, *others), districts, roles, statements, identifiers)


def pairs_of(candidates: list[Candidate]) -> set[tuple[str, str]]:
    """Return the pairs of keys the candidates propose."""
    return {(candidate.left, candidate.right) for candidate in candidates}


def only(candidates: list[Candidate]) -> Candidate:
    """Return the one candidate of a list."""
    assert len(candidates) == 1, candidates
    return candidates[0]


@pytest.mark.parametrize(
    ("one", "other", "reason"),
    [
        ("Звягинцов Павел", "Павел Звягинцов", "same name in another order"),
        ("Alexander Ivanov", "Aleksandr Ivanov", "name variant: Alexander / Aleksandr"),
        ("Alexander Ivanov", "Александр Иванов", "name variant: Alexander / Александр"),
        ("Aleksandr Ivanov", "Александр Иванов", "same name in another script"),
        ("Dmitry Zvyagintsov", "Dmitrii Zviagintsov", "same name in another romanisation"),
        ("Dmitry Zvyagintsov", "Дмитрий Звягинцов", "same name in another script"),
        ("Dmitrii Zviagintsov", "Дмитрий Звягинцов", "same name in another script"),
        ("Ksenia Thorstrom", "Ксения Торстрем", "spelling variant: Thorstrom / Торстрем"),
        ("Фёдор Ложкин", "Федор Ложкин", "same name, ё written е: Фёдор / Федор"),
        ("Иван Петрович Сидоров", "Иван Сидоров", "patronymic or initial in one only: Петрович"),
        ("И. Сидоров", "Иван Сидоров", "initial: И. / Иван"),
        ("Сидоров Иван Петрович", "И. П. Сидоров", "initial: Иван / И."),
    ],
)
def test_one_person_written_two_ways_is_proposed(one: str, other: str, reason: str) -> None:
    found = find_candidates([person("a", one), person("b", other), *STRANGERS])
    candidate = only(found)
    assert (candidate.left, candidate.right) == ("a", "b")
    assert candidate.score >= 0.6
    assert any(said.startswith(reason) for said in candidate.reasons), candidate.reasons


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Ivan Petrov", "Pavel Petrov"),
        ("Ivan Petrov", "Ivan Sidorov"),
        ("Иван Петрович Сидоров", "Иван Сергеевич Сидоров"),
        ("Евгений Петров", "Евгения Петрова"),
        ("Анна Смирнова", "Инна Смирнова"),
    ],
)
def test_two_people_are_not_proposed_however_much_else_they_share(one: str, other: str) -> None:
    spb, deputy = frozenset({"ru/spb"}), frozenset({"municipal deputy"})
    signers = {"letter": ["a", "x", "y"], "appeal": ["b", "x", "y"]}
    people = [
        person("a", one, districts=spb, roles=deputy, statements=frozenset({"letter"})),
        person("b", other, districts=spb, roles=deputy, statements=frozenset({"appeal"})),
    ]
    assert find_candidates(people, signers) == []


def test_what_signatures_share_adds_to_the_score_best_first() -> None:
    signers = {"letter": ["a", "x", "y", "z"], "appeal": ["b", "x", "y", "z"]}
    people = [
        person("a", "Ксения Торстрем", districts=frozenset({"ru/spb"}),
               roles=frozenset({"municipal deputy"}), statements=frozenset({"letter"})),
        person("b", "Ksenia Thorstrom", districts=frozenset({"ru/spb"}),
               roles=frozenset({"Municipal deputy"}), statements=frozenset({"appeal"})),
    ]  # fmt: skip
    candidate = only(find_candidates(people, signers))
    assert candidate.reasons == (
        "spelling variant: Торстрем / Thorstrom",
        "written in another script",
        "same district: ru/spb",
        "3 co-signers in common",
        "same role: municipal deputy",
    )
    assert candidate.score == 1.0  # 0.75 * 0.95 + 0.2 + 0.1 + 0.05, at most 1


def test_reasons_against_come_last() -> None:
    people = [
        person("a", "Иван Сидоров", districts=frozenset({"ru/spb"}), statements=frozenset({"s"})),
        person("b", "Иван Сидоров", districts=frozenset({"ru/spb"}), statements=frozenset({"s"})),
    ]
    candidate = only(find_candidates(people, minimum=0.0))
    assert candidate.reasons == (
        "same name",
        "same district: ru/spb",
        "signed the same statement: s",
    )
    assert candidate.score == pytest.approx(0.75 + 0.2 - 0.1)
    # Namesakes of one letter are listed, below the same pair from two letters.
    assert find_candidates(people) == [candidate]
    apart = [people[0], person("b", "Иван Сидоров", districts=frozenset({"ru/spb"}))]
    assert only(find_candidates(apart)).score > candidate.score


def test_identifiers_that_conflict_put_a_pair_under_the_minimum() -> None:
    people = [
        person("a", "Иван Сидоров", identifiers=frozenset({("wikidata", "Q1")})),
        person("b", "Иван Сидоров", identifiers=frozenset({("wikidata", "Q2")})),
    ]
    assert find_candidates(people) == []
    candidate = only(find_candidates(people, minimum=0.0))
    assert candidate.reasons == ("same name", "identifiers conflict: wikidata Q1 / Q2")
    assert candidate.score == pytest.approx(0.25)


def test_unrelated_districts_are_against_one_person() -> None:
    people = [
        person("a", "Иван Сидоров", districts=frozenset({"ru/spb"})),
        person("b", "Иван Сидоров", districts=frozenset({"ru/moscow"})),
    ]
    assert find_candidates(people) == []
    assert only(find_candidates(people, minimum=0.5)).reasons == (
        "same name",
        "different districts: ru/spb / ru/moscow",
    )


@pytest.mark.parametrize("refused", [[("a", "b")], [("b", "a")], {("b", "a"), ("x", "y")}])
def test_a_refused_pair_never_comes_back(refused: list[tuple[str, str]]) -> None:
    people = [person("a", "Иван Сидоров"), person("b", "Сидоров Иван"), person("c", "Ivan Sidorov")]
    assert pairs_of(find_candidates(people)) == {("a", "b"), ("a", "c"), ("b", "c")}
    assert pairs_of(find_candidates(people, refused=refused)) == {("a", "c"), ("b", "c")}


def test_each_pair_once_best_first_left_the_smaller_key() -> None:
    spb = frozenset({"ru/spb"})
    people = [
        person("p3", "Иван Петрович Сидоров", districts=spb),
        person("p1", "Сидоров Иван Петрович", "Ivan Petrovich Sidorov", districts=spb),
        person("p2", "Иван Сидоров", districts=spb),
        person("p0", "И. П. Сидоров", districts=spb),
    ]
    found = find_candidates(people)
    pairs = [(candidate.left, candidate.right) for candidate in found]
    assert len(pairs) == len(set(pairs)) == 6  # the 3-word names share three keys
    assert all(left < right for left, right in pairs)
    order = [(-candidate.score, candidate.left, candidate.right) for candidate in found]
    assert order == sorted(order)
    assert pairs[0] == ("p1", "p3")


def test_a_common_name_alone_is_not_enough() -> None:
    namesakes = [person(f"n{number:02d}", "Александр Иванов") for number in range(60)]
    assert find_candidates(namesakes) == []
    kolpino, deputy = frozenset({"ru/spb/kolpino"}), frozenset({"deputy"})
    namesakes[7] = person("n07", "Иванов Александр", districts=kolpino, roles=deputy)
    namesakes[42] = person("n42", "Александр Иванов", districts=kolpino, roles=deputy)
    candidate = only(find_candidates(namesakes))
    assert (candidate.left, candidate.right) == ("n07", "n42")
    assert candidate.reasons == (
        "same name in another order",
        "same district: ru/spb/kolpino",
        "same role: deputy",
        "common name: 60 people filed under one key",
    )
    assert candidate.score == pytest.approx(0.75 * commonness(60) + 0.25, abs=1e-4)


def test_commonness_falls_with_every_tenfold() -> None:
    assert commonness(2) == 1.0
    assert commonness(20) == pytest.approx(0.7)
    assert commonness(10_000) == 0.5


def test_two_people_with_one_key_are_refused() -> None:
    with pytest.raises(ValueError, match="one key"):
        find_candidates([person("a", "Иван Сидоров"), person("a", "Ivan Sidorov")])


def test_people_without_a_name_are_left_out() -> None:
    assert find_candidates([person("a", "—"), person("b", "—"), person("c", "12")]) == []


def test_the_cycle_collector_runs_again_after() -> None:
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_no_pair_that_could_score_the_minimum_is_lost() -> None:
    # At minimum 0 every pair of a key is formed; at 0.6 pairs that cannot reach it are not.
    people = population.generate(3_000, seed=5)
    everything = find_candidates(people.people, people.signers, minimum=0.0)
    kept = [candidate for candidate in everything if candidate.score >= 0.6]
    assert find_candidates(people.people, people.signers) == kept
    assert len(kept) > 50


def test_the_two_letters_are_told_apart() -> None:
    evaluation = letters.evaluate(letters.generate(3, 600, 120, 40, 6))
    assert evaluation.found + len(evaluation.missed) == 40
    assert evaluation.recall >= 0.85
    assert evaluation.precision >= 0.9
    assert evaluation.namesakes_proposed <= 1
    ways = Counter({way: total for way, (_found, total) in evaluation.ways.items()})
    assert len(ways) >= 6
