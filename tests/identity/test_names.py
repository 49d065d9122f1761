"""Names across scripts: keys, skeletons, words with their initials and given-name symbols, and
the keys a name is filed under in the index of name keys."""

# Cyrillic names are meant: ruff would take their letters for Latin look-alikes.
# ruff: noqa: RUF001

from __future__ import annotations

import pytest

from archive.identity.names import (
    blocking_keys,
    loose_key,
    name_blocking,
    name_key,
    neutral_name,
    skeleton_of,
    words,
)


@pytest.mark.parametrize(
    ("spellings", "skeleton"),
    [
        (["Aleksandr", "Alexander", "Aleksander", "Александр"], "lksndr"),
        (["Фёдор", "Федор", "Fiodor", "Fyodor", "Fedor"], "fdr"),
        (["Дмитрий", "Dmitry", "Dmitrii", "Dmitriy"], "dmtr"),
        (["Звягинцов", "Zvyagintsov", "Zviagintsov"], "zvgntsv"),
        (["Евгений", "Yevgeny", "Evgenii", "Evgeniy"], "vgn"),
        (["Торстрем", "Thorstrom", "Torstrem"], "trstrm"),
        (["Виктория", "Victoria", "Viktoriya"], "vktr"),
    ],
)
def test_spellings_of_a_word_share_its_skeleton(spellings: list[str], skeleton: str) -> None:
    assert {skeleton_of(name_key(word)) for word in spellings} == {skeleton}
    assert {word.skeleton for spelling in spellings for word in words(spelling)} == {skeleton}


def test_a_word_without_consonants_is_its_own_skeleton() -> None:
    assert skeleton_of(name_key("Ия")) == name_key("Ия") == "ia"


@pytest.mark.parametrize(
    ("first", "second"),
    [("Semyonov", "Семёнов"), ("Semyonov", "Semenov"), ("Alekseyev", "Алексеев")],
)
def test_loose_keys_read_yo_as_e_and_single_letters(first: str, second: str) -> None:
    assert name_key(first) != name_key(second)
    assert loose_key(name_key(first)) == loose_key(name_key(second))


def test_the_script_neutral_key_is_unchanged() -> None:
    # the search index keeps names in this form: a change would need a new index format
    assert [name_key(w) for w in ("Ксения", "Xenia", "Kseniya", "Thorstrom", "Ёлкина")] == [
        "ksenia",
        "ksenia",
        "ksenia",
        "torstrom",
        "elkina",
    ]
    assert neutral_name("Звягинцов Павел") == neutral_name("Pavel Zvyagintsov")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("И. П. Сидоров", [("И", True), ("П", True), ("Сидоров", False)]),
        ("Сидоров И.П.", [("Сидоров", False), ("И", True), ("П", True)]),
        ("A Ivanov", [("A", True), ("Ivanov", False)]),
        ("Yu. Gagarin", [("Yu", True), ("Gagarin", False)]),
        ("Иван Петрович Сидоров", [("Иван", False), ("Петрович", False), ("Сидоров", False)]),
        ("Ivan Sidorov 2nd", [("Ivan", False), ("Sidorov", False)]),
        ("Анна-Мария Иванова", [("Анна", False), ("Мария", False), ("Иванова", False)]),
    ],
)
def test_words_say_which_are_initials(name: str, expected: list[tuple[str, bool]]) -> None:
    assert [(word.text, word.initial) for word in words(name)] == expected


@pytest.mark.parametrize(
    "spellings",
    [
        ["Aleksandr", "Alexander", "Александр"],
        ["Dmitry", "Dmitrii", "Дмитрий"],
        ["Фёдор", "Федор", "Fyodor"],
        ["Ksenia", "Xenia", "Ксения"],
    ],
)
def test_spellings_of_a_given_name_share_a_symbol(spellings: list[str]) -> None:
    symbols = [words(spelling)[0].symbols for spelling in spellings]
    assert all(symbols)
    assert frozenset.intersection(*symbols)


@pytest.mark.parametrize(
    ("one", "other"), [("Иван", "Павел"), ("Alina", "Alena"), ("Анна", "Инна")]
)
def test_different_given_names_share_no_symbol(one: str, other: str) -> None:
    assert not words(one)[0].symbols & words(other)[0].symbols


def test_an_initial_has_no_symbols() -> None:
    assert words("A.")[0].symbols == frozenset()


def test_a_word_is_analysed_once() -> None:
    assert words("Иван Сидоров")[0] is words("Иван Петров")[0]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Звягинцов Павел", "Павел Звягинцов"),
        ("Aleksandr Ivanov", "Иванов Александр"),
        ("Alexander Ivanov", "Александр Иванов"),
        ("Dmitry Zvyagintsov", "Дмитрий Звягинцов"),
        ("Ksenia Thorstrom", "Ксения Торстрем"),
        ("Фёдор Ложкин", "Федор Ложкин"),
        ("Иван Петрович Сидоров", "Иван Сидоров"),
        ("И. Сидоров", "Иван Сидоров"),
        ("Сидоров И.П.", "Иван Петрович Сидоров"),
        ("Иван С.", "Иван Сидоров"),
    ],
)
def test_names_of_one_person_share_a_key(one: str, other: str) -> None:
    assert blocking_keys(one) & blocking_keys(other)


def test_the_keys_of_a_name() -> None:
    assert name_blocking("Иван Сидоров") == (
        frozenset({"sdrv vn"}),
        frozenset(),
        frozenset({"i. sdrv", "s. vn"}),
    )
    assert name_blocking("И. П. Сидоров") == (
        frozenset({"sdrv"}),
        frozenset({"i. sdrv", "p. sdrv"}),
        frozenset(),
    )
    assert name_blocking("Иван Петрович Сидоров").pairs == {"ptrvch sdrv", "ptrvch vn", "sdrv vn"}


def test_a_one_word_name_is_filed_under_its_skeleton() -> None:
    assert blocking_keys("Сидоров") == {"sdrv"}


def test_a_long_name_has_a_handful_of_keys() -> None:
    blocking = name_blocking("Анна Мария Луиза Шарлотта Фредерика Иванова")
    assert len(blocking.pairs) == 6  # its first four words, two by two
    assert len(blocking.expansions) == 6  # its first three words
    assert len(blocking_keys("Иван Петрович Сидоров")) == 9


def test_names_of_different_people_can_share_no_key() -> None:
    assert not blocking_keys("Ivan Petrov") & blocking_keys("Pavel Sidorov")
