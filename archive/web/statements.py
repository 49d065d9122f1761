"""The statements: their list and each statement's page, each with its JSON and CSV twins."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from archive import reads
from archive.data import revisions
from archive.data.models import Signature, Source, Statement
from archive.data.snapshots import snapshot
from archive.web import csv_layouts, csv_rows, downloads, formats, links, pagecache
from archive.web.answers import found
from archive.web.cite import SIGNERS_NEEDED, citation
from archive.web.context import get_session
from archive.web.listing import Listing, Page, page_json, paginate

bp = Blueprint("statements", __name__)

ORDERS = reads.statements.STATEMENT_ORDERS
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


@dataclass(frozen=True)
class StatementPage:
    """A statement asked for by its key, read when first needed (a kept page needs nothing)."""

    session: Session
    key: str

    @cached_property
    def statement(self) -> Statement:
        """Return the statement; answer 404 when there is none."""
        statement = reads.statements.statement_by_key(self.session, self.key)
        return found(statement, "statement", self.key)

    def all_signatures(self) -> Iterator[Signature]:
        """Yield every signature of the statement in its order, read in batches (the twins)."""
        query = reads.statements.signatures_on(self.statement.id).order_by(
            *reads.statements.SIGNATURE_ORDERS["position"]
        )
        return csv_rows.streamed(self.session, query)


def signatories_page(session: Session, statement: Statement, args: Mapping[str, str]) -> Page:
    """Return the page of a statement's signatures that the request asks for."""
    asked = {"page": args.get(SIGNATORIES_PAGE, "1")}
    query = reads.statements.signatures_on(statement.id)
    return paginate(session, query, reads.statements.SIGNATURE_ORDERS, asked, SIGNATORIES_PER_PAGE)


@formats.page(bp, "/statements")
def index(fmt: str = formats.HTML) -> ResponseReturnValue:
    """List the statements, a page at a time, in the order asked for (the CSV: every one)."""
    listed = Listing(get_session(), reads.statements.statement_list(), ORDERS, request.args)
    return formats.respond(fmt, listed, html=_list_html, json=_list_json, csv=_list_csv)


def _named(listed: Listing) -> dict[int, int]:
    """Return how many signatures each statement on the page has, by statement id."""
    return reads.statements.signature_counts(listed.session, [row.id for row in listed.page.rows])


def _list_html(listed: Listing) -> str:
    """Render a page of the statements list."""
    return formats.render_list("statements.html", listed, SORT_LABELS, named=_named(listed))


def _list_json(listed: Listing) -> dict[str, Any]:
    """Return a page of the statements list as plain JSON values."""
    named = _named(listed)
    items = [summary_json(row, named.get(row.id, 0)) for row in listed.page.rows]
    return page_json(listed.page, items)


def summary_json(statement: Statement, named: int) -> dict[str, Any]:
    """Return a statement as one item of the list's JSON twin, with its number of signatures."""
    return {
        **links.statement_ref(statement),
        "districts": [district.key for district in statement.districts],
        "named_signatories": named,
        "reported_signatories": statement.reported_signatories,
    }


def _list_csv(listed: Listing) -> Response:
    """Stream every statement of the list, in its order, as CSV."""
    return downloads.list_csv(
        listed, "statements", csv_layouts.STATEMENTS, csv_rows.listed_statements
    )


@formats.page(bp, "/statements/<key>")
def show(key: str, fmt: str = formats.HTML) -> ResponseReturnValue:
    """Show a statement: its text, signatories, sources, what followed, and how to cite it."""
    found = StatementPage(get_session(), key)
    return formats.respond(fmt, found, html=_show_html, json=statement_json, csv=_show_csv)


def _show_html(found: StatementPage) -> str:
    """Return a statement's page: kept from a request of the same URL and data, or rendered."""
    return pagecache.cached(lambda: render(found))


def render(found: StatementPage) -> str:
    """Render a statement's page (answering 404 for an unknown key)."""
    session, statement = found.session, found.statement
    versions = texts(statement)
    url = links.statement_url(statement.key, external=True)
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
        citation=citation(
            statement,
            signers,
            url,
            revisions.dataset_version(session),
            revisions.chain_head(session),
        ),
    )


def statement_json(found: StatementPage) -> dict[str, Any]:
    """Return a statement as its JSON twin: the record, its signatures and its events."""
    session, statement = found.session, found.statement
    signatures = [
        {**snapshot("signature", sig), "person_name": sig.person.name}
        for sig in found.all_signatures()
    ]
    events = reads.statements.statement_events(session, statement.id)
    return {
        **snapshot("statement", statement),
        "url": links.statement_url(statement.key, external=True),
        "signatures": signatures,
        "events": [snapshot("event", event) for event in events],
        "dataset_version": revisions.dataset_version(session),
        "chain_head": revisions.chain_head(session),
    }


def _show_csv(found: StatementPage) -> Response:
    """Stream a statement's signatures, one row each in the statement's order, as CSV."""
    rows = (csv_rows.signature_row(signature) for signature in found.all_signatures())
    name = ["statement", found.key, "signatures"]
    return downloads.csv_response(csv_layouts.SIGNATURES, rows, name)
