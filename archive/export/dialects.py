"""The two CSV dialects of every export: the plain one is exact UTF-8 (RFC 4180, CRLF line
ends); the one for spreadsheets adds a byte-order mark (so Excel reads UTF-8) and neutralises
cells that a spreadsheet would run as formulas by putting an apostrophe before them.

Table files depend only on the data: the same dataset version gives identical bytes, whatever
the time zone or locale."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy.orm import Session

from archive.data.batches import batched
from archive.export.rows import CHUNK_ROWS, batches
from archive.importing.tables import TABLES_BY_NAME

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"

# Writing CSV.


def cell(value: Any, spreadsheet: bool = False) -> str:
    """Return a value as a CSV cell; for spreadsheets, text that looks like a formula is quoted."""
    if value is None:
        return ""
    text = str(value)
    if spreadsheet and isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def stream_csv(
    header: Iterable[str], body: Iterable[Iterable[Any]], spreadsheet: bool = False
) -> Iterator[str]:
    """Yield a CSV document in chunks of rows (RFC 4180, CRLF; BOM and quoting for spreadsheets)."""
    return stream_batches(header, batched(body, CHUNK_ROWS), spreadsheet)


def stream_batches(
    header: Iterable[str], body: Iterable[Sequence[Iterable[Any]]], spreadsheet: bool = False
) -> Iterator[str]:
    """Yield a CSV document a chunk for each batch of rows (as :func:`stream_csv`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if spreadsheet:
        buffer.write(BOM)
    writer.writerow(list(header))
    for batch in body:
        # The writer makes the plain cells itself, as cell() would: None empty, str() of the
        # rest (repr() of a float, the same text).
        writer.writerows(
            [[cell(value, True) for value in row] for row in batch] if spreadsheet else batch
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def table_csv(session: Session, table: str, spreadsheet: bool = False) -> Iterator[str]:
    """Yield one whole table as CSV."""
    header = [column.name for column in TABLES_BY_NAME[table].columns]
    return stream_batches(header, batches(session, table), spreadsheet)
