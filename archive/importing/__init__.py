"""Importing: reading JSON documents and CSV tables into records, the import format's fields
and their cleaning, the CSV tables' contract (``tables.json``: columns, keys, references), and
the all-or-nothing import run. The demo data (``demo/seed.json``) is an import document.

May import: :mod:`archive.data`. Knows no Flask and no pages.
"""
