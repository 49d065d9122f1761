"""The sources: their list, and each source's page with its chain and capture, each with its
JSON and CSV twins."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from archive import reads
from archive.data.fixity import capture_digest
from archive.data.models import Source
from archive.data.snapshots import snapshot
from archive.web import csv_layouts, csv_rows, downloads, formats, links
from archive.web.answers import found
from archive.web.context import get_session
from archive.web.listing import Listing, page_json

bp = Blueprint("sources", __name__)

ORDERS = reads.sources.SOURCE_ORDERS
SORT_LABELS = {"publisher": "Publisher", "published": "Published", "key": "Key"}


@dataclass(frozen=True)
class Capture:
    """A source's captured text checked against the SHA-256 stored with it."""

    text: str | None
    stored: str | None
    computed: str | None

    @property
    def matches(self) -> bool | None:
        """Tell whether the text still has the stored digest (None when either is missing)."""
        if self.stored is None or self.computed is None:
            return None
        return self.stored == self.computed


def capture(source: Source) -> Capture:
    """Recompute the SHA-256 of a source's captured text, encoded as UTF-8."""
    text = source.capture_text
    computed = capture_digest(text) if text is not None else None
    return Capture(text, source.capture_sha256, computed)


@dataclass(frozen=True)
class SourcePage:
    """A source and what its page and JSON twin show: its chain, the records citing it and its
    capture checked (read when first asked for: the CSV twin reads its own citing records)."""

    session: Session
    source: Source

    @cached_property
    def cites(self) -> list[Source]:
        """Return what the source cites, in turn, nearest first."""
        return reads.sources.source_chains(self.session, [self.source.id])[self.source.id][1:]

    @cached_property
    def cited_by(self) -> list[Source]:
        """Return the sources citing this one, directly or in turn, nearest first."""
        return reads.sources.sources_citing(self.session, self.source.id)

    @cached_property
    def citing(self) -> reads.sources.Citing:
        """Return the records citing the source, as its page lists them."""
        return reads.sources.records_citing(self.session, self.source.id)

    @cached_property
    def capture(self) -> Capture:
        """Return the source's captured text checked against its stored digest."""
        return capture(self.source)

    @cached_property
    def verified(self) -> reads.sources.CaptureVerified | None:
        """Return when the capture was last verified by ``archive verify``, and how it went."""
        return reads.sources.capture_verified(self.session, self.source)


def source_page(session: Session, key: str) -> SourcePage:
    """Return a source's page; answer 404 for an unknown key."""
    return SourcePage(session, found(reads.sources.source_by_key(session, key), "source", key))


@formats.page(bp, "/sources")
def index(fmt: str = formats.HTML) -> ResponseReturnValue:
    """List the sources, a page at a time, in the order asked for (the CSV: every one)."""
    listed = Listing(get_session(), reads.sources.source_list(), ORDERS, request.args)
    return formats.respond(fmt, listed, html=_list_html, json=_list_json, csv=_list_csv)


def _list_html(listed: Listing) -> str:
    """Render a page of the sources list."""
    return formats.render_list("sources.html", listed, SORT_LABELS)


def _list_json(listed: Listing) -> dict[str, Any]:
    """Return a page of the sources list as plain JSON values."""
    return page_json(listed.page, [summary_json(source) for source in listed.page.rows])


def summary_json(source: Source) -> dict[str, Any]:
    """Return a source as one item of the list's JSON twin (without its captured text)."""
    record = snapshot("source", source)
    del record["capture_text"]
    return {**record, "page_url": links.source_url(source.key)}


def _list_csv(listed: Listing) -> Response:
    """Stream every source (without its captured text), in the list's order, as CSV."""
    return downloads.list_csv(listed, "sources", csv_layouts.SOURCES, csv_rows.source_rows)


@formats.page(bp, "/sources/<key>")
def show(key: str, fmt: str = formats.HTML) -> ResponseReturnValue:
    """Show a source: what it is, its chain, its captured text checked, and who cites it."""
    page = source_page(get_session(), key)
    html = formats.template("source.html")
    return formats.respond(fmt, page, html=html, json=source_json, csv=_show_csv)


def source_json(page: SourcePage) -> dict[str, Any]:
    """Return a source's JSON twin: the record, its chain, who cites it and the capture check.

    The record's own ``url`` is where the source is published; ``page_url`` is its page here.
    """
    citing = page.citing
    return {
        **snapshot("source", page.source),
        "page_url": links.source_url(page.source.key, external=True),
        "chain": {"cites": chain_json(page.cites), "cited_by": chain_json(page.cited_by)},
        "cited_by": {
            "statements": [row.key for row in citing.statements],
            "signatures": [f"{row.statement.key}/{row.person.key}" for row in citing.signatures],
            "events": [row.key for row in citing.events],
            "totals": citing.totals,
        },
        "capture_matches": page.capture.matches,
        "capture_verified": verified_json(page.verified),
    }


def verified_json(verified: reads.sources.CaptureVerified | None) -> dict[str, Any] | None:
    """Return the newest fixity check of a capture as JSON: its number, when it finished (UTC)
    and whether the capture matched (null: the source changed since); null before any check."""
    if verified is None:
        return None
    return {
        "check": verified.check,
        "finished": verified.finished.isoformat(timespec="seconds") + "Z",
        "matched": verified.matched,
    }


def chain_json(sources: list[Source]) -> list[dict[str, Any]]:
    """Return sources of a chain as JSON: key, page URL, publisher, title and what each cites."""
    return [
        {
            "key": row.key,
            "page_url": links.source_url(row.key),
            "publisher": row.publisher,
            "title": row.title,
            "cites": row.cites.key if row.cites else None,
        }
        for row in sources
    ]


def _show_csv(page: SourcePage) -> Response:
    """Stream every statement, signature and event citing a source, as CSV."""
    rows = csv_rows.citing_rows(page.session, page.source.id)
    name = ["source", page.source.key, "citing"]
    return downloads.csv_response(csv_layouts.CITING, rows, name)
