"""The query compiler: parsed clauses (:mod:`archive.index.querylang`) become a Whoosh query,
noting what each clause matches, within a budget of the postings a search may read.

Prefixes and fuzzy words are expanded here into the indexed words they stand for, a bounded
number of them; a query whose words would read more postings than :func:`search_budget` allows
is refused (:class:`TooCostly`) before any is read.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from whoosh.query import And, AndNot, Every, Or, Phrase, Query, Term

from archive.index import analysis, querylang
from archive.index.schema import SCHEMA

MAX_EXPANSIONS = 64  # terms a prefix or fuzzy word may stand for
MAX_QUERY_EXPANSIONS = 128  # terms all the prefixes and fuzzy words of one query may stand for
# Postings a search may read, per document in the index: a word found in every statement
# reads about two (its text and its unstemmed words); a query over the budget (many common
# words, prefixes or fuzzy words) is refused at once instead of using up its time limit.
MAX_POSTINGS_PER_DOCUMENT = 4


@dataclass
class Terms:
    """What a query matches, for highlighting: stems, whole words, name keys and prefixes."""

    stems: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)


class TimedOut(Exception):
    """The search's time ran out while its query was expanded, matched or scored."""


class TooCostly(Exception):
    """A query would read more postings than a search may (see :func:`search_budget`)."""


def _analyze(field_name: str, text: str) -> list[str]:
    return [token.text for token in SCHEMA[field_name].analyzer(text, mode="query")]


def _terms_query(field_name: str, text: str) -> Query | None:
    tokens = _analyze(field_name, text)
    if not tokens:
        return None
    if len(tokens) == 1:
        return Term(field_name, tokens[0])
    return Phrase(field_name, tokens)


class Compiler:
    """Turns parsed clauses into a Whoosh query for one searcher, noting what each clause
    matches (``terms``, for highlighting).

    Prefixes and fuzzy words stand for at most MAX_EXPANSIONS indexed words each and
    MAX_QUERY_EXPANSIONS in all, within the search's budget of postings and its ``deadline``
    (a time.monotonic() value).
    """

    # The fields an unqualified word is looked for in, and those of each field:value.
    EVERYWHERE = ("title", "text", "names", "districts", "source")
    FIELDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "title": ("title",),
        "text": ("text",),
        "person": ("names",),
        "district": ("districts",),
        "source": ("source",),
    }

    def __init__(self, searcher: Any, parsed: querylang.ParsedQuery, deadline: float) -> None:
        self.searcher = searcher
        self.parsed = parsed
        self.deadline = deadline
        self.expansions_left = MAX_QUERY_EXPANSIONS
        # Postings the expansions read so far, checked as they grow: expanding many fuzzy
        # words scans the word list for each, so a costly query stops before the last.
        self.postings = 0
        self.budget = search_budget(searcher)
        self.truncated = False
        self.terms = Terms()
        # Common words are dropped unless the query has nothing else (then "the" finds "the").
        self.stop_words_dropped = not all(_is_stop_word(c) for g in parsed.groups for c in g)

    def query(self) -> Query | None:
        """Return the Whoosh query of the parsed clauses: every group matched (a group's
        clauses, any of them), less the documents an excluded clause matches; None when no
        clause is left (only common words beside others, say).

        Raises TimedOut past the deadline and TooCostly when expanding prefixes and fuzzy
        words alone reads more postings than the budget; notes on the parsed query where an
        expansion was cut short.
        """
        groups = [self._group(group) for group in self.parsed.groups]
        positive: list[Query] = [g for g in groups if g is not None]
        excluded = [q for q in (self._clause(c) for c in self.parsed.excluded) if q is not None]
        if not positive and not excluded:
            return None
        query: Query = And(positive) if positive else Every()
        return AndNot(query, Or(excluded)) if excluded else query

    def _group(self, clauses: list[querylang.Clause]) -> Query | None:
        parts = [q for q in (self._clause(clause) for clause in clauses) if q is not None]
        return Or(parts) if parts else None

    def _clause(self, clause: querylang.Clause) -> Query | None:
        if clause.field in ("demand", "kind", "lang"):
            value = analysis.fold(clause.text)
            return Term(
                clause.field, value.replace("-", "_") if clause.field == "demand" else value
            )
        if self.stop_words_dropped and _is_stop_word(clause):
            return None  # a common word beside others would match nearly everything
        fields = self.FIELDS.get(clause.field or "", self.EVERYWHERE)
        if clause.kind == "prefix":
            return self._prefix(clause.text, fields)
        if clause.kind == "fuzzy":
            return self._fuzzy(clause.text, fields)
        self._note_terms(clause.text)
        if clause.kind == "phrase" and clause.field is None:
            parts = [_terms_query("words", clause.text), _terms_query("names", clause.text)]
        else:
            parts = [_terms_query(field_name, clause.text) for field_name in fields]
        if clause.field is None and clause.kind == "word":
            parts.append(Term("demand", analysis.fold(clause.text).replace("-", "_")))
            parts.append(_terms_query("words", clause.text))
        found = [part for part in parts if part is not None]
        return Or(found) if found else None

    def _note_terms(self, text: str) -> None:
        self.terms.stems.update(_analyze("text", text))
        self.terms.words.update(_analyze("words", text))
        self.terms.names.update(_analyze("names", text))

    def _expand(self, field_name: str, words: Iterable[bytes | str]) -> list[str]:
        """Return the indexed words a prefix or fuzzy word stands for, within the word's and
        the query's budget of expansions and the search's time."""
        if time.monotonic() > self.deadline:
            raise TimedOut
        fieldobj = SCHEMA[field_name]
        limit = min(MAX_EXPANSIONS, self.expansions_left)
        found: list[str] = []
        for raw in words:
            if len(found) >= limit:
                self.truncated = True
                break
            found.append(fieldobj.from_bytes(raw) if isinstance(raw, bytes) else raw)
        self.expansions_left -= len(found)
        self.postings += sum(self.searcher.doc_frequency(field_name, word) for word in found)
        if self.postings > self.budget:
            raise TooCostly
        return found

    def _note_truncated(self, text: str, marker: str) -> None:
        if self.truncated:
            self.parsed.note(f"{text}{marker} stands for many words; not all were searched.")
            self.truncated = False

    def _prefix(self, text: str, fields: tuple[str, ...]) -> Query | None:
        prefix = analysis.fold(text)
        reader = self.searcher.reader()
        words = self._expand("words", reader.expand_prefix("words", prefix))
        key = analysis.name_key(text)
        names = self._expand("names", reader.expand_prefix("names", key)) if key else []
        self._note_truncated(text, "*")
        self.terms.prefixes.add(prefix)
        terms = [Term("words", w) for w in words]
        terms += [Term("names", n) for n in names if "names" in fields or "districts" in fields]
        return Or(terms) if terms else Term("words", prefix)

    def _fuzzy(self, text: str, fields: tuple[str, ...]) -> Query | None:
        word = analysis.fold(text)
        self.terms.words.add(word)
        if len(word) < 4:
            return Term("words", word)
        reader = self.searcher.reader()
        words = self._expand("words", reader.terms_within("words", word, 1, prefix=1))
        key = analysis.name_key(text)
        names = self._expand("names", reader.terms_within("names", key, 1, prefix=1)) if key else []
        self._note_truncated(text, "~")
        self.terms.words.update(words)
        terms = [Term("words", w) for w in words] + [Term("names", n) for n in names]
        return Or(terms) if terms else Term("words", word)


def _is_stop_word(clause: querylang.Clause) -> bool:
    folded = analysis.fold(clause.text)
    return clause.field is None and clause.kind == "word" and analysis.is_stop_word(folded)


def search_budget(searcher: Any) -> int:
    """Return how many postings one search may read: MAX_POSTINGS_PER_DOCUMENT for each
    document in the searcher's index (counted as one at least)."""
    return MAX_POSTINGS_PER_DOCUMENT * max(int(searcher.doc_count()), 1)


def query_cost(searcher: Any, query: Query) -> int:
    """Return how many postings a query reads: the number of documents each of its words is
    in (a phrase's words each counted), summed over its parts; a query of any other kind
    counts as reading every document."""
    if isinstance(query, (Or, And)):
        return sum(query_cost(searcher, sub) for sub in query.subqueries)
    if isinstance(query, AndNot):
        return query_cost(searcher, query.a) + query_cost(searcher, query.b)
    if isinstance(query, Term):
        return int(searcher.doc_frequency(query.fieldname, query.text))
    if isinstance(query, Phrase):
        return sum(int(searcher.doc_frequency(query.fieldname, w)) for w in query.words)
    return int(searcher.doc_count())
