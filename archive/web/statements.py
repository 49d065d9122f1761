"""The statements: their list, each statement's page, and the JSON twins of both."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from sqlalchemy.orm import Session

from archive import reads
from archive.data import revisions
from archive.data.models import Signature, Source, Statement
from archive.data.snapshots import snapshot
from archive.web import csv_layouts, csv_rows, downloads, links, pagecache
from archive.web.answers import not_found
from archive.web.cite import SIGNERS_NEEDED, citation
from archive.web.context import get_session
from archive.web.listing import Page, page_json, paginate, sort_order

bp = Blueprint("statements", __name__)
bp.context_processor(links.template_helpers)

SORT_LABELS = {"date": "Date", "title": "Title", "key": "Key"}
# A petition may have thousands of signatories: its page shows them a page at a time (the
# twins hold them all), paged by this argument.
SIGNATORIES_PAGE = "signatories_page"
SIGNATORIES_PER_PAGE = 200


@dataclass(frozen=True)
class Text:
    """One version of a statement's text: the original or a translation."""

    code: str  # the value of ?lang= that shows it
    language: str | None
    text: str
    original: bool
    translator: str | None = None
    source: Source | None = None


def texts(statement: Statement) -> list[Text]:
    """Return the statement's original text (if stored) and its translations."""
    found = []
    if statement.text:
        code = statement.language or "original"
        found.append(Text(code, statement.language, statement.text, original=True))
    for t in statement.translations:
        found.append(Text(t.language, t.language, t.text, False, t.translator, t.source))
    return found


def chosen_text(versions: list[Text], lang: str | None) -> Text | None:
    """Return the version asked for by ?lang=, else the first (the original when stored)."""
    for version in versions:
        if version.code == lang:
            return version
    return versions[0] if versions else None


def statement_or_404(session: Session, key: str, as_json: bool = False) -> Statement:
    """Return the statement with ``key``; answer 404 (as JSON for a twin) when there is none."""
    statement = reads.statements.statement_by_key(session, key)
    if statement is None:
        not_found(f"There is no statement with the key {key!r}.", as_json)
    return statement


def signatories_page(session: Session, statement: Statement, args: Mapping[str, str]) -> Page:
    """Return the page of a statement's signatures that the request asks for."""
    asked = {"page": args.get(SIGNATORIES_PAGE, "1")}
    query = reads.statements.signatures_on(statement.id)
    return paginate(session, query, reads.statements.SIGNATURE_ORDERS, asked, SIGNATORIES_PER_PAGE)


def all_signatures(session: Session, statement: Statement) -> Iterator[Signature]:
    """Yield every signature of a statement in its order, read in batches, for the twins."""
    query = reads.statements.signatures_on(statement.id).order_by(
        *reads.statements.SIGNATURE_ORDERS["position"]
    )
    return csv_rows.streamed(session, query)


def list_page(session: Session) -> Page:
    """Return the page of the statements list that the request asks for."""
    return paginate(
        session, reads.statements.statement_list(), reads.statements.STATEMENT_ORDERS, request.args
    )


def summary_json(statement: Statement, named: int) -> dict[str, Any]:
    """Return a statement as one item of the list's JSON twin, with its number of signatures."""
    return {
        **links.statement_ref(statement),
        "districts": [district.key for district in statement.districts],
        "named_signatories": named,
        "reported_signatories": statement.reported_signatories,
    }


def statement_json(session: Session, statement: Statement) -> dict[str, Any]:
    """Return a statement as its JSON twin: the record, its signatures and its events."""
    signatures = [
        {**snapshot("signature", sig), "person_name": sig.person.name}
        for sig in all_signatures(session, statement)
    ]
    events = reads.statements.statement_events(session, statement.id)
    return {
        **snapshot("statement", statement),
        "url": links.statement_url(statement.key, external=True),
        "signatures": signatures,
        "events": [snapshot("event", event) for event in events],
        "dataset_version": revisions.dataset_version(session),
    }


@bp.get("/statements")
def index() -> str:
    """List the statements, a page at a time, in the order asked for."""
    session = get_session()
    page = list_page(session)
    return render_template(
        "statements.html",
        page=page,
        named=reads.statements.signature_counts(session, [row.id for row in page.rows]),
        labels=SORT_LABELS,
        json_url=links.list_url("statements.index_json", page, reads.statements.STATEMENT_ORDERS),
        csv_url=links.list_csv_url("statements.index_csv", page, reads.statements.STATEMENT_ORDERS),
    )


@bp.get("/statements.json")
def index_json() -> Response:
    """Answer the same page of the statements list as JSON."""
    session = get_session()
    page = list_page(session)
    named = reads.statements.signature_counts(session, [row.id for row in page.rows])
    items = [summary_json(row, named.get(row.id, 0)) for row in page.rows]
    return jsonify(page_json(page, items))


@bp.get("/statements.csv")
def index_csv() -> Response:
    """Answer every statement of the list, in the order asked for, as CSV."""
    session = get_session()
    sort = sort_order(request.args, reads.statements.STATEMENT_ORDERS)
    query = reads.statements.statement_list().order_by(*reads.statements.STATEMENT_ORDERS[sort])
    rows = csv_rows.listed_statements(session, query, links.record_urls("statements.show"))
    name = ["statements", downloads.sort_name(sort, reads.statements.STATEMENT_ORDERS)]
    return downloads.csv_response(csv_layouts.STATEMENTS, rows, name)


@bp.get("/statements/<key>")
def show(key: str) -> str:
    """Show a statement: its text, signatories, sources, what followed, and how to cite it."""
    return pagecache.cached(lambda: render(key))


def render(key: str) -> str:
    """Render a statement's page (answering 404 for an unknown key)."""
    session = get_session()
    statement = statement_or_404(session, key)
    versions = texts(statement)
    url = links.statement_url(key, external=True)
    signers = reads.statements.signer_names(session, statement.id, SIGNERS_NEEDED)
    return render_template(
        "statement.html",
        statement=statement,
        signatures=signatories_page(session, statement, request.args),
        signatories_page=SIGNATORIES_PAGE,
        texts=versions,
        current=chosen_text(versions, request.args.get("lang")),
        chains=reads.sources.provenance(session, statement.sources),
        events=reads.statements.statement_events(session, statement.id),
        citation=citation(statement, signers, url, revisions.dataset_version(session)),
    )


@bp.get("/statements/<key>.json")
def show_json(key: str) -> Response:
    """Answer a statement's record, signatures and events as JSON."""
    session = get_session()
    return jsonify(statement_json(session, statement_or_404(session, key, as_json=True)))


@bp.get("/statements/<key>.csv")
def show_csv(key: str) -> Response:
    """Answer a statement's signatures, one row each in the statement's order, as CSV."""
    session = get_session()
    statement = statement_or_404(session, key)
    rows = (csv_rows.signature_row(signature) for signature in all_signatures(session, statement))
    return downloads.csv_response(csv_layouts.SIGNATURES, rows, ["statement", key, "signatures"])
