"""Reads: functions that take a session and return rows or plain values, one module per area
(statements, people, districts, sources, the home page), with the district tree and the values
kept per dataset version.

May import: :mod:`archive.data`. Knows no Flask.
"""

from archive.reads import districts, home, people, sources, statements, versions

__all__ = ["districts", "home", "people", "sources", "statements", "versions"]
