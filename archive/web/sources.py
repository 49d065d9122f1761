"""The sources: their list, each source's page with its chain and capture, and JSON twins."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from sqlalchemy.orm import Session

from archive import reads
from archive.data.models import Source
from archive.data.snapshots import snapshot
from archive.web import csv_layouts, csv_rows, downloads, links
from archive.web.answers import not_found
from archive.web.context import get_session
from archive.web.listing import Page, page_json, paginate, sort_order

bp = Blueprint("sources", __name__)
bp.context_processor(links.template_helpers)

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
    computed = hashlib.sha256(text.encode("utf-8")).hexdigest() if text is not None else None
    return Capture(text, source.capture_sha256, computed)


@dataclass(frozen=True)
class SourcePage:
    """Everything a source's page and its JSON twin show."""

    source: Source
    cites: list[Source]  # what it cites, in turn, nearest first
    cited_by: list[Source]  # the sources citing it, directly or in turn, nearest first
    citing: reads.sources.Citing
    capture: Capture


def source_page(session: Session, key: str, as_json: bool = False) -> SourcePage:
    """Load a source and what its page shows; answer 404 when there is none."""
    source = reads.sources.source_by_key(session, key)
    if source is None:
        not_found(f"There is no source with the key {key!r}.", as_json)
    return SourcePage(
        source=source,
        cites=reads.sources.source_chains(session, [source.id])[source.id][1:],
        cited_by=reads.sources.sources_citing(session, source.id),
        citing=reads.sources.records_citing(session, source.id),
        capture=capture(source),
    )


def list_page(session: Session) -> Page:
    """Return the page of the sources list that the request asks for."""
    return paginate(session, reads.sources.source_list(), reads.sources.SOURCE_ORDERS, request.args)


def summary_json(source: Source) -> dict[str, Any]:
    """Return a source as one item of the list's JSON twin (without its captured text)."""
    record = snapshot("source", source)
    del record["capture_text"]
    return {**record, "page_url": links.source_url(source.key)}


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
    }


@bp.get("/sources")
def index() -> str:
    """List the sources, a page at a time, in the order asked for."""
    page = list_page(get_session())
    return render_template(
        "sources.html",
        page=page,
        labels=SORT_LABELS,
        json_url=links.list_url("sources.index_json", page, reads.sources.SOURCE_ORDERS),
        csv_url=links.list_csv_url("sources.index_csv", page, reads.sources.SOURCE_ORDERS),
    )


@bp.get("/sources.json")
def index_json() -> Response:
    """Answer the same page of the sources list as JSON."""
    page = list_page(get_session())
    return jsonify(page_json(page, [summary_json(source) for source in page.rows]))


@bp.get("/sources.csv")
def index_csv() -> Response:
    """Answer every source (without its captured text), in the order asked for, as CSV."""
    sort = sort_order(request.args, reads.sources.SOURCE_ORDERS)
    query = reads.sources.source_list().order_by(*reads.sources.SOURCE_ORDERS[sort])
    rows = csv_rows.source_rows(get_session(), query, links.record_urls("sources.show"))
    name = ["sources", downloads.sort_name(sort, reads.sources.SOURCE_ORDERS)]
    return downloads.csv_response(csv_layouts.SOURCES, rows, name)


@bp.get("/sources/<key>")
def show(key: str) -> str:
    """Show a source: what it is, its chain, its captured text checked, and who cites it."""
    return render_template("source.html", page=source_page(get_session(), key))


@bp.get("/sources/<key>.json")
def show_json(key: str) -> Response:
    """Answer a source's record, chain, citing records and capture check as JSON."""
    return jsonify(source_json(source_page(get_session(), key, as_json=True)))


@bp.get("/sources/<key>.csv")
def show_csv(key: str) -> Response:
    """Answer every statement, signature and event citing a source, as CSV."""
    session = get_session()
    source = reads.sources.source_by_key(session, key)
    if source is None:
        not_found(f"There is no source with the key {key!r}.")
    rows = csv_rows.citing_rows(session, source.id)
    return downloads.csv_response(csv_layouts.CITING, rows, ["source", key, "citing"])
