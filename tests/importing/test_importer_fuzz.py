"""Any JSON document is either imported or rejected with problems; never a crash or half a write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from archive.data.database import Database
from archive.importing import importer
from archive.importing.fields import KINDS
from tests.conftest import row_counts

FIELD_NAMES = sorted({name for fields in KINDS.values() for name in fields} | {"signatures"})
KEYS = st.sampled_from(["ru", "ru/spb", "a", "b", "x-1", "Bad Key", "", "ru//x"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**10),
    st.floats(allow_nan=False),
    KEYS,
    st.sampled_from(["2022", "2022-09", "2022-13", "signed", "news", "country", "appeal"]),
    st.text(max_size=20),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(FIELD_NAMES), inner, max_size=4),
    ),
    max_leaves=12,
)
RECORDS = st.dictionaries(st.sampled_from(FIELD_NAMES), VALUES, max_size=8)
DOCUMENTS = st.dictionaries(
    st.sampled_from(["districts", "people", "sources", "statements", "events", "format", "x"]),
    st.one_of(st.lists(RECORDS, max_size=3), VALUES),
    max_size=4,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=DOCUMENTS)
def test_any_document_is_imported_or_rejected_whole(
    db: Database, tmp_path: Path, document: dict[str, Any]
) -> None:
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    before = row_counts(db)
    try:
        importer.run(db, [path])
        event("imported")
    except importer.ImportRejected as rejected:
        event("rejected")
        assert rejected.problems
        assert all(str(problem).startswith("fuzz.json") for problem in rejected.problems)
        assert row_counts(db) == before


NAMES = st.sampled_from(["Kolpino", "Ксения Торстрем", "X", "a\nb", "  ", "=1+1"])
DATES = st.sampled_from(["2022", "2022-09", "2022-09-12", "2022-02-30", None])
DISTRICTS = st.fixed_dictionaries(
    {"key": KEYS, "name": NAMES, "kind": st.sampled_from(["country", "town", "planet"])},
    optional={"parent": KEYS, "aliases": st.lists(NAMES, max_size=2)},
)
SOURCES = st.fixed_dictionaries(
    {"key": KEYS, "kind": st.sampled_from(["news", "blog"])},
    optional={
        "cites": KEYS,
        "url": st.sampled_from(["https://e.org/1", "ftp://x", None]),
        "capture": st.fixed_dictionaries({"text": st.text(max_size=5)}),
    },
)
SIGNATURES = st.fixed_dictionaries(
    {"person": st.one_of(KEYS, st.fixed_dictionaries({"name": NAMES}))},
    optional={
        "district": KEYS,
        "stance": st.sampled_from(["signed", "withdrawn", "maybe"]),
        "sources": st.lists(KEYS, max_size=2),
        "withdrawn": DATES,
    },
)
STATEMENTS = st.fixed_dictionaries(
    {"key": KEYS, "title": NAMES, "kind": st.sampled_from(["petition", "appeal", "rant"])},
    optional={
        "date": DATES,
        "signatures": st.lists(SIGNATURES, max_size=3),
        "sources": st.lists(KEYS, max_size=2),
        "districts": st.lists(KEYS, max_size=2),
        "translations": st.lists(
            st.fixed_dictionaries({"language": st.sampled_from(["en", "ru", "x"]), "text": NAMES}),
            max_size=2,
        ),
    },
)
STRUCTURED = st.fixed_dictionaries(
    {},
    optional={
        "districts": st.lists(DISTRICTS, max_size=4),
        "people": st.lists(st.fixed_dictionaries({"key": KEYS, "name": NAMES}), max_size=2),
        "sources": st.lists(SOURCES, max_size=3),
        "statements": st.lists(STATEMENTS, max_size=2),
    },
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=STRUCTURED)
def test_structured_documents_are_imported_or_rejected_whole(
    db: Database, tmp_path: Path, document: dict[str, Any]
) -> None:
    test_any_document_is_imported_or_rejected_whole.hypothesis.inner_test(  # type: ignore[attr-defined]
        db, tmp_path, document
    )
