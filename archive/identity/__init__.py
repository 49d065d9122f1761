"""Identity: who a person is across statements. Names analysed across scripts (script-neutral
keys, given-name symbols), the candidates list of people who may be one person, and the
curation of people: merge, split and "not the same person" decisions, each with who, when
and why.

May import: :mod:`archive.data` and :mod:`archive.reads`. Knows no Flask.
"""
