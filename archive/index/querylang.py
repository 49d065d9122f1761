"""The query language people type, parsed forgivingly into clauses the index can run.

Words must all match; "a phrase" matches those words in that order; -word excludes; OR between
two terms accepts either; field:value searches one field (title, text, person, district,
source, demand, kind, lang); date:2022-09 or date:2022-01..2022-06 limits dates; resig* matches
words that begin with at least three given letters; word~ allows one typing mistake.

Nothing here can fail: whatever the string, the result is a list of clauses and a list of
plain messages saying what was changed or refused. Expensive constructs are refused here
(leading or inner wildcards, fuzzy distances above one, ranges on text) and the size of a
query is capped, so that no query can hold a worker for long.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from archive.importing.fields import DATE_RE

MAX_QUERY_CHARS = 500
MAX_CLAUSES = 24
MAX_WORD_CHARS = 60
MIN_PREFIX = 3
MAX_FUZZY_WORDS = 4
FIELDS = {
    "title": "title",
    "text": "text",
    "person": "person",
    "people": "person",
    "name": "person",
    "district": "district",
    "place": "district",
    "source": "source",
    "publisher": "source",
    "demand": "demand",
    "demands": "demand",
    "kind": "kind",
    "lang": "lang",
    "language": "lang",
    "date": "date",
    "year": "date",
}
# Bidirectional controls and other invisible format characters (Unicode category Cf),
# and every control character, become spaces.
INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn"}
TOKEN_RE = re.compile(
    r'(?P<neg>-)?(?:(?P<field>[A-Za-z_]+):)?(?:"(?P<phrase>[^"]*)(?P<close>"?)|(?P<word>[^\s"]+))'
)
BRACKETS_RE = re.compile(r"[()\[\]{}<>^]")
DATE_RANGE_RE = re.compile(rf"(?P<start>{DATE_RE.pattern})?(?:\.\.|/)(?P<end>{DATE_RE.pattern})?")


@dataclass(frozen=True)
class Clause:
    """One thing to match: a word, phrase, prefix or fuzzy word, maybe in one field."""

    kind: str  # word, phrase, prefix, fuzzy
    text: str
    field: str | None = None
    negated: bool = False


@dataclass
class ParsedQuery:
    """Clauses in groups (every group must match; any clause of a group may), and notes."""

    groups: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)
    date_from: str | None = None
    date_to: str | None = None
    messages: list[str] = field(default_factory=list)

    def clauses(self) -> list[Clause]:
        """Return every clause, included or excluded."""
        return [clause for group in self.groups for clause in group] + self.excluded

    def note(self, message: str) -> None:
        """Add a message once."""
        if message not in self.messages:
            self.messages.append(message)


def clean(text: str) -> tuple[str, list[str]]:
    """Return the query with invisible and control characters removed, its length capped at
    MAX_QUERY_CHARS and its spaces collapsed, with a message for each change: (text, messages)."""
    messages = []
    text = unicodedata.normalize("NFC", text)
    visible = "".join(" " if unicodedata.category(c) in INVISIBLE else c for c in text)
    if visible != text:
        messages.append("Invisible and control characters were removed from the query.")
    if len(visible) > MAX_QUERY_CHARS:
        visible = visible[:MAX_QUERY_CHARS]
        messages.append(f"The query was cut to its first {MAX_QUERY_CHARS} characters.")
    return " ".join(visible.split()), messages


def parse(text: str) -> ParsedQuery:
    """Parse a query string into clauses, never failing: whatever cannot be searched is
    dropped or changed, with a message saying so on the ParsedQuery."""
    text, messages = clean(text)
    query = ParsedQuery(messages=messages)
    if BRACKETS_RE.search(text):
        query.note("Brackets are not part of the query language and were ignored.")
        text = BRACKETS_RE.sub(" ", text)
    pending_or = False
    for match in TOKEN_RE.finditer(text):
        if match["word"] in ("OR", "|", "||") and not match["neg"] and not match["field"]:
            pending_or = bool(query.groups)
            continue
        if match["word"] in ("AND", "&&", "+") and not match["field"]:
            continue
        clause = _clause(match, query)
        if clause is None:
            continue
        if len(query.clauses()) >= MAX_CLAUSES:
            query.note(f"Only the first {MAX_CLAUSES} terms of the query were used.")
            break
        if clause.negated:
            query.excluded.append(clause)
        elif pending_or:
            query.groups[-1].append(clause)
        else:
            query.groups.append([clause])
        pending_or = False
    return query


def _clause(match: re.Match[str], query: ParsedQuery) -> Clause | None:
    field_name = match["field"]
    negated = bool(match["neg"])
    if field_name is not None:
        field_name = FIELDS.get(field_name.lower())
        if field_name is None:
            query.note(f"Unknown field {match['field']!r}: its value was searched everywhere.")
    if match["phrase"] is not None:
        if not match["close"]:
            query.note("A closing quotation mark was added.")
        words = _words(match["phrase"], query)
        if not words:
            return None
        if field_name == "date":
            _date(" ".join(words), negated, query)
            return None
        kind = "phrase" if len(words) > 1 else "word"
        return Clause(kind, " ".join(words), field_name, negated)
    word = match["word"]
    if field_name == "date":
        _date(word, negated, query)
        return None
    return _word(word, field_name, negated, query)


def _words(text: str, query: ParsedQuery) -> list[str]:
    words = []
    for word in text.split():
        if any(c in word for c in "*?~"):
            query.note("Wildcards and ~ inside a phrase were ignored.")
            word = word.strip("*?~").replace("*", "").replace("?", "").replace("~", "")
        if word:
            words.append(word[:MAX_WORD_CHARS])
    return words


def _word(word: str, field_name: str | None, negated: bool, query: ParsedQuery) -> Clause | None:
    kind = "word"
    if "~" in word:
        word, _, distance = word.partition("~")
        kind = "fuzzy"
        if distance not in ("", "1"):
            query.note("A word~ may differ by one letter at most; larger distances were lowered.")
        word = word.replace("~", "")
    if "*" in word or "?" in word:
        stem = word.rstrip("*")
        letters = sum(c.isalnum() for c in stem)
        if word.endswith("*") and "*" not in stem and "?" not in stem and letters >= MIN_PREFIX:
            word, kind = stem, "prefix"
        else:
            query.note(
                f"Wildcards work only at the end of a word of at least {MIN_PREFIX} "
                "letters (such as resig*); others were ignored."
            )
            word = word.replace("*", "").replace("?", "")
    word = word.strip("-'’.,;:!")[:MAX_WORD_CHARS]
    if not any(c.isalnum() for c in word):
        return None
    if kind == "fuzzy" and sum(c.kind == "fuzzy" for c in query.clauses()) >= MAX_FUZZY_WORDS:
        # Each word~ scans the index's word list: many of them would hold a worker.
        query.note(f"Only the first {MAX_FUZZY_WORDS} words~ allow a typing mistake.")
        kind = "word"
    return Clause(kind, word, field_name, negated)


def _date(value: str, negated: bool, query: ParsedQuery) -> None:
    """Turn date:... into the query's date range (dates filter; they are not searched)."""
    value = value.replace(" ", "")
    if negated:
        query.note("Dates cannot be excluded; -date:... was ignored.")
        return
    if DATE_RE.fullmatch(value):
        start, end = value, value
    elif match := DATE_RANGE_RE.fullmatch(value):
        start, end = match["start"], match["end"]
    else:
        query.note(
            f"{value!r} is not a date or a range of dates (such as 2022-01..2022-06); "
            "it was ignored."
        )
        return
    query.date_from = start or query.date_from
    query.date_to = end or query.date_to
