"""Text analysis for the search index: language-aware words and script-neutral names.

Words of running text (letters with their combining marks, joined by hyphens and apostrophes)
are folded (case, ё to е, apostrophes, marks, Latin letters such as ł, ø and ß) and stemmed by the
language their script says: Cyrillic words with the Russian Snowball stemmer and stop words,
Latin words with the English ones. A query goes through the same analysis, so "отставка" meets
"отставки" and "resign" meets "resignation".

Names of people and places are also reduced to a script-neutral Latin key: transliterated to
ASCII (anyascii), then common romanisation variants are folded (x/ks, th/t, kh/h, w/v, j and y
to i, doubled letters, ie/e and ea/e), so that "Ксения Торстрем", "Xenia Torstrem" and
"Kseniya Torstream" meet.

The index pickles its analyzers and its positions format, so the classes here are part of its
on-disk format: renaming or moving one requires ``archive reindex``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from whoosh.analysis import CompositeAnalyzer, Filter, RegexTokenizer
from whoosh.fields import TEXT
from whoosh.formats import Positions
from whoosh.lang import stemmer_for_language, stopwords_for_language

from archive.identity.names import name_key as neutral_word_key
from archive.index import whoosh_private


def _mark_ranges() -> str:
    """Return a regular-expression class body of every combining mark (Unicode categories Mn,
    Mc and Me) in the planes where marks are assigned (0-1 and 14)."""
    ranges: list[tuple[int, int]] = []
    for code in (*range(0x20000), *range(0xE0000, 0xE1000)):
        if unicodedata.category(chr(code))[0] == "M":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(
        re.escape(chr(low)) + (f"-{re.escape(chr(high))}" if high > low else "")
        for low, high in ranges
    )


# A combining mark belongs to the word it follows: Python's \w leaves marks out, so a mark
# that NFC cannot merge into its letter (Arabic vowel signs, a Russian stress mark, the second
# mark of a Vietnamese letter) would otherwise cut the word in two.
MARKS = _mark_ranges()
LETTERS = rf"[\w{MARKS}]"
# A word: letters and marks, joined by hyphens and apostrophes (U+0027, U+2019; U+02BC, the
# modifier letter apostrophe, is a letter to \w already).
WORD_RE = rf"{LETTERS}+(?:[-'’]{LETTERS}+)*"
# A word of a name: letters and marks, joined by apostrophes ("Дар’я", "O'Brien"); a hyphen
# parts two names ("Торстрем-Ёлкина").
NAME_WORD_RE = rf"{LETTERS}+(?:['’]{LETTERS}+)*"
CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
# Apostrophes that are one character for matching: U+2019 and U+02BC (the Ukrainian
# apostrophe) are read as U+0027.
APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'"})
# Latin letters that Unicode does not decompose into a base letter and a mark, folded to the
# letters they are written with where the font or keyboard lacks them (as in names).
LATIN_LETTERS = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ß": "ss",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "\u0131": "i",  # dotless i
        "ħ": "h",
        "ŧ": "t",
        "ŀ": "l",
    }
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
    """Fold case, ё to е, apostrophes to ', and marks: in Cyrillic only those that are not
    part of a letter (й keeps its breve; a stress mark goes), elsewhere every mark (accents,
    Arabic vowel signs) and the Latin letters of LATIN_LETTERS."""
    word = word.lower().translate(APOSTROPHES)
    if CYRILLIC_RE.search(word):
        composed = unicodedata.normalize("NFC", word).replace("ё", "е")
        return "".join(c for c in composed if not unicodedata.combining(c))
    decomposed = unicodedata.normalize("NFKD", word.translate(LATIN_LETTERS))
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


def name_key(word: str) -> str:
    """Return the script-neutral key of one word of a name (archive.identity.names); the
    index's name analyzer pickles a reference to this function, so it stays here."""
    return neutral_word_key(word)


@lru_cache(maxsize=500_000)
def text_word(word: str) -> str:
    """Return a word of running text as the index keeps it: folded and stemmed, or "" for a
    stop word (one cached call per distinct word, not three per occurrence)."""
    folded = fold(word)
    return "" if is_stop_word(folded) else stem(folded)


class WordFilter(Filter):  # type: ignore[misc]
    """Replace each token by what a word function makes of it; drop it where that is ""."""

    def __init__(self, word: Callable[[str], str]) -> None:
        self.word = word

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        word = self.word
        for token in tokens:
            token.text = word(token.text)
            if token.text:
                yield token


class WordAnalyzer(CompositeAnalyzer):  # type: ignore[misc]
    """Words found by a regular expression, each replaced by a word function (and dropped
    where it gives ""), as Whoosh's tokenizer and a filter would; plus a quicker path for
    indexing that finds every word's positions without a Token object per word."""

    def __init__(self, pattern: str, word: Callable[[str], str]) -> None:
        super().__init__(RegexTokenizer(pattern), WordFilter(word))
        self.expression = re.compile(pattern)
        self.word = word

    def positions(self, value: str) -> dict[str, list[int]]:
        """Return each word's positions in a text, counted as the tokenizer counts them
        (a dropped word keeps its place)."""
        found: dict[str, list[int]] = {}
        for position, word in enumerate(map(self.word, self.expression.findall(value))):
            if word:
                found.setdefault(word, []).append(position)
        return found


class IndexedPositions(Positions):  # type: ignore[misc]
    """Whoosh's positions format, fed by the analyzer's quicker path where it has one (the
    postings written are the same)."""

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Iterator[Any]:
        """Yield (word, frequency, weight, encoded positions) for each word of a text, as
        ``whoosh.formats.Positions.word_values`` does (the weight is the frequency times the
        field's boost), by the analyzer's quicker path where it has one."""
        positions = getattr(analyzer, "positions", None)
        if positions is None or not isinstance(value, str):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost, encode = self.field_boost, self.encode
        for word, found in positions(value).items():
            yield word, len(found), len(found) * boost, encode(found)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        """Return the positions an encoding holds (see :func:`whoosh_private.decode_positions`)."""
        return whoosh_private.decode_positions(valuestring)


def text_field(analyzer: Any, field_boost: float = 1.0) -> TEXT:
    """Return a text field with positions (for phrases) written through ``IndexedPositions``."""
    field = TEXT(analyzer=analyzer, field_boost=field_boost)
    field.format = IndexedPositions(field_boost=field_boost)
    return field


def text_analyzer() -> Any:
    """Return the analyzer of running text: words, folded, stop words dropped, stemmed."""
    return WordAnalyzer(WORD_RE, text_word)


def plain_analyzer() -> Any:
    """Return the analyzer of words kept whole (for prefixes and spelling suggestions)."""
    return WordAnalyzer(WORD_RE, fold)


def name_analyzer() -> Any:
    """Return the analyzer of names: words reduced to script-neutral keys."""
    return WordAnalyzer(NAME_WORD_RE, name_key)
