"""Names across scripts: the script-neutral key of a word of a name and of a whole name.

A word is transliterated to ASCII (anyascii), then common romanisation variants are folded
(x/ks, th/t, ph/f, kh/h, ck/k, w/v, j and y to i, doubled letters, ie/e and ea/e), so that
"Ксения Торстрем", "Xenia Torstrem" and "Kseniya Torstream" meet. The search index keeps names
in this form too (archive.index.analysis).
"""

from __future__ import annotations

import re
from functools import lru_cache

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


@lru_cache(maxsize=200_000)
def name_key(word: str) -> str:
    """Return the script-neutral key of one word of a name ("" for a word with no letters)."""
    key = re.sub(r"[^a-z]", "", anyascii(word).lower())
    for variant, common in ROMANISATION:
        key = key.replace(variant, common)
    key = re.sub(r"(.)\1+", r"\1", key)
    return key.replace("ie", "e").replace("ea", "e")


def neutral_name(name: str) -> str:
    """Return the script-neutral form of a whole name: the keys of its words in sorted order,
    so that "Звягинцов Павел" and "Pavel Zvyagintsov" give the same "pavel zviagintsov"."""
    keys = (name_key(word) for word in WORD_RE.findall(name))
    return " ".join(sorted(key for key in keys if key))
