"""How alike two names are: words aligned across order and script, with the reasons."""

# Cyrillic names are meant: ruff would take their letters for Latin look-alikes.
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import pytest

from archive.identity.matching import alike, compare_names, gendered, match_words
from archive.identity.names import words


@pytest.mark.parametrize(
    ("one", "other", "similarity", "reasons"),
    [
        ("Звягинцов Павел", "Павел Звягинцов", 1.0, ["same name in another order"]),
        ("Иван Сидоров", "Иван Сидоров", 1.0, ["same name"]),
        ("Aleksandr Ivanov", "Александр Иванов", 1.0, ["same name in another script"]),
        (
            "Alexander Ivanov",
            "Aleksandr Ivanov",
            0.975,
            ["name variant: Alexander / Aleksandr"],
        ),
        (
            "Alexander Ivanov",
            "Александр Иванов",
            0.975,
            ["name variant: Alexander / Александр", "written in another script"],
        ),
        (
            "Dmitry Zvyagintsov",
            "Dmitrii Zviagintsov",
            1.0,
            ["same name in another romanisation: Dmitry / Dmitrii, Zvyagintsov / Zviagintsov"],
        ),
        ("Dmitry Zvyagintsov", "Дмитрий Звягинцов", 1.0, ["same name in another script"]),
        (
            "Ksenia Thorstrom",
            "Ксения Торстрем",
            0.95,
            ["spelling variant: Thorstrom / Торстрем", "written in another script"],
        ),
        ("Фёдор Ложкин", "Федор Ложкин", 1.0, ["same name, ё written е: Фёдор / Федор"]),
        (
            "Иван Петрович Сидоров",
            "Иван Сидоров",
            0.95,
            ["patronymic or initial in one only: Петрович"],
        ),
        ("И. Сидоров", "Иван Сидоров", 0.875, ["initial: И. / Иван"]),
        (
            "Сидоров И.П.",
            "Иван Петрович Сидоров",
            0.8333,
            ["initial: И. / Иван", "initial: П. / Петрович", "words in another order"],
        ),
        (
            "И. П. Сидоров",
            "Иван Сидоров",
            0.8312,
            ["initial: И. / Иван", "patronymic or initial in one only: П."],
        ),
    ],
)
def test_names_of_one_person_are_compatible_with_their_reasons(
    one: str, other: str, similarity: float, reasons: list[str]
) -> None:
    match = compare_names(one, other)
    assert match.compatible
    assert match.similarity == similarity
    assert list(match.reasons) == reasons
    assert alike(one, other) == (similarity, True)


def test_reasons_name_the_words_in_the_order_the_names_are_given() -> None:
    assert compare_names("Александр Иванов", "Alexander Ivanov").reasons[0] == (
        "name variant: Александр / Alexander"
    )
    assert compare_names("Иван Сидоров", "И. Сидоров").reasons == ("initial: Иван / И.",)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Ivan Petrov", "Pavel Petrov"),  # another given name
        ("Ivan Petrov", "Ivan Sidorov"),  # another surname
        ("Иван Петрович Сидоров", "Иван Сергеевич Сидоров"),  # another father
        ("Евгений Петров", "Евгения Петрова"),  # a man and a woman
        ("Анна Воробьева", "Воробьёв А. В."),  # a woman, and a man with her initial
        ("Анастасия Колесникова", "Колесникова В. А."),  # А. is the patronymic's
        ("Alina Petrova", "Alena Petrova"),  # two names Wikidata knows apart
        ("Анна Смирнова", "Инна Смирнова"),
        ("Илья Сорокин", "Iuliia Sorokina"),
        ("И. П.", "Иван Петров"),  # initials alone
    ],
)
def test_names_of_different_people_are_not_compatible(one: str, other: str) -> None:
    match = compare_names(one, other)
    assert not match.compatible
    assert match.similarity <= 0.5
    assert match.reasons == ()


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ivanov", "ivanova"),
        ("dostoevski", "dostoevskaia"),
        ("tolstoi", "tolstaia"),
        ("evgeni", "evgenia"),
        ("ivanovich", "ivanovna"),
        ("nikitich", "nikitichna"),
        ("ilich", "ilinichna"),
    ],
)
def test_a_mans_and_a_womans_forms_are_told(one: str, other: str) -> None:
    assert gendered(one, other)
    assert gendered(other, one)


@pytest.mark.parametrize(
    ("one", "other"), [("ivanov", "ivanov"), ("ivanova", "ivanovna"), ("ana", "ina")]
)
def test_other_words_are_not_a_mans_and_a_womans(one: str, other: str) -> None:
    assert not gendered(one, other)


def test_a_one_word_name_is_at_most_half_alike() -> None:
    match = compare_names("Сидоров", "Иван Сидоров")
    assert match.compatible
    assert match.similarity == 0.475


def test_a_name_without_words_matches_nothing() -> None:
    assert compare_names("—", "Иван Сидоров").similarity == 0.0
    assert alike("", "Иван Сидоров") == (0.0, False)


def test_a_word_pair_is_compared_once() -> None:
    first, second = words("Aleksandr")[0], words("Alexander")[0]
    match_words(first, second)
    before = match_words.cache_info().hits
    match_words(first, second)
    assert match_words.cache_info().hits == before + 1
