"""Scoring over whole posting lists: the documents a query matches and their BM25F scores,
each word's postings read whole and scored as arrays.

The scores are Whoosh's own (``whoosh.scoring.bm25`` over each field's lengths, as
``whoosh.scoring.BM25F`` scores a word), computed at once for every document a word is in
instead of in a Python call per document; ``tests/index/test_scoring.py`` compares them with
Whoosh's on an index of several segments with deleted documents.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.query import And, AndNot, Or, Phrase, Query, Term
from whoosh.scoring import BM25FScorer

from archive.index import whoosh_private
from archive.index.columns import mask
from archive.index.compiler import TimedOut
from archive.index.schema import SCHEMA


def matching(
    searcher: Any, query: Query | None, allowed: frozenset[int], deadline: float
) -> tuple[set[int], Scored | None]:
    """Return the allowed documents a query matches and, for a query of words and phrases,
    what it matches and scores in every document (None where Whoosh's matchers rank it).

    Documents are the searcher's document numbers; a None query matches every allowed one.
    Raises TimedOut past ``deadline`` (a time.monotonic() value).
    """
    if query is None:
        return set(allowed), None
    scored = query_scores(searcher, query, deadline)
    if scored is None:
        return _docs(searcher, query, deadline) & allowed, None
    kept = scored.found & mask(allowed, len(scored.found))
    return set(np.flatnonzero(kept).tolist()), scored


def _docs(searcher: Any, query: Query, deadline: float) -> set[int]:
    """Return the documents a query matches: the posting lists of its words read whole and
    combined as sets (much quicker than Whoosh's matchers walking a union document by
    document), phrases and the rest through their own matchers."""
    if time.monotonic() > deadline:
        raise TimedOut
    if isinstance(query, Or):
        return set().union(*(_docs(searcher, sub, deadline) for sub in query.subqueries))
    if isinstance(query, And):
        parts = sorted((_docs(searcher, sub, deadline) for sub in query.subqueries), key=len)
        return parts[0].intersection(*parts[1:]) if parts else set()
    if isinstance(query, AndNot):
        return _docs(searcher, query.a, deadline) - _docs(searcher, query.b, deadline)
    if isinstance(query, Term):
        return set(query.docs(searcher))
    found: set[int] = set()
    for count, docnum in enumerate(query.docs(searcher)):
        found.add(docnum)
        if count % 2048 == 0 and time.monotonic() > deadline:
            raise TimedOut
    return found


@dataclass
class Scored:
    """What a query matches (``found``) and its score, by the searcher's document numbers
    (deleted documents included: every caller keeps only documents of the column cache)."""

    found: npt.NDArray[np.bool_]
    score: npt.NDArray[np.float64]

    @classmethod
    def nothing(cls, size: int) -> Scored:
        """Return the scores of ``size`` documents, none of them found, each score 0."""
        return cls(np.zeros(size, dtype=bool), np.zeros(size))

    def add(self, other: Scored) -> None:
        """Add another part's matches and scores, as an OR of the two ranks them."""
        self.found |= other.found
        self.score += other.score


def query_scores(searcher: Any, query: Query, deadline: float) -> Scored | None:
    """Score every document a query of words and phrases matches as Whoosh's BM25F ranking
    does (the sum of its matching words' scores; in ``a ANDNOT b``, a's), each word's postings
    read whole and scored at once.

    Whoosh's matchers score a union of words document by document in Python calls: ranking
    a common word at 20,000 statements took 90 ms that way. None for a query with anything
    else in it (only excluded words, say): Whoosh's matchers rank those. A word scores
    ``whoosh.scoring.bm25(idf, tf, fl, avgfl, B, K1)`` in each document, with the searcher's
    weighting's B and K1 and Whoosh's idf, ``log(documents / (documents with the word + 1)) + 1``.
    Raises TimedOut past ``deadline`` (a time.monotonic() value).
    """
    if time.monotonic() > deadline:
        raise TimedOut
    size = int(searcher.doc_count_all())
    if isinstance(query, Term):
        scored = Scored.nothing(size)
        _add_word(searcher, query.fieldname, query.text, scored)
        return scored
    if isinstance(query, Phrase) and query.slop == 1 and query.boost == 1:
        return _phrase_scores(searcher, query.fieldname, list(query.words))
    if isinstance(query, Or) and query.subqueries:
        total = Scored.nothing(size)
        for sub in query.subqueries:
            if isinstance(sub, Term):  # added in place: a prefix may stand for 128 words
                if time.monotonic() > deadline:
                    raise TimedOut
                _add_word(searcher, sub.fieldname, sub.text, total)
                continue
            part = query_scores(searcher, sub, deadline)
            if part is None:
                return None
            total.add(part)
        return total
    if isinstance(query, And) and query.subqueries:
        parts = [query_scores(searcher, sub, deadline) for sub in query.subqueries]
        if any(part is None for part in parts):
            return None
        total = Scored.nothing(size)
        total.found[:] = True
        for part in parts:
            assert part is not None
            total.found &= part.found
            total.score += part.score
        return total
    if isinstance(query, AndNot):
        kept = query_scores(searcher, query.a, deadline)
        if kept is not None:
            kept.found[list(_docs(searcher, query.b, deadline))] = False
        return kept
    return None


def _add_word(searcher: Any, fieldname: str, text: str, into: Scored) -> None:
    """Add one word's scores to ``into``, segment by segment."""
    for leaf, offset in searcher.leaf_searchers():
        if (fieldname, text) in leaf.reader():
            ids, scores, _positions = _word_postings(searcher, leaf, fieldname, text)
            into.found[ids + offset] = True
            into.score[ids + offset] += scores


def _phrase_scores(searcher: Any, fieldname: str, words: list[str]) -> Scored:
    """Score a phrase in every document it is in: the sum of its words' scores where the words
    stand one after another, as Whoosh's phrase matcher finds them."""
    scored = Scored.nothing(int(searcher.doc_count_all()))
    decode = SCHEMA[fieldname].format.decode_positions
    for leaf, offset in searcher.leaf_searchers():
        if any((fieldname, word) not in leaf.reader() for word in words):
            continue
        postings = []  # each word's {docnum: (score, encoded positions)}
        for word in words:
            ids, scores, positions = _word_postings(searcher, leaf, fieldname, word, True)
            pairs = zip(scores.tolist(), positions, strict=True)
            postings.append(dict(zip(ids.tolist(), pairs, strict=True)))
        for docnum in set(postings[0]).intersection(*postings[1:]):
            first, *rest = (decode(found[docnum][1]) for found in postings)
            starts = set(first)  # where the phrase may start: the n-th word n places on
            for n, later in enumerate(rest, 1):
                starts.intersection_update([position - n for position in later])
            if starts:
                scored.found[offset + docnum] = True
                scored.score[offset + docnum] = sum(found[docnum][0] for found in postings)
    return scored


def _word_postings(
    searcher: Any, leaf: Any, fieldname: str, text: str, positions: bool = False
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], list[bytes]]:
    """Return one word's postings in one segment, read a block at a time as Whoosh's block
    reader decodes them: the documents it is in (the segment's document numbers), its score in
    each (computed as Whoosh's scorer would) and, if asked, its encoded positions there."""
    reader = leaf.reader()
    docnums, tf, encoded = whoosh_private.postings(
        reader, fieldname, text, SCHEMA[fieldname].format, positions
    )
    scorer = searcher.weighting.scorer(leaf, fieldname, text)
    lengths = whoosh_private.field_lengths(reader, fieldname)
    if not isinstance(scorer, BM25FScorer) or lengths is None:
        return docnums, tf, encoded  # a field without lengths: the weight is the score
    # whoosh.scoring.bm25, term for term, over every document at once
    idf, fl, avgfl, b, k1 = scorer.idf, lengths[docnums], scorer.avgfl, scorer.B, scorer.K1
    return docnums, idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl))), encoded
