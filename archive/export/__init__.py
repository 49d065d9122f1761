"""Export: the rows of every table in key order, the two CSV dialects, and the Frictionless
data package with the zip that holds it.

May import: :mod:`archive.data` and :mod:`archive.importing` (the tables it writes are the ones
the import reads). Knows no Flask.
"""
