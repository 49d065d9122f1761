"""Text analysis for the search index: language-aware words and script-neutral names.

Words of running text are folded (case, ё to е, accents on Latin letters) and stemmed by the
language their script says: Cyrillic words with the Russian Snowball stemmer and stop words,
Latin words with the English ones. A query goes through the same analysis, so "отставка" meets
"отставки" and "resign" meets "resignation".

Names of people and places are also reduced to a script-neutral Latin key: transliterated to
ASCII (anyascii), then common romanisation variants are folded (x/ks, th/t, kh/h, w/v, j and y
to i, doubled letters, ie/e and ea/e), so that "Ксения Торстрем", "Xenia Torstrem" and
"Kseniya Torstream" meet.

The index pickles its analyzers, so the classes here are part of its on-disk format: renaming
one requires ``archive reindex``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from anyascii import anyascii
from whoosh.analysis import Filter, RegexTokenizer
from whoosh.lang import stemmer_for_language, stopwords_for_language

WORD_RE = r"\w+(?:[-'’]\w+)*"
CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
ROMANISATION = (
    ("x", "ks"),
    ("th", "t"),
    ("ph", "f"),
    ("kh", "h"),
    ("ck", "k"),
    ("w", "v"),
    ("j", "i"),
    ("y", "i"),
)
STOP_WORDS = {
    "ru": frozenset(stopwords_for_language("ru")),
    "en": frozenset(stopwords_for_language("en")),
}


def language_of(word: str) -> str:
    """Return the language whose stemmer suits a word: ru for Cyrillic, en otherwise."""
    return "ru" if CYRILLIC_RE.search(word) else "en"


@lru_cache(maxsize=500_000)
def fold(word: str) -> str:
    """Fold case, ё to е and, on Latin letters only, accents (й and ё must keep their marks)."""
    word = word.lower().replace("ё", "е")
    if CYRILLIC_RE.search(word):
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Return the stem of a folded word, by the language of its script."""
    return _stemmer(language_of(word))(word)


@lru_cache(maxsize=4)
def _stemmer(language: str) -> Callable[[str], str]:
    stemmer: Callable[[str], str] = stemmer_for_language(language)
    return stemmer


def is_stop_word(word: str) -> bool:
    """Tell whether a folded word is a stop word of its language."""
    return word in STOP_WORDS[language_of(word)]


@lru_cache(maxsize=200_000)
def name_key(word: str) -> str:
    """Return the script-neutral key of one word of a name."""
    key = re.sub(r"[^a-z]", "", anyascii(word).lower())
    for variant, common in ROMANISATION:
        key = key.replace(variant, common)
    key = re.sub(r"(.)\1+", r"\1", key)
    return key.replace("ie", "e").replace("ea", "e")


class FoldFilter(Filter):  # type: ignore[misc]
    """Fold each token (case, ё, Latin accents)."""

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for token in tokens:
            token.text = fold(token.text)
            yield token


@lru_cache(maxsize=500_000)
def text_word(word: str) -> str:
    """Return a word of running text as the index keeps it: folded and stemmed, or "" for a
    stop word (one cached call per distinct word, not three per occurrence)."""
    folded = fold(word)
    return "" if is_stop_word(folded) else stem(folded)


class TextWordFilter(Filter):  # type: ignore[misc]
    """Fold each token, drop stop words and stem the others by the language of its script."""

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for token in tokens:
            text = text_word(token.text)
            if text:
                token.text = text
                yield token


class NameKeyFilter(Filter):  # type: ignore[misc]
    """Replace each token of a name by its script-neutral key."""

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for token in tokens:
            token.text = name_key(token.text)
            if token.text:
                yield token


def text_analyzer() -> Any:
    """Return the analyzer of running text: words, folded, stop words dropped, stemmed."""
    return RegexTokenizer(WORD_RE) | TextWordFilter()


def plain_analyzer() -> Any:
    """Return the analyzer of words kept whole (for prefixes and spelling suggestions)."""
    return RegexTokenizer(WORD_RE) | FoldFilter()


def name_analyzer() -> Any:
    """Return the analyzer of names: words reduced to script-neutral keys."""
    return RegexTokenizer(r"\w+") | NameKeyFilter()
