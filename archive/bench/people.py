"""The benchmark's measure of the candidates list: people who may be one person.

The anchor is what an archivist could do without the archive in the same run: ask SQLite for
the names that several people share exactly (lower-cased, display names and other names
alike), a single ``GROUP BY``. It finds neither another order of the words nor another script
or spelling; the row's notes say how many pairs each finds.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from archive.bench.report import Row
from archive.bench.storage import timed
from archive.data.database import Database
from archive.identity.names import load_rigour
from archive.identity.review import review

# Names that several people share exactly, and how many people share each.
SHARED_NAMES = """
SELECT name, count(DISTINCT person) FROM (
    SELECT lower(name) AS name, id AS person FROM people
    UNION ALL
    SELECT lower(name), person_id FROM person_names
) GROUP BY name HAVING count(DISTINCT person) > 1
"""


def measure_candidates(database: Database) -> Row:
    """Compute the candidates list over the whole archive; group exact names as the anchor."""
    _none, loading = timed(load_rigour)  # once per process, apart from the list
    with database.session() as session:
        found, seconds = timed(lambda: review(session))
    database_file = Path(str(database.url.database))
    with closing(sqlite3.connect(database_file)) as connection:
        shared, anchor_seconds = timed(lambda: connection.execute(SHARED_NAMES).fetchall())
    pairs = sum(n * (n - 1) // 2 for _name, n in shared)
    people = len({key for c in found.candidates for key in (c.left, c.right)})
    return Row(
        "candidates list",
        seconds * 1000,
        anchor_seconds * 1000,
        "ms",
        f"{len(found.candidates):,} pairs of {people:,} people in {seconds:.1f} s: "
        "identity.review.review (every name read, people sharing a key of the index of name "
        "keys scored with their signatures, identifiers and co-signers), after rigour's "
        f"loading ({loading:.1f} s, once per process); anchor: one SQL "
        f"GROUP BY of exact lower-cased names, {len(shared):,} names shared by "
        f"{pairs:,} pairs, in {anchor_seconds:.2f} s",
    )
