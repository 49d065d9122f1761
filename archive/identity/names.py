"""Names across scripts: the script-neutral key of a word of a name and of a whole name, the
words of a name with what the candidates list compares them by, and the keys a name is filed
under in the index of name keys.

A word is transliterated to ASCII (anyascii), then common romanisation variants are folded
(x/ks, th/t, ph/f, kh/h, ck/k, w/v, j and y to i, doubled letters, ie/e and ea/e), so that
"Ксения Торстрем", "Xenia Torstrem" and "Kseniya Torstream" meet. The search index keeps names
in this form too (archive.index.analysis).

Names whose keys differ though they are one name (Alexander and Aleksandr, Eugene and Евгений)
are recognised by OpenSanctions' ``rigour``, whose NAME symbols come from Wikidata's items of
given names (and some surnames). rigour loads its data on its first call (about four seconds),
then takes well under a millisecond a word; it is asked only about a word compared with a word
of another key, once per word. Words are analysed once and kept (half a million of them);
whole names are kept split for a while (a hundred thousand), as they come up again in pairs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations, groupby, permutations
from typing import NamedTuple

from anyascii import anyascii

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
WORD_RE = re.compile(r"\w+", re.UNICODE)
# A word of a name, and a full stop right after it (which marks an initial).
TOKEN_RE = re.compile(r"\w+\.?", re.UNICODE)
VOWELS_RE = re.compile(r"[aeiou]")
HARD_C_RE = re.compile(r"c(?!h)")
NOT_LETTERS_RE = re.compile(r"[^a-z]")
# An initial is one letter ("A", "И."), or two with a full stop ("Yu.", "Kh.", "Ch.").
INITIAL_LETTERS = 2
# The words of a name that make its keys: enough for a given name, patronymic and surname,
# and a bound on the keys of a long name (pairs of 4 words: 6 keys; expansions of 3: 6).
PAIRED_WORDS = 4
EXPANDED_WORDS = 3
# Distinct words kept analysed: far more than the given names and surnames of a large archive.
WORDS_KEPT = 500_000
# Whole names kept split: enough for the names of one key and its neighbours, little memory.
NAMES_KEPT = 100_000


@lru_cache(maxsize=WORDS_KEPT)
def name_key(word: str) -> str:
    """Return the script-neutral key of one word of a name ("" for a word with no letters)."""
    key = NOT_LETTERS_RE.sub("", anyascii(word).lower())
    for variant, common in ROMANISATION:
        key = key.replace(variant, common)
    return single(key).replace("ie", "e").replace("ea", "e")


def single(text: str) -> str:
    """Return text with every run of one letter made a single letter ("aleksseev": "aleksev")."""
    return "".join(letter for letter, _run in groupby(text))


def neutral_name(name: str) -> str:
    """Return the script-neutral form of a whole name: the keys of its words in sorted order,
    so that "Звягинцов Павел" and "Pavel Zvyagintsov" give the same "pavel zviagintsov"."""
    keys = (name_key(word) for word in WORD_RE.findall(name))
    return " ".join(sorted(key for key in keys if key))


@dataclass(frozen=True)
class Word:
    """One word of a name and what it is compared by.

    ``text`` is the word as written (without its full stop); ``key`` its script-neutral key
    (:func:`name_key`); ``skeleton`` the key without its vowels, which files spelling variants
    together (Aleksandr and Alexander: ``lksndr``; Фёдор and Fiodor: ``fdr``); ``initial``
    whether it is an initial ("И.", "A"); ``loose`` the key as two spellings are compared
    (:func:`loose_key`); :attr:`symbols` the Wikidata items of given names that rigour finds
    in it ("Q17501806" for both Aleksandr and Alexander), empty for an initial.
    """

    text: str
    key: str
    skeleton: str
    initial: bool
    loose: str

    def __post_init__(self) -> None:
        """Keep the word's hash: words are compared in pairs millions of times."""
        object.__setattr__(self, "hashed", hash((self.text, self.initial)))

    def __hash__(self) -> int:
        """Return the hash of the word's text and whether it is an initial (which make the
        rest), made once."""
        hashed: int = self.__dict__["hashed"]
        return hashed

    @property
    def symbols(self) -> frozenset[str]:
        """Return the Wikidata items of given names rigour finds in the word (none for an
        initial), asked of rigour when first needed: most words are never compared with a
        word of another key."""
        return frozenset() if self.initial else given_name_symbols(self.text)

    @property
    def latin(self) -> bool:
        """Tell whether the word is written in the Latin alphabet (ASCII letters)."""
        return self.text.isascii()


class NameBlocking(NamedTuple):
    """The keys a name is filed under in the index of name keys, by what they are for.

    ``pairs``: for every two full words the sorted pair of their skeletons ("lksndr vnv"), so
    that word order does not matter; a name with one full word has its skeleton alone.
    ``initials``: for every initial with every full word, the initial and the skeleton
    ("i. sdrv" for "И. Сидоров"). ``expansions``: the same keys as a name written in full would
    be abbreviated ("i. sdrv" and "s. vn" for "Иван Сидоров"), so that it meets the names that
    abbreviate it; a name written in full meets another one through ``pairs`` alone.
    """

    pairs: frozenset[str]
    initials: frozenset[str]
    expansions: frozenset[str]


def skeleton_of(key: str) -> str:
    """Return the consonant skeleton of a word's key: the key without vowels, c read as k but
    in "ch" (Victoria, Виктория: vktr), or the key itself when it has no consonant ("ia")."""
    return VOWELS_RE.sub("", HARD_C_RE.sub("k", key)) or key


def loose_key(key: str) -> str:
    """Return a word's key as two spellings are compared: "io" read as "e", the two ways ё is
    romanised (Semyonov, Semenov), c read as k but in "ch" (Victoria, Виктория), and letters
    doubled by the folding of "ie" made single (Alekseyev, Алексеев: alekseev, aleksev)."""
    return single(HARD_C_RE.sub("k", key.replace("io", "e")))


def is_initial(token: str) -> bool:
    """Tell whether a word as written (with its full stop, if any) is an initial: one letter,
    or up to two letters and a full stop ("Yu.")."""
    letters = token.rstrip(".")
    return len(letters) == 1 or (token.endswith(".") and len(letters) <= INITIAL_LETTERS)


@lru_cache(maxsize=WORDS_KEPT)
def analyse_word(token: str) -> Word | None:
    """Return one word of a name, as written with its full stop if any ("И.", "Фёдор"),
    analysed; None for a word with a digit ("2nd") or whose key is empty."""
    text = token.rstrip(".")
    key = name_key(text)
    if not key or any(character.isdigit() for character in text):
        return None
    return Word(text, key, skeleton_of(key), is_initial(token), loose_key(key))


@lru_cache(maxsize=WORDS_KEPT)
def given_name_symbols(text: str) -> frozenset[str]:
    """Return the Wikidata items of given names that rigour finds in one word ("Александр":
    Q17501806 among others), as the ids of its NAME symbols."""
    # Imported here: the index and the importer use name_key and need not load rigour.
    from rigour.names import NameTypeTag, SymbolCategory, analyze_names

    names = analyze_names(
        NameTypeTag.PER, [text], rewrite=False, phonetics=False, numerics=False, consolidate=False
    )
    return frozenset(
        str(symbol.id)
        for name in names
        for symbol in name.symbols
        if symbol.category == SymbolCategory.NAME
    )


def load_rigour() -> None:
    """Load rigour's data now (it takes about four seconds) rather than when a word is first
    compared with a word of another key: for a server at start, or a measurement."""
    given_name_symbols("Иван")


@lru_cache(maxsize=NAMES_KEPT)
def words(name: str) -> tuple[Word, ...]:
    """Return the words of a name in their order, each analysed (:class:`Word`); words
    without letters are left out."""
    found = (analyse_word(token) for token in TOKEN_RE.findall(name))
    return tuple(word for word in found if word is not None)


def name_blocking(name: str) -> NameBlocking:
    """Return the keys a name is filed under, by what they are for (:class:`NameBlocking`).

    Only the first four full words make pairs and the first three expansions, which bounds a
    long name to twelve keys; a name of a given name and a surname has one pair and two
    expansions.
    """
    full: list[Word] = []
    initials: list[Word] = []
    for word in words(name):
        (initials if word.initial else full).append(word)
    skeletons = [word.skeleton for word in full[:PAIRED_WORDS]]
    if len(skeletons) == 1:
        pairs = frozenset(skeletons)
    else:
        pairs = frozenset(
            f"{a} {b}" if a <= b else f"{b} {a}" for a, b in combinations(skeletons, 2)
        )
    expanded = [(word.key, word.skeleton) for word in full[:EXPANDED_WORDS]]
    return NameBlocking(
        pairs=pairs,
        initials=frozenset(
            initial_key(initial.key, skeleton) for initial in initials for skeleton in skeletons
        ),
        expansions=frozenset(
            initial_key(key, skeleton)
            for (key, _skeleton), (_key, skeleton) in permutations(expanded, 2)
        ),
    )


def initial_key(abbreviated: str, skeleton: str) -> str:
    """Return the key of an initial beside a full word: the first letter of the initial's (or
    the abbreviated word's) key, a full stop, and the full word's skeleton ("i. sdrv")."""
    return f"{abbreviated[0]}. {skeleton}"


def blocking_keys(name: str) -> set[str]:
    """Return every key a name is filed under in the index of name keys: the pairs of its full
    words' skeletons and its initials' keys, and the initials' keys it would answer to."""
    blocking = name_blocking(name)
    return set(blocking.pairs | blocking.initials | blocking.expansions)
