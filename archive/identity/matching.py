"""How alike two names are: their words aligned one to one, whatever their order and script.

Each word of the name with fewer words (the shorter) is matched to at most one word of the
other, the strongest matches first. Two words match as the first of these rows that fits says:

======================================================  ========  ==========================
two words                                               strength  reason
======================================================  ========  ==========================
two equal initials                                      0.8       same initial
an initial and a word it abbreviates (И. and Иван)      0.75      initial
the masculine and feminine forms of one name            none      (never one person)
the same script-neutral key (Dmitry, Dmitrii, Дмитрий)  1.0       (said of the whole name)
the same loose key (Semyonov, Семёнов; Victoria)        0.9       spelling variant
sharing a name's Wikidata item in rigour                0.95      name variant
two names rigour knows, with no item in common          0         (Alina, Alena; Anna, Inna)
keys that begin with different letters                  0         (Maksimova, Akimova)
the same consonant skeleton, keys one edit apart in 5   0.9       spelling variant
======================================================  ========  ==========================

A loose key (:func:`archive.identity.names.loose_key`) reads "io" as "e", the two
romanisations of ё, and c as k; a skeleton is a key without its vowels.

The similarity of the names is the sum of the strengths of the shorter name's matches over its
number of words (at least two, so that a one-word name is never more than half alike), times
0.95 for every word of the longer name left over (a patronymic, middle name or initial in one
name only). The names are *compatible* when every word of the shorter one found a match, the
initials that matched come first among a name's initials (the given name's comes first), and
no word of one is the other sex's form of a word of the other (a man and a woman); names that
are not compatible are at most half alike.
"""

# Cyrillic names are meant: ruff would take their letters for Latin look-alikes.
# ruff: noqa: RUF002

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz.distance import Levenshtein

from archive.identity.names import NAMES_KEPT, Word, words

SAME = 1.0
VARIANT = 0.95
SPELLING = 0.9
SAME_INITIAL = 0.8
INITIAL = 0.75
# A spelling variant's keys may differ by one edit in five letters (at least one edit), and
# its skeleton must have two letters or more (ilia and iulia share "l" alone).
LETTERS_PER_EDIT = 5
SKELETON_LETTERS = 2
LEFT_OVER = 0.95
INCOMPATIBLE = 0.5  # the most two incompatible names are alike
OPPOSITE = -1.0  # the strength of a man's and a woman's forms of one name
WORD_PAIRS_KEPT = 250_000
LEAST_WORDS = 2
# A woman's ending of a name, and a man's: ivanov-a, dostoevsk-aia/-i, tolst-aia/-oi,
# ivanov-na/-ich, nikitich-na, il-inichna/-ich.
FEMININE_ENDINGS = (
    ("a", ""),
    ("aia", "i"),
    ("aia", "oi"),
    ("na", "ich"),
    ("na", ""),
    ("inichna", "ich"),
)


@dataclass(frozen=True)
class NameMatch:
    """How alike two names are: ``similarity`` from 0 to 1, whether they are ``compatible``
    (every word of the shorter matched), and the ``reasons`` in English, best first."""

    similarity: float
    compatible: bool
    reasons: tuple[str, ...]


NO_MATCH = NameMatch(0.0, False, ())


class Alignment(NamedTuple):
    """The words of two names matched one to one: ``chosen`` as (place in the shorter name,
    place in the longer, strength, reason) (the first name is the shorter unless ``swapped``),
    the places of the longer name's words ``taken``, ``similarity`` and ``compatible`` (module
    docstring)."""

    first: tuple[Word, ...]
    second: tuple[Word, ...]
    swapped: bool
    chosen: list[tuple[int, int, float, str | None]]
    taken: list[int]
    similarity: float
    compatible: bool

    def matches(self) -> list[tuple[Word, Word, str | None]]:
        """Return the matched words as (word of the first name, of the second, reason), in
        the order of the first name's words."""
        shorter, longer = (self.second, self.first) if self.swapped else (self.first, self.second)
        pairs = [(shorter[i], longer[j], i, j, reason) for i, j, _s, reason in self.chosen]
        if self.swapped:
            return [(b, a, reason) for a, b, _i, _j, reason in sorted(pairs, key=lambda p: p[3])]
        return [(a, b, reason) for a, b, _i, _j, reason in sorted(pairs, key=lambda p: p[2])]

    def reordered(self) -> bool:
        """Tell whether the matched words stand in another order in one name than the other."""
        places = [(i, j) for i, j, _s, _r in self.chosen]
        order = [j for _i, j in sorted(places)]
        return order != sorted(order)

    def left_over(self) -> list[Word]:
        """Return the words of the longer name that matched none."""
        longer = self.first if self.swapped else self.second
        return [word for place, word in enumerate(longer) if place not in self.taken]


def gendered(a: str, b: str) -> bool:
    """Tell whether two loose keys (:attr:`Word.loose`) are a man's and a woman's forms of one
    name: surnames (ivanov and ivanova, dostoevski and dostoevskaia, tolstoi and tolstaia),
    given names (evgeni and evgenia) and patronymics (ivanovich and ivanovna, nikitich and
    nikitichna). Russian names differ so between a man and a woman, who are never one person."""
    if a[:2] != b[:2]:  # the two forms share all but their endings
        return False
    for feminine, masculine in FEMININE_ENDINGS:
        for one, other in ((a, b), (b, a)):
            if one.endswith(feminine) and one[: -len(feminine)] + masculine == other:
                return True
    return False


@lru_cache(maxsize=WORD_PAIRS_KEPT)
def match_words(a: Word, b: Word) -> tuple[float, str | None]:
    """Return how strongly two words match (0 for not at all, :data:`OPPOSITE` for a man's and
    a woman's forms of one name) and the reason, None when their keys are equal (the whole
    name's reasons say so). Kept for the most recent word pairs."""
    if a.initial or b.initial:
        return match_initials(a, b)
    if gendered(a.loose, b.loose):
        return OPPOSITE, None
    if a.key == b.key:
        return SAME, None
    pair = f"{a.text} / {b.text}"
    first, second = a.loose, b.loose
    if first == second:
        return SPELLING, f"spelling variant: {pair}"
    if a.symbols & b.symbols:
        return VARIANT, f"name variant: {pair}"
    if (a.symbols and b.symbols) or first[0] != second[0]:
        # Two names Wikidata knows apart (Alina and Alena, Anna and Inna); romanisations keep
        # a name's first letter (Eremin, Yeremin: eremin), a different name often does not.
        return 0.0, None
    edits = max(1, min(len(first), len(second)) // LETTERS_PER_EDIT)
    if (
        len(a.skeleton) >= SKELETON_LETTERS
        and a.skeleton == b.skeleton
        and Levenshtein.distance(first, second) <= edits
    ):
        return SPELLING, f"spelling variant: {pair}"
    return 0.0, None


def match_initials(a: Word, b: Word) -> tuple[float, str | None]:
    """Return how strongly two words match when one or both are initials: equal initials, or
    an initial and a word whose key begins with the initial's ("Ю." and "Yuri": iu, iuri)."""
    if a.initial and b.initial:
        same = a.key[0] == b.key[0]
        return (SAME_INITIAL, f"same initial: {a.text}. / {b.text}.") if same else (0.0, None)
    initial, full = (a, b) if a.initial else (b, a)
    if not full.key.startswith(initial.key):
        return 0.0, None
    if initial is a:
        return INITIAL, f"initial: {initial.text}. / {full.text}"
    return INITIAL, f"initial: {full.text} / {initial.text}."


def align(first: tuple[Word, ...], second: tuple[Word, ...]) -> Alignment:
    """Match the words of two names one to one, the strongest matches first (ties in the
    order of the shorter name's words), and say how alike the names are (module docstring)."""
    swapped = len(second) < len(first)
    shorter, longer = (second, first) if swapped else (first, second)
    found = []
    opposite = False
    for i, a in enumerate(shorter):
        for j, b in enumerate(longer):
            strength, reason = match_words(b, a) if swapped else match_words(a, b)
            if strength > 0:
                found.append((-strength, i, j, reason))
            elif strength:
                opposite = True
    found.sort(key=lambda match: match[:3])
    taken_shorter: list[int] = []
    taken_longer: list[int] = []
    chosen = []
    total = 0.0
    for strength, in_shorter, in_longer, reason in found:
        if in_shorter not in taken_shorter and in_longer not in taken_longer:
            taken_shorter.append(in_shorter)
            taken_longer.append(in_longer)
            chosen.append((in_shorter, in_longer, -strength, reason))
            total -= strength
    left_over = len(longer) - len(chosen)
    similarity = total / max(LEAST_WORDS, len(shorter)) * LEFT_OVER**left_over
    compatible = (
        len(chosen) == len(shorter)
        and not opposite
        and any(not word.initial for word in shorter)
        and initials_in_order(longer, taken_longer)
    )
    if not compatible:
        similarity = min(similarity, INCOMPATIBLE)
    return Alignment(first, second, swapped, chosen, taken_longer, round(similarity, 4), compatible)


def alike(a: str, b: str) -> tuple[float, bool]:
    """Return how alike two names are and whether they are compatible, without the reasons
    (:func:`compare_names` says why)."""
    keys = same_keys(a)
    if keys is not None and keys == same_keys(b):
        return SAME, True  # the same words in any order and script: the commonest case
    first, second = words(a), words(b)
    if not first or not second:
        return 0.0, False
    alignment = align(first, second)
    return alignment.similarity, alignment.compatible


@lru_cache(maxsize=NAMES_KEPT)
def same_keys(name: str) -> tuple[str, ...] | None:
    """Return the keys of a name's words in sorted order, None for a name with an initial or
    without words: two names with the same keys are the same name (similarity 1)."""
    found = words(name)
    if not found or any(word.initial for word in found):
        return None
    return tuple(sorted(word.key for word in found))


def compare_names(a: str, b: str) -> NameMatch:
    """Return how alike two names are (:class:`NameMatch`), by the rules of this module."""
    first, second = words(a), words(b)
    if not first or not second:
        return NO_MATCH
    alignment = align(first, second)
    if not alignment.compatible:
        return NameMatch(alignment.similarity, False, ())
    reasons = name_reasons(alignment)
    left_over = alignment.left_over()
    if left_over:
        extra = " ".join(word.text + ("." if word.initial else "") for word in left_over)
        kept = tuple(reason for reason in reasons if reason != "same name")
        reasons = (*kept, f"patronymic or initial in one only: {extra}")
    return NameMatch(alignment.similarity, True, reasons)


def initials_in_order(name: tuple[Word, ...], matched: list[int]) -> bool:
    """Tell whether the initials of a name that found a match come first among its initials:
    the given name's initial comes first ("В. А. Колесникова" is not Анастасия, whose А. would
    be the patronymic's)."""
    found = [place in matched for place, word in enumerate(name) if word.initial]
    return found == sorted(found, reverse=True)


def name_reasons(alignment: Alignment) -> tuple[str, ...]:
    """Return the reasons two compatible names are alike, best first: the whole name's when
    every word has the same key ("same name in another order"), else each word's variant and
    whether the words stand in another order or script."""
    matches = alignment.matches()
    another_order = alignment.reordered()
    another_script = any(a.latin != b.latin for a, b, _reason in matches)
    said = tuple(reason for _a, _b, reason in matches if reason)
    if said:
        said += ("words in another order",) if another_order else ()
        return said + (("written in another script",) if another_script else ())
    reasons: tuple[str, ...] = ()
    if another_order:
        reasons += ("same name in another order",)
    if another_script:
        reasons += ("same name in another script",)
    spelled = [(a, b) for a, b, _reason in matches if a.text.casefold() != b.text.casefold()]
    if spelled and not another_script:
        reasons += (spelling_reason(spelled),)
    return reasons or ("same name",)


def spelling_reason(spelled: list[tuple[Word, Word]]) -> str:
    """Return the reason two names with the same keys in one script are written differently:
    ё written е (Фёдор, Федор), or another romanisation (Dmitry, Dmitrii)."""
    pairs = ", ".join(f"{a.text} / {b.text}" for a, b in spelled)
    if all(
        a.text.casefold().replace("ё", "е") == b.text.casefold().replace("ё", "е")
        for a, b in spelled
    ):
        return f"same name, ё written е: {pairs}"
    if all(a.latin for a, _b in spelled):
        return f"same name in another romanisation: {pairs}"
    return f"same name, spelled otherwise: {pairs}"
