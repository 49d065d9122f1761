"""The search index: its schema, the analysis of words and names, records as documents,
generations on disk with rebuild and catch-up, the query language and its compiler with a cost
budget, per-document columns and facets, scoring, highlighting, and the one module that uses
Whoosh's private parts (pinned to the Whoosh version it was written against).

May import: :mod:`archive.data`, :mod:`archive.reads` and, of the import, its fields
(:mod:`archive.importing.fields`: what a date is). Knows no Flask.
"""
