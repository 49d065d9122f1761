"""The index's schema: the fields of every document, and what marks the index's format.

Statements and people are both documents, told apart by ``doctype``; one more document, whose
id is :data:`META_ID`, holds the dataset version the index reflects and its
:data:`DOCUMENT_FORMAT`. The schema is pickled into the index, with the analyzers of
:mod:`archive.index.analysis`.
"""

from __future__ import annotations

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, Schema

from archive.index import analysis

META_ID = "meta"  # the document holding the dataset version the index reflects, and its format
# Bump when documents or the schema change shape: an index of another format is rebuilt.
DOCUMENT_FORMAT = 5

SCHEMA = Schema(
    id=ID(unique=True, stored=True),
    doctype=ID(stored=True),
    key=ID(stored=True),
    title=analysis.text_field(analysis.text_analyzer(), field_boost=3.0),
    text=analysis.text_field(analysis.text_analyzer()),
    words=analysis.text_field(analysis.plain_analyzer()),
    names=analysis.text_field(analysis.name_analyzer(), field_boost=3.0),
    districts=analysis.text_field(analysis.name_analyzer(), field_boost=1.5),
    source=analysis.text_field(analysis.text_analyzer()),
    demand=KEYWORD(commas=True, lowercase=True, stored=True),
    kind=ID(stored=True),
    lang=KEYWORD(commas=True, lowercase=True, stored=True),
    district_keys=KEYWORD(commas=True, stored=True),
    date=ID(stored=True, sortable=True),
    signatories=STORED(),
    digest=STORED(),
    version=NUMERIC(stored=True, bits=64),
    format=STORED(),
)
# The facets a search counts and filters by (year is the first four characters of date).
FILTERS = ("kind", "year", "district", "demand", "lang")
