"""The benchmark's searches: a query mix chosen from the corpus, timed through the archive's
search and through SQLite FTS5 on the same statements.

Six kinds of query, each with its FTS5 equivalent: a common word, a person's Cyrillic name
written in Latin letters, a phrase, a word with ``kind:``, ``date:`` and a district filter, a
prefix, and a word found nowhere. The words are the corpus's most frequent content words, so
the same corpus always gives the same mix.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections import Counter
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from anyascii import anyascii

from archive.bench.report import Row, percentile
from archive.bench.storage import fts_connection, timed
from archive.index import analysis
from archive.index.generations import SearchIndex
from archive.index.search import run_search

SEARCH_REPEATS = 15  # timed runs of each query at most, after one warm-up run
MIN_REPEATS = 5  # timed runs at least, even past the budget
SEARCH_BUDGET = 5.0  # seconds of our searching per query, past which a large corpus stops early
WORD_SAMPLE = 2000  # statements whose texts the query words are chosen from
NO_HITS = "qzxjvw"

# One weight per column of storage.FTS_SCHEMA (key, title, text, demands, names,
# districts): title and names weigh 3 and districts 1.5, as the archive's field boosts do.
FTS_RANK = "bm25(fts, 0, 3.0, 1.0, 1.0, 3.0, 1.5)"
# A statement within a district: one of its own or its signatories' districts is that one or
# lies below it (district keys are paths: ru/spb/kolpino lies below ru/spb).
FTS_WITHIN = """
AND (EXISTS (SELECT 1 FROM a.statement_districts AS sd JOIN a.districts AS d
             ON d.id = sd.district_id WHERE sd.statement_id = s.id
             AND (d.key = :district OR substr(d.key, 1, length(:below)) = :below))
  OR EXISTS (SELECT 1 FROM a.signatures AS sg JOIN a.districts AS d
             ON d.id = sg.district_id WHERE sg.statement_id = s.id
             AND (d.key = :district OR substr(d.key, 1, length(:below)) = :below)))
"""
# The archive's date filter: a date kept to the month or year counts if it overlaps.
FTS_DATED = "AND s.kind = :kind AND s.date || '~' >= :low AND s.date <= :high"


@dataclass(frozen=True)
class Query:
    """One query of the mix: the archive's query string and filters, and FTS5's equivalent."""

    kind: str
    text: str
    match: str
    filters: dict[str, str] = field(default_factory=dict)
    where: str = ""
    parameters: dict[str, str] = field(default_factory=dict)


@dataclass
class Timings:
    """The latencies (seconds) and hit counts of one query, ours and the anchor's."""

    query: Query
    ours: list[float]
    anchor: list[float]
    our_hits: int
    anchor_hits: int


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _content_word(word: str) -> bool:
    return len(word) >= 4 and word.isalpha() and not analysis.is_stop_word(word)


def _words(connection: sqlite3.Connection) -> tuple[list[str], tuple[str, str]]:
    """Return the content words of the first statements, most frequent first, and the most
    frequent pair of adjacent content words."""
    words: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    texts = connection.execute(
        "SELECT text FROM statements WHERE text IS NOT NULL ORDER BY id LIMIT ?", (WORD_SAMPLE,)
    )
    for (text,) in texts:
        folded = [analysis.fold(word) for word in re.findall(analysis.WORD_RE, text)]
        words.update(word for word in folded if _content_word(word))
        pairs.update(
            (one, two)
            for one, two in itertools.pairwise(folded)
            if _content_word(one) and _content_word(two) and one != two
        )
    ordered = sorted(words, key=lambda word: (-words[word], word))
    phrase = min(pairs, key=lambda pair: (-pairs[pair], pair), default=("", ""))
    return ordered, phrase


def _person_spelling(connection: sqlite3.Connection) -> str:
    """Return a Latin spelling of the Cyrillic name of a person with many signatures, one that
    the archive does not store for them if there is such a person."""
    candidates = connection.execute(
        "SELECT p.id, n.name FROM people AS p JOIN person_names AS n ON n.person_id = p.id "
        "AND n.language = 'ru' JOIN (SELECT person_id, count(*) AS signed FROM signatures "
        "GROUP BY person_id) AS g ON g.person_id = p.id ORDER BY g.signed DESC, p.key LIMIT 200"
    ).fetchall()
    for person_id, cyrillic in candidates:
        stored = {
            name
            for (name,) in connection.execute(
                "SELECT name FROM people WHERE id = ? UNION SELECT name FROM person_names "
                "WHERE person_id = ?",
                (person_id, person_id),
            )
        }
        if anyascii(cyrillic) not in stored:
            return anyascii(cyrillic)
    return anyascii(candidates[0][1]) if candidates else "Nobody"


def _most_common(connection: sqlite3.Connection, sql: str, default: str) -> str:
    row = connection.execute(sql).fetchone()
    return str(row[0]) if row and row[0] is not None else default


def _busiest_region(connection: sqlite3.Connection) -> str:
    statements: dict[str, set[int]] = {}
    rows = connection.execute(
        "SELECT sd.statement_id, d.key FROM statement_districts AS sd "
        "JOIN districts AS d ON d.id = sd.district_id"
    )
    for statement_id, key in rows:
        region = "/".join(key.split("/")[:2])
        statements.setdefault(region, set()).add(statement_id)
    return min(statements, key=lambda key: (-len(statements[key]), key), default="ru")


def pick_queries(database_file: Path) -> tuple[list[Query], list[str]]:
    """Choose the query mix from the corpus, deterministically; return it and the content
    words of the corpus, most frequent first."""
    with closing(sqlite3.connect(database_file)) as connection:
        words, (first, second) = _words(connection)
        name = _person_spelling(connection)
        region = _busiest_region(connection)
        kind = _most_common(
            connection,
            "SELECT kind FROM statements GROUP BY kind ORDER BY count(*) DESC, kind",
            "petition",
        )
        year = int(
            _most_common(
                connection,
                "SELECT substr(date, 1, 4) AS y FROM statements WHERE date IS NOT NULL "
                "GROUP BY y ORDER BY count(*) DESC, y",
                "2022",
            )
        )
    word = words[0] if words else "resignation"
    other = words[1] if len(words) > 1 else word
    low, high = f"{year - 1}-01", f"{year + 1}-12"
    name_words = " AND ".join(_quoted(w.lower()) for w in name.split())
    queries = [
        Query("common word", word, _quoted(word)),
        Query("name in the other script", name, f"names : ({name_words})"),
        Query("phrase", f'"{first} {second}"', _quoted(f"{first} {second}")),
        Query(
            "field, district and dates",
            f"{other} kind:{kind} date:{low}..{high}",
            _quoted(other),
            {"district": region},
            FTS_DATED + FTS_WITHIN,
            {"kind": kind, "low": low, "high": f"{high}~", "district": region},
        ),
        Query("prefix", f"{word[:4]}*", _quoted(word[:4]) + "*"),
        Query("no hits", NO_HITS, _quoted(NO_HITS)),
    ]
    return queries, words


def _fts_search(connection: sqlite3.Connection, query: Query) -> int:
    """Run a query as the anchor: the first page ranked by bm25, and the count of hits."""
    parameters = {"match": query.match, **query.parameters}
    if query.filters:
        parameters["below"] = query.filters["district"] + "/"
    base = "FROM fts JOIN a.statements AS s ON s.id = fts.rowid WHERE fts MATCH :match "
    base += query.where
    connection.execute(f"SELECT s.key {base} ORDER BY {FTS_RANK} LIMIT 20", parameters).fetchall()
    return int(connection.execute(f"SELECT count(*) {base}", parameters).fetchone()[0])


def time_searches(index: SearchIndex, fts: Path, queries: Sequence[Query]) -> list[Timings]:
    """Run every query of the mix, ours and the anchor's, once to warm up, then timed."""
    timings = []
    database_file = Path(str(index.database.url.database))
    with fts_connection(fts, database_file) as connection:
        for query in queries:
            our_hits = run_search(index, query.text, query.filters).total
            anchor_hits = _fts_search(connection, query)
            ours: list[float] = []
            anchor: list[float] = []
            while len(ours) < SEARCH_REPEATS and (
                len(ours) < MIN_REPEATS or sum(ours) < SEARCH_BUDGET
            ):
                ours.append(timed(partial(run_search, index, query.text, query.filters))[1])
                anchor.append(timed(partial(_fts_search, connection, query))[1])
            timings.append(Timings(query, ours, anchor, our_hits, anchor_hits))
    return timings


def search_rows(timings: Sequence[Timings]) -> list[Row]:
    """Return one p50 row per kind of query (p95 in the notes), then the mix's p50 and p95."""
    rows = []
    for timing in timings:
        ours95, anchor95 = (1000 * percentile(t, 95) for t in (timing.ours, timing.anchor))
        rows.append(
            Row(
                f"search p50: {timing.query.kind}",
                1000 * percentile(timing.ours, 50),
                1000 * percentile(timing.anchor, 50),
                "ms",
                f"p95 {ours95:.2f} vs {anchor95:.2f} ms over {len(timing.ours)} runs; hits "
                f"{timing.our_hits:,} vs "
                f"{timing.anchor_hits:,}; `{timing.query.text}`"
                + (f" with {timing.query.filters}" if timing.query.filters else ""),
            )
        )
    ours = [t for timing in timings for t in timing.ours]
    anchor = [t for timing in timings for t in timing.anchor]
    note = (
        f"{len(timings)} queries, {len(ours)} runs after a warm-up each; ours is "
        "run_search (page of 20, total, facets, people, suggestions), the anchor an FTS5 "
        "MATCH ranked by bm25 LIMIT 20 plus COUNT, joined to statements for filters"
    )
    for percent in (50, 95):
        rows.append(
            Row(
                f"search p{percent}: whole mix",
                1000 * percentile(ours, percent),
                1000 * percentile(anchor, percent),
                "ms",
                note,
            )
        )
    return rows
