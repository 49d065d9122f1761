"""Searching statements and people: one query and its filters select the statements, which
are counted by facet, ranked or ordered by date, and paged; the people the query finds and a
spelling suggestion come with them if time allows.

Every search is bounded: it catches up a small backlog itself and leaves a large one to the
background (saying how far behind the index is), it never rebuilds a missing index (it raises
IndexUnavailable while the background does), a query over the budget of postings is refused
at once, and matching, ranking and the extras share one time limit
(:data:`SEARCH_TIME_LIMIT`).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from whoosh.collectors import TimeLimit
from whoosh.query import And, Query, Term

from archive.index import analysis, querylang
from archive.index.columns import Columns
from archive.index.compiler import Compiler, Terms, TimedOut, TooCostly, query_cost
from archive.index.generations import Freshness, SearchIndex
from archive.index.schema import FILTERS
from archive.index.scoring import Scored, matching
from archive.index.whoosh_private import AllowedInTime, BulkCodec

# The most revisions a search catches up itself; a larger backlog (an import's) is left to the
# background: applying it inside a request would outlast a worker's timeout.
SEARCH_CATCH_UP_LIMIT = 1000
# Seconds one search may take, all of it: expanding prefixes and fuzzy words, matching,
# ranking, people, suggestions. Ranking stops with what it found in time; matching stops
# with a note. Several expensive searches at once then cannot starve the other pages.
SEARCH_TIME_LIMIT = 1.0
MIN_RANKING_TIME = 0.05  # seconds ranking gets even when matching used up the search's time
PER_PAGE = 20
MAX_PAGE = 1000  # a page deeper costs a ranking of page * per_page statements
# The name by which the index's table of contents knows the codec of the segments a rebuild
# writes (see BulkCodec): part of the on-disk format, it stays where it was first written.
_BulkCodec = BulkCodec


@dataclass
class Results:
    """One page of statements matching a search, the people matching it, and facet counts.

    ``total`` counts every statement matched, ``keys`` are this page's, best or newest first;
    ``people`` are the keys of up to eight people the query finds; ``facets`` counts each
    filter's values over every statement matched ({facet: {value: statements}}); ``messages``
    say what the query language changed or refused, or why the search stopped; ``suggestion``
    is the query respelt with indexed words, offered when nothing matched; ``terms`` are
    what the query matches, for :func:`archive.index.highlight.highlight`; ``stopped`` says
    that the search was refused (too costly) or stopped (too slow) and lists nothing;
    ``freshness`` gives the dataset versions of the index searched and of the database.
    """

    query: str
    total: int = 0
    keys: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    suggestion: str | None = None
    terms: Terms = field(default_factory=Terms)
    page: int = 1
    per_page: int = PER_PAGE
    stopped: bool = False
    freshness: Freshness = field(default_factory=lambda: Freshness(0, 0))


class SearchTooSlow(Exception):
    """Finding the matching statements took longer than a search may, or would read more of
    the index than a search may; the message is the note for the reader, ``freshness`` the
    versions of the index searched and of the database."""

    def __init__(self, note: str, freshness: Freshness) -> None:
        super().__init__(note)
        self.freshness = freshness


@dataclass
class _Selection:
    """What a query and its filters select: the statements matched, before any paging."""

    freshness: Freshness
    searcher: Any
    columns: Columns
    parsed: querylang.ParsedQuery
    query: Query | None
    terms: Terms
    matched: set[int]
    scored: Scored | None  # for a query of words and phrases
    deadline: float  # when the search's time is up (time.monotonic)


def _select(index: SearchIndex, text: str, filters: dict[str, str] | None) -> _Selection:
    """Select the statements a query and its filters match; raise SearchTooSlow past the
    limit, IndexUnavailable when there is no usable index."""
    freshness, searcher = index.freshen(SEARCH_CATCH_UP_LIMIT)
    parsed = querylang.parse(text)
    columns = index.columns(searcher)
    deadline = time.monotonic() + SEARCH_TIME_LIMIT
    compiler = Compiler(searcher, parsed, deadline)
    try:
        query = compiler.query()
        if query is not None and query_cost(searcher, query) > compiler.budget:
            raise TooCostly
        matched, scored = matching(searcher, query, _allowed(columns, parsed, filters), deadline)
    except TooCostly as error:
        parsed.note(
            "This search would read too much of the index; use fewer common words or "
            "longer prefixes."
        )
        raise SearchTooSlow(parsed.messages[-1], freshness) from error
    except RecursionError:
        parsed.note("The query was too deeply nested and was ignored.")
        query, matched, scored = None, set(), None
    except TimedOut as error:
        parsed.note("The search took too long and was stopped; try fewer or longer words.")
        raise SearchTooSlow(parsed.messages[-1], freshness) from error
    return _Selection(
        freshness, searcher, columns, parsed, query, compiler.terms, matched, scored, deadline
    )


def _allowed(
    columns: Columns, parsed: querylang.ParsedQuery, filters: dict[str, str] | None
) -> frozenset[int]:
    """Return the statements the filters and the query's dates allow (cached sets)."""
    allowed = columns.having("doctype", "statement")
    for name, value in (filters or {}).items():
        if value and name in FILTERS:
            allowed = allowed & columns.having(name, value)
    if parsed.date_from or parsed.date_to:
        allowed = allowed & columns.dated(parsed.date_from, parsed.date_to)
    return allowed


def run_search(
    index: SearchIndex,
    text: str,
    filters: dict[str, str] | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Results:
    """Search statements (and people) with a query string and facet filters; never fail.

    ``text`` is in the query language of :mod:`archive.index.querylang`; ``filters`` maps
    filters of FILTERS to a value each (others are ignored, as are empty values). ``sort`` is
    "relevance" (BM25F, equal scores in key order) or "date" (newest first, a date's statements
    in key order, undated ones last), and a query of filters alone is in date order. ``page``
    is held to 1..MAX_PAGE and ``per_page`` to 1..100. A query too slow or too costly gives a
    page of nothing with a message; the one exception raised is IndexUnavailable, when there
    is no usable index (one is being built in the background).
    """
    page, per_page = min(max(page, 1), MAX_PAGE), min(max(per_page, 1), 100)
    results = Results(query=text, page=page, per_page=per_page)
    try:
        found = _select(index, text, filters)
    except SearchTooSlow as slow:
        results.messages, results.stopped = [str(slow)], True
        results.freshness = slow.freshness
        return results
    columns = found.columns
    results.freshness = found.freshness
    results.messages, results.terms = found.parsed.messages, found.terms
    results.total = len(found.matched)
    results.facets = columns.count(found.matched)
    results.keys = _page(found, sort, page, per_page)
    # People and suggestions are extras: they get only the time the statements left.
    if found.query is not None and time.monotonic() < found.deadline:
        people = columns.having("doctype", "person")
        if filters and filters.get("district"):
            people = people & columns.having("district", filters["district"])
        # Asked of people only, the query skips the statements instead of scoring them all.
        results.people = _ranked(found, people, 8, And([found.query, Term("doctype", "person")]))
        if not found.matched and time.monotonic() < found.deadline:
            results.suggestion = _suggest(found.searcher, found.parsed, text)
    return results


def all_matching_keys(
    index: SearchIndex, text: str, filters: dict[str, str] | None = None, sort: str = "relevance"
) -> tuple[list[str], Freshness]:
    """Return every statement a search finds, ordered as its pages are, and how current the
    index searched is: (statement keys, freshness), with arguments as :func:`run_search`
    takes them.

    One pass, for the CSV of a search: paging through run_search would rank page * per_page
    hits for every page. Statements that ranking had no time for follow the ranked ones,
    newest first, so that none is dropped. Raises SearchTooSlow where a search page would
    show its note, IndexUnavailable where it would say that search is being rebuilt.
    """
    found = _select(index, text, filters)
    by_date = [found.columns.key[d] for d in _by_date(found.columns, found.matched)]
    if sort == "date" or found.query is None:
        return by_date, found.freshness
    ranked = _ranked(found, frozenset(found.matched), max(len(found.matched), 1))
    seen = set(ranked)
    return ranked + [key for key in by_date if key not in seen], found.freshness


def _by_date(columns: Columns, matched: set[int]) -> list[int]:
    """Order documents newest first; one date's statements by key, never by docnum."""
    ordered = sorted(matched, key=columns.key.__getitem__)
    ordered.sort(key=columns.date.__getitem__, reverse=True)
    return ordered


def _page(found: _Selection, sort: str, page: int, per_page: int) -> list[str]:
    start = (page - 1) * per_page
    if sort == "date" or found.query is None:
        ordered = _by_date(found.columns, found.matched)
        return [found.columns.key[d] for d in ordered[start : start + per_page]]
    return _ranked(found, frozenset(found.matched), start + per_page)[start:]


def _ranked(
    found: _Selection, allowed: frozenset[int], limit: int, query: Query | None = None
) -> list[str]:
    """Return the keys of the best ``limit`` documents among ``allowed``, best first.

    Equal scores (to six places) go in key order, so that a rebuilt index ranks exactly as a
    caught-up one. A query of words was scored as it was matched; any other is ranked by
    Whoosh's matchers (``query``, if given, instead of the search's) in the time the search
    has left (at least a moment).
    """
    key = found.columns.key
    scored = found.scored
    if scored is not None:
        candidates = np.fromiter(allowed, dtype=np.int64, count=len(allowed))
        candidates = candidates[scored.found[candidates]]
        by_key = found.columns.key_order()[candidates]
        best = candidates[np.lexsort((by_key, -np.round(scored.score[candidates], 6)))]
        return [key[docnum] for docnum in best[:limit].tolist()]
    query = query or found.query
    if not allowed or query is None:
        return []
    searcher = found.searcher
    deadline = max(found.deadline, time.monotonic() + MIN_RANKING_TIME)
    collector = AllowedInTime(searcher.collector(limit=limit), set(allowed), deadline)
    try:
        searcher.search_with_collector(query, collector)
    except TimeLimit:
        found.parsed.note("Ranking took too long; the results shown are those found in time.")
    # The best hits as (score, docnum), without asking the results for their length (which
    # runs the query again to count).
    top = sorted(collector.results().top_n, key=lambda hit: (-round(hit[0], 6), key[hit[1]]))
    return [key[docnum] for _score, docnum in top[:limit]]


def _suggest(searcher: Any, parsed: querylang.ParsedQuery, text: str) -> str | None:
    """Return the query with each unknown word replaced by the nearest indexed word, if any."""
    suggested = querylang.clean(text)[0]
    for clause in parsed.clauses():
        if _unknown_word(searcher, clause):
            found = searcher.suggest(
                "words", analysis.fold(clause.text), limit=1, maxdist=2, prefix=1
            )
            if found:
                pattern = rf"(?<![\w*~:]){re.escape(clause.text)}(?![\w*~])"
                suggested = re.sub(pattern, found[0], suggested, count=1)
    return suggested if suggested != querylang.clean(text)[0] else None


def _unknown_word(searcher: Any, clause: querylang.Clause) -> bool:
    folded = analysis.fold(clause.text)
    if clause.kind != "word" or clause.field is not None or not 3 <= len(folded) <= 30:
        return False
    if not folded.isalpha():
        return False
    return searcher.document_number(words=folded) is None and not _has_name(searcher, clause.text)


def _has_name(searcher: Any, word: str) -> bool:
    key = analysis.name_key(word)
    return bool(key) and searcher.document_number(names=key) is not None
