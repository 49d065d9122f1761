"""What signatures and identifiers say of two people: districts, roles, co-signers in common,
a statement both signed, identifiers that conflict."""

from __future__ import annotations

import pytest

from archive.identity.candidates import PersonFacts
from archive.identity.evidence import (
    Cosigners,
    Signing,
    district_evidence,
    evidence,
    most_evidence,
    reach_of,
)


def signing(
    key: str = "a",
    districts: tuple[str, ...] = (),
    roles: tuple[str, ...] = (),
    statements: tuple[str, ...] = (),
    identifiers: tuple[tuple[str, str], ...] = (),
) -> Signing:
    """Return the signing of a person with these facts (and a name that does not matter)."""
    facts = PersonFacts(
        key,
        ("Иван Сидоров",),
        frozenset(districts),
        frozenset(roles),
        frozenset(statements),
        frozenset(identifiers),
    )
    return Signing.of(facts)


def said(
    first: Signing, second: Signing, signers: dict[str, list[str]] | None = None
) -> list[tuple[float, str]]:
    """Return the evidence of two people as (weight, reason)."""
    return [(weight, why()) for weight, why in evidence(first, second, Cosigners(signers or {}))]


def test_the_country_holds_no_one() -> None:
    assert reach_of(frozenset({"ru/spb/kolpino"})) == {"ru/spb/kolpino", "ru/spb"}
    assert reach_of(frozenset({"ru"})) == {"ru"}


@pytest.mark.parametrize(
    ("one", "other", "expected"),
    [
        (("ru/spb",), ("ru/spb", "ru/moscow"), (0.2, "same district: ru/spb")),
        (("ru/spb", "ru/spb/kolpino"), ("ru/spb/kolpino",), (0.2, "same district: ru/spb/kolpino")),
        (
            ("ru/spb",),
            ("ru/spb/kolpino",),
            (0.1, "district within another: ru/spb / ru/spb/kolpino"),
        ),
        (
            ("ru/spb/kolpino",),
            ("ru/spb",),
            (0.1, "district within another: ru/spb/kolpino / ru/spb"),
        ),
        (("ru/spb",), ("ru/moscow",), (-0.2, "different districts: ru/spb / ru/moscow")),
        (("ru",), ("ru/moscow",), (-0.2, "different districts: ru / ru/moscow")),
    ],
)
def test_districts(
    one: tuple[str, ...], other: tuple[str, ...], expected: tuple[float, str]
) -> None:
    found = district_evidence(signing(districts=one), signing("b", districts=other))
    assert found is not None
    assert (found[0], found[1]()) == expected


def test_a_person_without_a_district_says_nothing_of_districts() -> None:
    assert district_evidence(signing(), signing("b", districts=("ru/spb",))) is None


def test_roles_are_compared_folded_and_said_as_written() -> None:
    found = said(signing(roles=("Municipal  Deputy",)), signing("b", roles=("municipal deputy",)))
    assert found == [(0.05, "same role: Municipal  Deputy")]


def test_a_statement_both_signed_says_two_people() -> None:
    found = said(signing(statements=("s1", "s2")), signing("b", statements=("s2", "s1")))
    assert found == [(-0.1, "signed the same statement: s1, s2")]


def test_identifiers_of_one_scheme_that_differ_conflict() -> None:
    first = signing(identifiers=(("wikidata", "Q1"), ("orcid", "0000")))
    second = signing("b", identifiers=(("wikidata", "Q2"), ("isni", "1111")))
    assert said(first, second) == [(-0.5, "identifiers conflict: wikidata Q1 / Q2")]


def test_co_signers_in_common_count_the_best_pair_of_statements() -> None:
    signers = {
        "letter": ["a", "x", "y", "z", "w"],  # a signed with x, y, z, w
        "appeal": ["b", "x", "y", "z"],  # b signed with x, y, z: three in common
        "petition": ["b", *(f"p{n}" for n in range(100)), "x", "y", "z", "w"],  # four, of 104
    }
    first = signing(statements=("letter",))
    second = signing("b", statements=("appeal", "petition"))
    # letter and appeal: 3 co-signers of the smaller's 3 others (share 1); and petition: 4 of 4
    assert said(first, second, signers) == [(0.1, "4 co-signers in common")]
    only_appeal = signing("b", statements=("appeal",))
    assert said(first, only_appeal, signers) == [(0.1, "3 co-signers in common")]


def test_the_two_people_are_not_their_own_co_signers() -> None:
    signers = {"letter": ["a", "b", "x"], "appeal": ["b", "a", "y"]}
    first, second = signing(statements=("letter",)), signing("b", statements=("appeal",))
    assert said(first, second, signers) == []


def test_two_statements_are_intersected_once() -> None:
    cosigners = Cosigners({"one": ["a", "x"], "two": ["b", "x"]})
    first, second = signing(statements=("one",)), signing("b", statements=("two",))
    third = signing("c", statements=("two",))
    assert cosigners.in_common(first, second) == (1.0, 1)
    assert cosigners.in_common(first, third) == (1.0, 1)
    assert cosigners.overlaps == {("one", "two"): 1}


def test_the_most_evidence_counts_co_signers_as_if_shared_by_all() -> None:
    first = signing(districts=("ru/spb",), roles=("deputy",))
    second = signing("b", districts=("ru/moscow",), roles=("deputy",))
    assert most_evidence(first, second) == pytest.approx(-0.2 + 0.05 + 0.1)
