"""Downloads: a CSV twin or an export streamed from one database transaction, with its name.

Every twin streams the same way (:func:`csv_response`): every row, not one page, read in
batches from one transaction, with the dataset version in a last column, in the
``X-Dataset-Version`` header and in the file name. The exports of the whole archive
(:mod:`archive.web.exports`) stream with :func:`stream_response` alike.

Two dialects, as in the archive's export (:mod:`archive.export`): the plain one is exact UTF-8
(RFC 4180); ``?excel=1`` gives the one for spreadsheets, with a byte-order mark and cells that
a spreadsheet would run as formulas neutralised. ``?dl=1`` sends the file as a download.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, AnyStr

from anyascii import anyascii
from flask import Response, request, stream_with_context
from sqlalchemy import Select
from sqlalchemy.orm import Session

from archive.data import revisions
from archive.export import dialects
from archive.web import links
from archive.web.context import take_session
from archive.web.csv_layouts import Layout
from archive.web.listing import Listing

# Builds a list's CSV rows from a session, the list's query and a record's URL by its key.
ListRows = Callable[[Session, Select[Any], Callable[[str], str]], Iterable[Sequence[Any]]]

CSV_TYPE = "text/csv; charset=utf-8"
MAX_NAME_WORD = 60  # characters of a query or key kept in a file name
TRUE = ("1", "true", "yes", "on")


def flag(name: str) -> bool:
    """Tell whether the request sets a yes-or-no argument (?excel=1, ?dl=1)."""
    return request.args.get(name, "").strip().lower() in TRUE


def slug(text: str) -> str:
    """Return text as a piece of a file name: ASCII letters, digits and hyphens."""
    ascii_text = re.sub(r"[^a-z0-9]+", "-", anyascii(text).lower()).strip("-")
    return ascii_text[:MAX_NAME_WORD].strip("-")


def file_name(parts: Iterable[str], version: int, spreadsheet: bool, extension: str) -> str:
    """Return a download's file name: what it holds, the dataset version, the dialect."""
    words = [word for word in (slug(part) for part in parts) if word]
    words.append(f"v{version}")
    if spreadsheet:
        words.append("excel")
    return f"{'-'.join(words)}.{extension}"


def own_version() -> tuple[Session, int]:
    """Take the request's session over (archive.web.context.take_session) and read the version
    in it.

    Everything a stream reads from that session sees the data of that version (one
    transaction); should reading the version fail, the session is closed here.
    """
    session = take_session()
    try:
        return session, revisions.dataset_version(session)
    except BaseException:
        session.close()
        raise


def _closing(body: Iterable[AnyStr], session: Session) -> Iterator[AnyStr]:
    try:
        yield from body
    finally:
        session.close()


def stream_response(
    body: Iterable[AnyStr],
    content_type: str,
    filename: str,
    version: int,
    session: Session,
    attachment: bool = False,
    exported: datetime | None = None,
) -> Response:
    """Stream a body read from ``session`` (closed at the end) with the export's headers.

    The file is sent as a download when ``attachment`` or the request asks (?dl=1).
    """
    response = Response(stream_with_context(_closing(body, session)), content_type=content_type)
    response.call_on_close(session.close)  # also when the body is never read to its end
    disposition = "attachment" if attachment or flag("dl") else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["X-Dataset-Version"] = str(version)
    response.headers["X-Export-Time"] = export_time(exported)
    return response


def sort_name(sort: str, orders: Mapping[str, Any]) -> str:
    """Return the words naming a list's sort order in a file name (none for the default)."""
    return "" if sort == next(iter(orders)) else f"by-{sort}"


def export_time(when: datetime | None = None) -> str:
    """Return a time (by default now) in UTC, as ISO 8601 to the second, as datapackage.json."""
    when = when or datetime.now(UTC)
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def csv_response(
    layout: Layout,
    rows: Iterable[Sequence[Any] | Mapping[str, Any]],
    name: Sequence[str],
) -> Response:
    """Stream rows (tuples in the layout's order, or dicts by column) as a CSV twin.

    Rows leave out dataset_version, which is added here. ``name`` names the file: what it
    holds, in words or keys (the version and dialect are added).
    """
    session, version = own_version()
    spreadsheet = flag("excel")
    header = layout.header
    names = header[:-1]

    def values(row: Sequence[Any] | Mapping[str, Any]) -> list[Any]:
        cells = [row.get(n) for n in names] if isinstance(row, Mapping) else list(row)
        cells.append(version)
        return cells

    body = dialects.stream_csv(header, (values(row) for row in rows), spreadsheet)
    return stream_response(
        body, CSV_TYPE, file_name(name, version, spreadsheet, "csv"), version, session
    )


def list_csv(listed: Listing, name: str, layout: Layout, rows: ListRows) -> Response:
    """Stream every row of a list, in the order the request asks for, as a CSV twin.

    ``name`` is the list's blueprint (its records' pages are ``<name>.show``) and the first
    word of the file name; ``rows`` builds the rows from the session, the list's query and
    the URL of a record's page by its key.
    """
    body = rows(listed.session, listed.every_row(), links.record_urls(f"{name}.show"))
    return csv_response(layout, body, [name, sort_name(listed.sort, listed.orders)])
